"""What a running replica counts, for Prometheus (`GET /metrics` on the webhook server).

Counters and one histogram in prometheus-client's default registry: each replica has its own and Prometheus
sums them (scrape every replica, not the proxy in front, which would show a different one each time). Labels
are the reply kind, the retry's reason and where an error happened: never a chat, an entry's text or anything
a user wrote, so the number of series stays small and fixed."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

MESSAGES = Counter("recertbot_messages", "Updates handled, by the kind of reply they got", ["kind"])
# An update's whole path in this process: its chat's turn, the dialogue, the sends (with their retries).
LATENCY = Histogram("recertbot_update_seconds", "Seconds from an update's turn to its last send",
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
SEND_RETRIES = Counter("recertbot_send_retries", "Sends to Telegram tried again (bot/telegram/retry.py), by reason",
                       ["reason"])
ERRORS = Counter("recertbot_errors", "Failures: a handler that raised, a store write that failed", ["where"])

CONTENT_TYPE = CONTENT_TYPE_LATEST


def handled(kind: str, seconds: float) -> None:
    MESSAGES.labels(kind=kind).inc()
    LATENCY.observe(seconds)


def exposition() -> bytes:
    """The text format Prometheus scrapes."""
    return generate_latest()
