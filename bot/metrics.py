"""What a running replica counts, for Prometheus (`GET /metrics` on the webhook server).

Counters and one histogram in prometheus-client's default registry, made with the first count or scrape: the
first answer does not wait for prometheus-client's import (a tenth of `recertbot run`'s start-up). Each replica
has its own and Prometheus sums them (scrape every replica, not the proxy in front, which would show a
different one each time). Labels are the reply kind, the retry's reason and where an error happened: never a
chat, an entry's text or anything a user wrote, so the number of series stays small and fixed."""

from __future__ import annotations

import threading
from types import SimpleNamespace

# An update's whole path in this process: its chat's turn, the dialogue, the sends (with their retries).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_lock = threading.Lock()  # the store's writer thread counts its errors too
_made: SimpleNamespace | None = None


def _metrics() -> SimpleNamespace:
    """The metrics, made (once, whichever thread counts first) in prometheus-client's default registry."""
    global _made
    with _lock:
        if _made is None:
            from prometheus_client import Counter, Histogram

            _made = SimpleNamespace(
                messages=Counter("recertbot_messages", "Updates handled, by the kind of reply they got", ["kind"]),
                latency=Histogram("recertbot_update_seconds", "Seconds from an update's turn to its last send",
                                  buckets=BUCKETS),
                retries=Counter("recertbot_send_retries",
                                "Sends to Telegram tried again (bot/telegram/retry.py), by reason", ["reason"]),
                errors=Counter("recertbot_errors", "Failures: a handler that raised, a store write that failed",
                               ["where"]))
        return _made


def handled(kind: str, seconds: float) -> None:
    """An update handled: the kind of reply it got, and how long it took."""
    metrics = _metrics()
    metrics.messages.labels(kind=kind).inc()
    metrics.latency.observe(seconds)


def retried(reason: str) -> None:
    """A send to Telegram tried again: "429", "timeout" or "network"."""
    _metrics().retries.labels(reason=reason).inc()


def failed(where: str) -> None:
    """A failure: "handler" (a handler raised) or "store" (a store write failed)."""
    _metrics().errors.labels(where=where).inc()


def exposition() -> tuple[bytes, str]:
    """The text format Prometheus scrapes, and its content type; the process's own figures (CPU, memory, GC)
    come with it, from prometheus-client's default collectors."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    _metrics()
    return generate_latest(), CONTENT_TYPE_LATEST
