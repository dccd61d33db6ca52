"""Sending due reminders: claim, mark as sending, send, mark as sent — paced under Telegram's flood limit.

A plain asyncio loop with an injectable clock (the tests move time by hand; the bot uses the wall clock).
It knows nothing of Telegram: `send` is given the chat id and the reminder and says what became of it.

Each pass claims what is due (`ReminderStore.claim`, under a lease), then sends each claimed reminder with
its start spaced `1/rate` seconds from the previous one and at most `in_flight` requests open at once, so
however many fell due at once (10,000 at the same minute, or those that fell due while the bot was down)
Telegram sees at most `rate + 1 + in_flight` of them in any one second (those started in it, and those held
up before it, by a slow network or the rate limiter's pause after a 429): 20 + 1 + 8 = 29, below its 30.

Delivery is **at most once**: a reminder is marked `sending` (committed) before its request and is never
sent again after that, even if the process dies before marking it sent. Why, and what a kill at each step
does, is told in `bot/reminder_store.py`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from bot.reminder_store import Claimed, ReminderStore
from faq.reminders import Reminder

log = logging.getLogger(__name__)

RATE = 20.0  # messages a second started ...
IN_FLIGHT = 8  # ... and at most this many open at once: at most 29 arrive in any second (see above)
MIN_RETRY = 1.0  # seconds before a reminder Telegram refused is tried again
POLL_SECONDS = 30.0  # how often to look for due reminders at the most (reminders are due by the day)


class Result(Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # the chat blocked the bot or is gone: its reminders stop
    RETRY = "retry"  # Telegram said it did not take it (429): send later
    UNKNOWN = "unknown"  # it may or may not have arrived: not sent again


@dataclass(frozen=True)
class Delivery:
    result: Result
    retry_after: float = 0.0


Send = Callable[[int, Reminder], Awaitable[Delivery]]
Step = Callable[[str, Claimed], Awaitable[None]]


async def _no_step(step: str, claimed: Claimed) -> None:
    return None


def wall_clock() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(self, reminders: ReminderStore, send: Send, *, clock: Callable[[], datetime] = wall_clock,
                 rate: float = RATE, in_flight: int = IN_FLIGHT, step: Step = _no_step):
        self.reminders = reminders
        self.send = send
        self.clock = clock
        self.rate = rate
        self.batch = max(1, int(rate))  # one second's worth per claim, well within the lease
        self.step = step  # called between the steps ("claimed", "sending", "sent"): the tests crash there
        self._next_slot = 0.0  # monotonic time the next request may start
        self._open = asyncio.Semaphore(in_flight)
        self.counts = dict.fromkeys(Result, 0)

    async def tick(self) -> int:
        """Sends everything due now; how many reminders it tried."""
        tried = 0
        started = self.clock()  # what falls due later (a retry too) waits for the next pass
        while True:
            claimed = self.reminders.claim(started, self.batch)
            if not claimed:
                return tried
            tasks = []
            for c in claimed:
                await self.step("claimed", c)
                await self._open.acquire()
                await self._pace()
                tasks.append(asyncio.create_task(self._deliver(c)))
            await asyncio.gather(*tasks)
            tried += len(claimed)

    async def _pace(self) -> None:
        now = time.monotonic()
        wait = self._next_slot - now
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_slot = max(now, self._next_slot) + 1.0 / self.rate

    async def _deliver(self, c: Claimed) -> None:
        try:
            await self._deliver_one(c)
        finally:
            self._open.release()

    async def _deliver_one(self, c: Claimed) -> None:
        if not self.reminders.sending(c, self.clock()):
            return  # stopped, forgotten or rescheduled since the claim
        await self.step("sending", c)
        try:
            delivery = await self.send(c.chat_id, c.reminder)
        except Exception:
            log.exception("sending a reminder failed")
            delivery = Delivery(Result.UNKNOWN)
        await self.step("sent", c)
        self.counts[delivery.result] += 1
        match delivery.result:
            case Result.SENT:
                self.reminders.sent(c)
            case Result.BLOCKED:
                self.reminders.blocked(c)
            case Result.RETRY:
                self.reminders.retry(c, self.clock() + timedelta(seconds=max(delivery.retry_after, MIN_RETRY)))
            case Result.UNKNOWN:
                self.reminders.unknown(c)

    async def run(self, poll: float = POLL_SECONDS) -> None:
        """Forever: send what is due (at start, what fell due while the bot was down), then sleep until the
        next one is due or `poll` seconds, whichever is sooner."""
        while True:
            try:
                await self.tick()
            except Exception:  # a locked or broken database must not end reminders for good
                log.exception("the reminder pass failed; trying again later")
            following = self.reminders.next_due()
            wait = poll if following is None else (following - self.clock()).total_seconds()
            await asyncio.sleep(min(poll, max(wait, 0.5)))
