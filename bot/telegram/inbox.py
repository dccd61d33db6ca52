"""Nothing lost, nothing twice, nobody stalled: the path of an update from Telegram to its handler and back.

**The durable inbox.** python-telegram-bot's Updater (polling) and its webhook server both hand each update
to the Application through one queue, and the Updater confirms a batch to Telegram (the next getUpdates
offset) only after putting all of it there; the webhook answers 200 only after the put returns. `InboxQueue`
writes each update to the store's inbox inside that put, so an update is on disk before Telegram forgets it.
After it is handled, `ChatOrder` marks it done (with the chat's new dialogue state, in one transaction). At
start, `InboxQueue.replay` queues what a previous run kept but did not finish, before anything new.

De-duplication: an update whose id is queued or done already (a webhook delivered again, a batch fetched
again after a crash), or that another live replica is handling (the inbox row's owner and lease, see
`bot.store`), is dropped, not answered again.

**A crash between the send and the mark** (SIGKILL, OOM, power) leaves the update pending, so the next start
handles it again: its answer is sent a second time. That is the choice made: at most one duplicate, never a
loss. One chat's updates are handled one at a time and the mark is written before the chat's next update
starts, so a crash duplicates at most one answer per chat that was being answered at that moment. A crash at
any other point loses and repeats nothing. (An update being handled at three crashes in a row is set aside.)

While the store fails (locked, disk full), updates are still handled; the inbox write is attempted but not
waited for, so durability is best-effort until the store recovers (see `bot.writer`).

**Per-chat order, cross-chat concurrency.** `ChatOrder` runs updates of one chat (or, for inline queries,
one user) strictly in arrival order, and different chats side by side, up to `CHATS_AT_ONCE`; a chat whose
sends keep failing (and being retried) holds up only its own later messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

if TYPE_CHECKING:
    from telegram import Bot

    from bot.writer import StoreWriter

log = logging.getLogger(__name__)

# Chats answered at the same moment; more wait their turn. Telegram allows a bot ~30 sends a second: at ~0.1 s
# a send, 8 at once keep up with that, and 7 chats stuck on failing sends still leave one lane.
CHATS_AT_ONCE = 8
# python-telegram-bot's own limit: set so high it never holds an update back, so updates reach `ChatOrder`
# strictly in arrival order (the per-chat order rests on that).
UNBOUNDED = 1_000_000


@dataclass
class Handled:
    """What a handler says it did, for the one log line per update (kind and entry; never the text)."""

    kind: str = "-"
    entry: str | None = None


HANDLED: ContextVar[Handled | None] = ContextVar("handled", default=None)


def note(kind: str, entry: str | None = None) -> None:
    """Called by handlers: what this update got, for its log line."""
    handled = HANDLED.get()
    if handled is not None:
        handled.kind, handled.entry = kind, entry


def kind_of(update: Update) -> str:
    if update.callback_query is not None:
        return "button"
    if update.inline_query is not None:
        return "inline query"
    message = update.effective_message
    if message is not None and message.text is not None:
        return "command" if message.text.startswith("/") else "message"
    return "update"


def chat_key(update: object) -> Hashable | None:
    """Whose turn an update waits for: its chat, or for an inline query its user."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


class InboxQueue(asyncio.Queue[object]):
    """The Updater's (and webhook's) queue into the Application, written through to the store's inbox."""

    def __init__(self) -> None:
        super().__init__()
        self.writer: StoreWriter | None = None
        self._queued: set[int] = set()  # ids queued in this run and not yet handled
        self._waiting: dict[int, asyncio.Future[None]] = {}  # the webhook's requests waiting for their update

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            update_id = item.update_id
            if update_id in self._queued:
                log.info("update %d delivered again while waiting: dropped", update_id)
                return
            if self.writer is not None:
                body = json.dumps(item.to_dict(), ensure_ascii=False)
                seen = await self.writer.call("keep an update", lambda store: store.inbox_add(update_id, body))
                if seen in ("done", "pending"):
                    log.info("update %d %s: dropped", update_id,
                             "was handled already" if seen == "done" else "is being handled by another replica")
                    return
            self._queued.add(update_id)
        await super().put(item)

    async def replay(self, pending: list[tuple[int, str]], bot: Bot) -> int:
        """Queues updates kept by a previous run and not finished, ahead of anything new."""
        count = 0
        for update_id, body in pending:
            try:
                update = Update.de_json(json.loads(body), bot)
            except Exception:
                log.exception("kept update %d could not be read back: skipped", update_id)
                continue
            if update is None or update_id in self._queued:
                continue
            self._queued.add(update_id)
            await super().put(update)
            count += 1
        return count

    def when_handled(self, update_id: int) -> asyncio.Future[None]:
        """Done once this run has handled the update; done at once if it is not waiting here (it was dropped
        as handled already, or handled while the caller was not looking)."""
        if update_id not in self._queued:
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        if update_id not in self._waiting:
            self._waiting[update_id] = asyncio.get_running_loop().create_future()
        return self._waiting[update_id]

    def handled(self, update_id: int) -> None:
        self._queued.discard(update_id)
        waiting = self._waiting.pop(update_id, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)


class ChatOrder(BaseUpdateProcessor):
    """One chat's updates in order, different chats concurrently, and the bookkeeping around each update:
    `before` (load the chat's state) and `after` (log it; save the state and mark it done in the inbox)."""

    def __init__(self, chats_at_once: int = CHATS_AT_ONCE) -> None:
        super().__init__(UNBOUNDED)
        self.chats_at_once = chats_at_once
        self._slots: asyncio.Semaphore | None = None
        self._turns: dict[Hashable, tuple[asyncio.Lock, int]] = {}
        self.before: Callable[[Update], Awaitable[None]] | None = None
        self.after: Callable[[Update, Handled, float], Awaitable[None]] | None = None

    async def initialize(self) -> None:
        self._slots = asyncio.Semaphore(self.chats_at_once)

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        # Reached in arrival order (see UNBOUNDED); asyncio.Lock wakes its waiters first come, first served.
        lock, waiting = self._turns.get(key) or (asyncio.Lock(), 0)
        self._turns[key] = (lock, waiting + 1)
        try:
            async with lock:
                if self._slots is None:
                    self._slots = asyncio.Semaphore(self.chats_at_once)
                async with self._slots:  # taken only by a chat's first in line, so no chat blocks another's turn
                    await self._handle(update, coroutine)
        finally:
            lock, waiting = self._turns[key]
            if waiting == 1:
                del self._turns[key]
            else:
                self._turns[key] = (lock, waiting - 1)

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        assert isinstance(update, Update)
        if self.before is not None:
            await self.before(update)
        handled = Handled()
        token = HANDLED.set(handled)
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            HANDLED.reset(token)
        if self.after is not None:
            await self.after(update, handled, (time.perf_counter() - started) * 1000)
