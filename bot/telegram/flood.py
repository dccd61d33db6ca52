"""Per-user flood control: a token bucket, so one user's burst cannot hold up everyone else's answers.

The bucket refills by the time the messages were sent (Telegram's date on each), so messages that waited
in a queue while the bot was down are not taken for a burst; without a date, the time of handling counts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Flood(StrEnum):
    OK = "ok"
    WARN = "warn"  # the first message over the limit: send one slow-down notice
    DROP = "drop"

MAX_TRACKED = 50_000  # users remembered at once; idle ones are forgotten first


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class FloodGuard:
    def __init__(self, burst: int = 8, per_seconds: float = 10.0, clock: Callable[[], float] = time.time):
        self.burst = burst
        self.rate = burst / per_seconds
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def check(self, user_id: int, at: float | None = None) -> Flood:
        """OK to answer; WARN (the first message over the limit: send one slow-down notice); DROP the rest.
        `at`: when the message was sent (epoch seconds); the clock's now when not given."""
        now = self.clock() if at is None else at
        bucket = self._buckets.pop(user_id, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate)
        bucket.at = max(bucket.at, now)
        self._buckets[user_id] = bucket  # re-inserted last: the dict stays ordered by last use
        if len(self._buckets) > MAX_TRACKED:
            del self._buckets[next(iter(self._buckets))]
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return Flood.OK
        if not bucket.warned:
            bucket.warned = True
            return Flood.WARN
        return Flood.DROP
