"""Answer first, record after: every store write of the running bot, done by one thread, in order.

The event loop hands a write to a bounded queue and goes on answering; it never waits on the database, except where
it chooses to (the inbox, and the end of an update) and then only for a bounded time. When the store fails (a
lock held by another process, a full disk), the real cause is logged, once a minute at most, and the writes
are dropped while users keep getting answers. When the queue is full (the store is far behind), new writes are
dropped too, counted, and logged the same way.

**Fewer hand-offs.** Writes the event loop does not wait for (an exchange's record, a vote) are handed to the
thread once per turn of the loop, or with the next awaited write (an update kept, its done mark), which is
handed over at once with whatever is buffered before it, so the order is kept; so is whatever is submitted
outside the loop. An update's record and done mark thus cost one wake-up of the thread.

**Group commit.** What is queued while the thread writes is run next as one group, in one transaction, and
each write's future is resolved only after that transaction commits: the inbox's guarantee (an update is on
disk before Telegram is told) holds as it did with one transaction per write, at one commit per group. When
anything in a group fails, the group is rolled back and its writes are run again one by one, as before, so a
failing write fails alone; when the transaction cannot even begin (the lock held elsewhere), they all fail
at once. (On SQLite; on PostgreSQL each write is still its own transaction.)
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from bot import metrics
from bot.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

QUEUE_SIZE = 10_000
LOG_EVERY = 60.0  # seconds between two log lines about failing writes
BUSY_TIMEOUT = 2.0  # seconds the writer's connection waits for another process's lock before failing
GROUP = 256  # writes run in one transaction at most: a group holds the store's lock for a few ms at most
SLOW = 1.0  # seconds an awaited write may take before the event loop goes on without it
DEGRADED_FOR = 30.0  # after a failure or a slow write, awaited writes are not awaited for this long

_STOP = object()


def _forget(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class StoreWriter:
    """Owns a second connection to the store and a thread that runs the writes on it."""

    def __init__(self, store: Store, *, queue_size: int = QUEUE_SIZE, clock: Callable[[], float] = time.monotonic):
        self.store = store.sibling(timeout=BUSY_TIMEOUT)
        # what a failing write raises: the database's own errors (SQLite's or psycopg's), or the disk's
        self._failures: tuple[type[BaseException], ...] = (*self.store.errors, OSError)
        # Groups on SQLite, where every statement runs on the one connection and so joins the group's
        # transaction; PostgreSQL's lone statements take a connection of their own from the pool.
        self._grouping = self.store.kind == "sqlite"
        self.clock = clock
        self._queue: queue.Queue[Any] = queue.Queue()  # lists of writes, handed over together
        self._limit = queue_size
        self._pending = 0  # writes submitted and not yet run: at `queue_size`, new ones are dropped
        self._buffer: list[tuple[str, Callable[[Store], Any], Future[Any]]] = []  # submitted, not handed over
        self._degraded_until = 0.0
        self._last_log: dict[str, float] = {}  # per kind of problem: when it was last logged
        self._unlogged: dict[str, int] = {}
        self._lock = threading.Lock()
        self.failures = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    # --- handing writes over ---------------------------------------------------------------------------

    def submit(self, what: str, call: Callable[[Store], T], *, now: bool = False) -> Future[T] | None:
        """Queues `call(store)`; returns its future, or None when the queue is full (the write is dropped).
        On the event loop the write is handed over at the loop's next turn (unless `now`, as for an awaited
        write): await the future there (`call`, or asyncio.wrap_future), never block on it."""
        future: Future[T] = Future()
        with self._lock:
            full = self._pending >= self._limit
            if not full:
                self._pending += 1
                self._buffer.append((what, call, future))
                first = len(self._buffer) == 1
        if full:
            self.dropped += 1
            self._problem("full", f"store writes are {self._limit} behind; dropped {what}")
            return None
        if now:
            self._hand_over()
        elif first:
            try:
                asyncio.get_running_loop().call_soon(self._hand_over)
            except RuntimeError:  # not on the event loop: nothing would hand it over later
                self._hand_over()
        return future

    def _hand_over(self) -> None:
        with self._lock:
            writes, self._buffer = self._buffer, []
            if writes:  # under the lock: batches reach the queue in the order they were taken
                self._queue.put(writes)

    async def call(self, what: str, call: Callable[[Store], T], *, wait: float = SLOW) -> T | None:
        """Queues `call(store)` and waits for it, at most `wait` seconds and not at all while the store is
        failing: None when it failed, was dropped or is still running (it still runs, in order)."""
        future = self.submit(what, call, now=True)  # awaited: no turn of the loop lost before it is written
        if future is None or self.degraded:
            return None
        waited = asyncio.wrap_future(future)
        waited.add_done_callback(_forget)  # a failure is logged by the thread; nobody else need retrieve it
        # asyncio.wait, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as the
        # write completes, and the Updater's cancelled polling task would then go on queueing updates after
        # the Application stopped taking them (a graceful stop then waits for ever).
        done, _ = await asyncio.wait({waited}, timeout=wait)
        if not done:
            self._degraded_until = self.clock() + DEGRADED_FOR
            self._problem("slow", f"the store took more than {wait:.0f}s to {what}; answering without waiting "
                                  f"for it for {DEGRADED_FOR:.0f}s", level=logging.WARNING)
            return None
        if waited.cancelled() or waited.exception() is not None:
            return None
        return waited.result()

    @property
    def degraded(self) -> bool:
        return self.clock() < self._degraded_until

    def close(self, timeout: float = 10.0) -> None:
        """Runs what is queued, then stops the thread and closes its connection."""
        self._hand_over()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("store writer: still writing after %.0fs at stop", timeout)
            return
        self.store.close()

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything queued so far is written (tests, shutdown)."""
        done = self.submit("flush", lambda _store: None)
        if done is None:
            return False
        self._hand_over()  # now: the caller may be the event loop's own thread, about to block
        try:
            done.result(timeout)
        except Exception:
            return False
        return True

    # --- the thread -----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            taken = self._queue.get()
            stop = taken is _STOP
            group = [] if stop else list(taken)
            while not stop and len(group) < GROUP:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                stop = more is _STOP
                group.extend([] if stop else more)
            writes = [item for item in group if item[2].set_running_or_notify_cancel()]
            if len(writes) <= 1 or not self._grouping or not self._together(writes):
                for what, call, future in writes:
                    self._one(what, call, future)
            with self._lock:
                self._pending -= len(group)
            if stop:
                return

    def _together(self, writes: list[tuple[str, Callable[[Store], Any], Future[Any]]]) -> bool:
        """Runs the writes in one transaction and resolves their futures after its commit; False (nothing
        written, nothing resolved) when any of them, or the commit, failed."""
        begun = False
        try:
            with self.store.transaction():
                begun = True
                results = [call(self.store) for _, call, _ in writes]
        except self._failures as exc:
            if begun:  # whichever write it was fails again, alone, where it is logged
                return False
            # No transaction could begin (the lock held by another process, the server gone): each write
            # alone would wait for the same lock again, the whole group's wait over.
            for what, _, future in writes:
                self._failed(what, exc, future)
            return True
        except Exception:
            return False
        for (_, _, future), result in zip(writes, results, strict=True):
            future.set_result(result)
        return True

    def _one(self, what: str, call: Callable[[Store], Any], future: Future[Any]) -> None:
        try:
            future.set_result(call(self.store))
        except self._failures as exc:
            self._failed(what, exc, future)
        except BaseException as exc:  # a bug in the write itself: keep the thread alive for the others
            log.exception("store write raised (%s)", what)
            future.set_exception(exc)

    def _failed(self, what: str, exc: BaseException, future: Future[Any]) -> None:
        self.failures += 1
        metrics.failed("store")
        self._degraded_until = self.clock() + DEGRADED_FOR
        self._problem("failed", f"the store failed to {what}: {exc} ({type(exc).__name__}); users are still answered")
        future.set_exception(exc)

    def _problem(self, kind: str, message: str, level: int = logging.ERROR) -> None:
        """Logs one kind of problem at most once a minute, saying how many were left out since its last line."""
        with self._lock:
            now = self.clock()
            if now - self._last_log.get(kind, -LOG_EVERY) < LOG_EVERY:
                self._unlogged[kind] = self._unlogged.get(kind, 0) + 1
                return
            skipped, self._unlogged[kind], self._last_log[kind] = self._unlogged.get(kind, 0), 0, now
        more = f" ({skipped} more like it since the last line)" if skipped else ""
        log.log(level, "%s%s", message, more)
