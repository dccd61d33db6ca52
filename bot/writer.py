"""Answer first, record after: every store write of the running bot, done by one thread, in order.

The event loop hands a write to a bounded queue and goes on answering; it never waits on the database, except where
it chooses to (the inbox, and the end of an update) and then only for a bounded time. When the store fails (a
lock held by another process, a full disk), the real cause is logged, once a minute at most, and the writes
are dropped while users keep getting answers. When the queue is full (the store is far behind), new writes are
dropped too, counted, and logged the same way.
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

from bot.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

QUEUE_SIZE = 10_000
LOG_EVERY = 60.0  # seconds between two log lines about failing writes
BUSY_TIMEOUT = 2.0  # seconds the writer's connection waits for another process's lock before failing
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
        self.clock = clock
        self._queue: queue.Queue[Any] = queue.Queue(queue_size)
        self._degraded_until = 0.0
        self._last_log: dict[str, float] = {}  # per kind of problem: when it was last logged
        self._unlogged: dict[str, int] = {}
        self._lock = threading.Lock()
        self.failures = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    # --- handing writes over ---------------------------------------------------------------------------

    def submit(self, what: str, call: Callable[[Store], T]) -> Future[T] | None:
        """Queues `call(store)`; returns its future, or None when the queue is full (the write is dropped)."""
        future: Future[T] = Future()
        try:
            self._queue.put_nowait((what, call, future))
        except queue.Full:
            self.dropped += 1
            self._problem("full", f"store writes are {self._queue.maxsize} behind; dropped {what}")
            return None
        return future

    async def call(self, what: str, call: Callable[[Store], T], *, wait: float = SLOW) -> T | None:
        """Queues `call(store)` and waits for it, at most `wait` seconds and not at all while the store is
        failing: None when it failed, was dropped or is still running (it still runs, in order)."""
        future = self.submit(what, call)
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
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            log.error("store writer: %d writes still queued at stop are lost", self._queue.qsize())
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
        try:
            done.result(timeout)
        except Exception:
            return False
        return True

    # --- the thread -----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            what, call, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call(self.store))
            except self._failures as exc:
                self.failures += 1
                self._degraded_until = self.clock() + DEGRADED_FOR
                self._problem("failed", f"the store failed to {what}: {exc} ({type(exc).__name__}); "
                                        "users are still answered")
                future.set_exception(exc)
            except BaseException as exc:  # a bug in the write itself: keep the thread alive for the others
                log.exception("store write raised (%s)", what)
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
