"""Sending to Telegram again when it fails for a moment: 429 (honouring retry_after), 5xx, drops, time-outs.

python-telegram-bot's rate limiter retries 429s; a 5xx, a dropped connection or a time-out on a send is
raised to the handler, so without this the user would never get the answer.

A time-out is different from the other faults: Telegram may have performed the send and only its response
was lost, so sending again can show the user the same answer twice. A send is retried after a time-out
once, never more: at most one duplicate, accepted so that a slow moment does not lose the answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 8  # with the delays below: about half a minute of trying before giving up
FIRST_DELAY = 0.5  # seconds, doubled after each failure
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0  # a longer wait than this is not worth holding a reply for
TIMEOUT_RETRIES = 1  # see above: each retry after a time-out may duplicate the message


def _seconds(retry_after: int | float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


async def with_retry(call: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS,
                     sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> T:
    delay = FIRST_DELAY
    timeouts = 0
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            if attempt == attempts or wait > MAX_RETRY_AFTER:
                raise
            log.warning("Telegram asked to wait %.0fs (attempt %d/%d)", wait, attempt, attempts)
            metrics.retried("429")
            await sleep(wait)
        except BadRequest:
            raise  # the request itself is wrong: sending it again cannot help
        except NetworkError as exc:
            timeouts += isinstance(exc, TimedOut)
            if attempt == attempts or timeouts > TIMEOUT_RETRIES:
                raise
            log.warning("sending failed (%s), retrying in %.1fs (attempt %d/%d)", exc, delay, attempt, attempts)
            metrics.retried("timeout" if isinstance(exc, TimedOut) else "network")
            await sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
    raise AssertionError("unreachable")
