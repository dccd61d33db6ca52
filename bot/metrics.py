"""What a running replica counts, for Prometheus (`GET /metrics` on the webhook server).

Counted here in plain dictionaries (a few dictionary updates per update handled), and put into
prometheus-client's default registry only when `GET /metrics` is first scraped: a bot polling Telegram,
which serves no /metrics, never imports prometheus-client at all (it was a tenth of `recertbot run`'s
start-up). Each replica has its own counts and Prometheus sums them (scrape every replica, not the proxy in
front, which would show a different one each time). Labels are the reply kind, the retry's reason and where
an error happened: never a chat, an entry's text or anything a user wrote, so the number of series stays
small and fixed."""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

# An update's whole path in this process: its chat's turn, the dialogue, the sends (with their retries).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_lock = threading.Lock()  # the store's writer thread counts its errors too
_messages: Counter[str] = Counter()
_retries: Counter[str] = Counter()
_errors: Counter[str] = Counter()
_latency = [0] * (len(BUCKETS) + 1)  # per bucket (not cumulative), the last one past the highest bound
_latency_sum = 0.0
_registered = False


def handled(kind: str, seconds: float) -> None:
    """An update handled: the kind of reply it got, and how long it took."""
    global _latency_sum
    with _lock:
        _messages[kind] += 1
        _latency[bisect.bisect_left(BUCKETS, seconds)] += 1
        _latency_sum += seconds


def retried(reason: str) -> None:
    """A send to Telegram tried again: "429", "timeout" or "network"."""
    with _lock:
        _retries[reason] += 1


def failed(where: str) -> None:
    """A failure: "handler" (a handler raised) or "store" (a store write failed)."""
    with _lock:
        _errors[where] += 1


class _Collector:
    """The counts above as Prometheus metric families, read at each scrape."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        with _lock:
            counters = [("recertbot_messages", "Updates handled, by the kind of reply they got", "kind", dict(_messages)),
                        ("recertbot_send_retries", "Sends to Telegram tried again (bot/telegram/retry.py), by reason",
                         "reason", dict(_retries)),
                        ("recertbot_errors", "Failures: a handler that raised, a store write that failed", "where",
                         dict(_errors))]
            latency, total = list(_latency), _latency_sum
        for name, text, label, counts in counters:
            family = CounterMetricFamily(name, text, labels=[label])
            for value, count in sorted(counts.items()):
                family.add_metric([value], count)
            yield family
        cumulative, buckets = 0, []
        for bound, count in zip((*map(str, BUCKETS), "+Inf"), latency, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily("recertbot_update_seconds", "Seconds from an update's turn to its last send",
                                    buckets=buckets, sum_value=total)


def exposition() -> tuple[bytes, str]:
    """The text format Prometheus scrapes, and its content type; the process's own figures (CPU, memory, GC)
    come with it, from prometheus-client's default collectors."""
    global _registered
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    with _lock:
        register, _registered = not _registered, True
    if register:
        REGISTRY.register(_Collector())  # type: ignore[arg-type]  # a collector is any object with collect()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
