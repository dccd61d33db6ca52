"""Building the python-telegram-bot Application: handlers, rate limiter, pool sizes, start-up; the inbox
queue and the per-chat update processor (bot/telegram/inbox.py) and the store's writer thread (bot/writer.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import metrics
from bot.contracts import ChatState
from bot.dialogue import Dialogue
from bot.live import LiveDialogue
from bot.render import translations
from bot.settings import Settings
from bot.store import SOLO, Store
from bot.telegram import handlers, reminders
from bot.telegram.flood import FloodGuard
from bot.telegram.handlers import CONTEXT_TYPES, App, Services
from bot.telegram.inbox import CHATS_AT_ONCE, ChatOrder, Handled, InboxQueue, kind_of
from bot.writer import StoreWriter
from faq.kb import TRANSLATED
from faq.matcher import import_numpy

log = logging.getLogger(__name__)

def _(text: str) -> str:
    """Marks a command's description for the gettext catalog; `command_menu` translates it."""
    return text


COMMANDS = [
    ("start", _("What I can do")),
    ("help", _("How to ask")),
    ("topics", _("Browse questions by credential")),
    ("check", _("Check your points or credits")),
    ("sources", _("Where my answers come from")),
    ("language", _("Reply language: en, es (español) or auto")),
    ("remind", _("Reminders before your credential expires")),
    ("reminders", _("Your scheduled reminders")),
    ("forget", _("Delete everything kept about you")),
]


def command_menu(language: str) -> list[BotCommand]:
    """The command menu in one language; Spanish speakers see /idioma where others see /language."""
    words = translations(language).gettext
    renamed = {"language": "idioma"} if language == "es" else {}
    return [BotCommand(renamed.get(command, command), words(text)) for command, text in COMMANDS]


# Chats are answered side by side (ChatOrder, up to CHATS_AT_ONCE): one connection each, so a chat waiting
# on a slow send does not leave the others queueing for a connection. No more: httpcore checks every pooled
# connection (a poll(2) each) at every request's start and end; with 32, and updates arriving faster than
# they were answered, py-spy found 18% of a burst's samples there.
POOL_SIZE = CHATS_AT_ONCE


async def _set_commands(app: App) -> None:
    """The command menus, set while the first updates are already being answered (two round trips to
    Telegram that the first answer need not wait for)."""
    try:
        await app.bot.set_my_commands(command_menu("en"))
        for language in TRANSLATED:  # Telegram shows these to users whose app is set to that language
            await app.bot.set_my_commands(command_menu(language), language_code=language)
    except TelegramError as exc:  # the menus stay as the last run set them
        log.warning("the command menus could not be set: %s", exc)


async def on_startup(app: App) -> None:
    _background(app, _set_commands(app))
    services = app.bot_data
    if services.store is not None and services.inbox is not None:
        # Before polling starts (and before the webhook is set): what a previous run kept but did not finish.
        try:
            pending = services.store.inbox_pending()
        except services.store.errors as exc:
            log.error("the inbox could not be read (%s): updates kept by the previous run wait for the next start",
                      exc)
            pending = []
        replayed = await services.inbox.replay(pending, app.bot)
        if replayed:
            log.info("%d updates kept from the previous run are handled first", replayed)
    live = services.live
    if live is not None and live.kb_dir is not None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off the main thread / on Windows
            loop.add_signal_handler(signal.SIGHUP, lambda: _background(app, live.reload()))
        _background(app, live.watch(services.reload_seconds))
    if services.store is not None:
        _background(app, _purge_daily(services))
        _background(app, _inbox_lease(app))
    if services.reminders is not None:
        _background(app, reminders.run(app))  # at start, also sends what fell due while the bot was down


async def on_stop(app: App) -> None:
    background, app.bot_data.background = app.bot_data.background, []
    for task in background:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def on_shutdown(app: App) -> None:
    """After the last update: what is queued for the store is written, then the writer stops."""
    writer, app.bot_data.writer = app.bot_data.writer, None
    if writer is not None:
        await asyncio.to_thread(writer.close)


def _background(app: App, coroutine: Coroutine[Any, Any, Any]) -> None:
    # Plain tasks, cancelled by on_stop: post_init runs before the application counts as running. Nobody awaits
    # them, so a failure is logged when it happens.
    task = asyncio.create_task(coroutine)
    task.add_done_callback(_log_failure)
    app.bot_data.background.append(task)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("a background task failed: %r", exc, exc_info=exc)


async def _purge_daily(services: Services) -> None:
    """Retention: the store purges at start-up; a bot that runs for days purges once a day too."""
    while True:
        await asyncio.sleep(86400)
        if services.writer is not None:
            services.writer.submit("purge old rows", Store.purge)


async def _inbox_lease(app: App) -> None:
    """While this process runs, the inbox rows it is handling stay its own (another replica's start-up or
    take-over leaves them alone); and it takes over what a replica that died was handling, once that one's
    lease ran out, so no update that was acknowledged to Telegram waits for a restart."""
    services = app.bot_data
    while True:
        writer, inbox = services.writer, services.inbox
        if writer is None or inbox is None:
            return
        await asyncio.sleep(writer.store.lease / 3)
        writer.submit("renew the inbox lease", Store.inbox_renew)
        orphans = await writer.call("take over another replica's updates", lambda store: store.inbox_pending(own=False))
        if orphans and (taken := await inbox.replay(orphans, app.bot)):
            log.info("%d updates left by a stopped replica are handled here", taken)


Builder = ApplicationBuilder[Any, Any, Any, Any, Any, Any]


async def _load_chat(app: App, update: Update) -> None:
    """Before each update of a chat: its dialogue state as the store has it. Every time, not once per run:
    with several replicas the chat's previous update may have been handled (and its state saved) by another
    one. While the store fails, the state this process last knew goes on. A process alone on its store (on
    SQLite with no REPLICA_ID: bot.store.SOLO) reads it only before the chat's first update in this run: after
    that its own is the latest (a round trip to the writer thread per update saved)."""
    chat = update.effective_chat
    writer = app.bot_data.writer
    if chat is None:
        return
    data = app.chat_data[chat.id]  # made on first use, as python-telegram-bot would
    if writer is not None and not (data.saved is not None and writer.store.owner == SOLO):
        chat_id = chat.id
        # Through the writer, so it reads after this process's own save still queued; wrapped in a tuple so
        # that "no state kept" (None inside) is told apart from "the store failed or is slow" (None).
        read = await writer.call("read a chat's state", lambda store: (store.chat_state(chat_id),))
        if read is not None:
            text = read[0]
            if text is None and data.saved is not None:  # forgotten meanwhile (/forget on another replica)
                data.state, data.feedback_prompt, data.saved = ChatState(), None, None
            elif text is not None and text != data.saved:
                data.restore(text)
    if data.saved is None:
        data.saved = data.snapshot()


async def _finish(app: App, update: Update, handled: Handled, ms: float) -> None:
    """After an update: one log line (never the text), then the chat's new state and the inbox's done mark,
    in one transaction, waited for (briefly) so the chat's next update starts from them."""
    log.info("handled %s: %s %s in %.0f ms", kind_of(update), handled.kind, handled.entry or "-", ms)
    metrics.handled(handled.kind, ms / 1000)
    services = app.bot_data
    if not services.numpy_asked:  # the ranking's numpy, imported off the way of the first answer
        services.numpy_asked = True
        _background(app, asyncio.to_thread(import_numpy))
    writer, chat = services.writer, update.effective_chat
    if writer is not None:
        update_id, chat_id, state = update.update_id, chat.id if chat else None, None
        data = app.chat_data.get(chat_id) if chat_id is not None else None
        if data is not None and (snapshot := data.snapshot()) != data.saved:
            state = data.saved = snapshot
        await writer.call("mark an update done", lambda store: store.inbox_done(update_id, chat_id, state))
    if services.inbox is not None:
        services.inbox.handled(update.update_id)


def application_builder(settings: Settings, *, rate_limit: bool | None = None) -> Builder:
    """The client as the bot uses it (pool, time-outs, rate limiter)."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder: Builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value().strip())
        .base_url(settings.telegram_base_url)
        .connection_pool_size(POOL_SIZE)
        .read_timeout(settings.http_timeout)
        .write_timeout(settings.http_timeout)
        .connect_timeout(settings.http_timeout)
        .get_updates_read_timeout(settings.http_timeout)
        .get_updates_connect_timeout(settings.http_timeout)
    )
    if settings.rate_limit if rate_limit is None else rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]  # PTB's generics
    return builder


def build_application(settings: Settings, dialogue: Dialogue | LiveDialogue, *, store: Store | None = None,
                      rate_limit: bool | None = None) -> App:
    defaults = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
    inbox, processor = InboxQueue(), ChatOrder()
    app: App = (application_builder(settings, rate_limit=rate_limit).defaults(defaults).context_types(CONTEXT_TYPES)
                .update_queue(inbox).concurrent_updates(processor)
                .post_init(on_startup).post_stop(on_stop).post_shutdown(on_shutdown).build())
    services: Services = app.bot_data
    services.live = dialogue if isinstance(dialogue, LiveDialogue) else LiveDialogue(dialogue)
    services.store = store
    services.inbox = inbox
    if store is not None:
        services.writer = inbox.writer = StoreWriter(store)
    processor.before = lambda update: _load_chat(app, update)
    processor.after = lambda update, handled, ms: _finish(app, update, handled, ms)
    services.admins = settings.admins
    services.reload_seconds = settings.kb_reload_seconds
    services.flood = FloodGuard(settings.flood_burst, settings.flood_per_seconds)
    reminders.install(app, settings.reminder_key.get_secret_value() if settings.reminder_key else None,
                      rate=settings.reminder_rate)
    add_handlers(app)
    return app


def add_handlers(app: App) -> None:
    # Order matters: the flood gate (group -1) runs first; within group 0 the first matching handler wins.
    app.add_handler(TypeHandler(Update, handlers.flood_gate), group=-1)
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("topics", handlers.topics))
    app.add_handler(CommandHandler("sources", handlers.sources))
    app.add_handler(CommandHandler(["check", "idioma", "language"], handlers.dialogue_command))
    app.add_handler(CommandHandler("stats", handlers.admin_stats))
    app.add_handler(CommandHandler("misses", handlers.admin_misses))
    app.add_handler(CommandHandler("remind", reminders.remind))
    app.add_handler(CommandHandler("reminders", reminders.list_reminders))
    app.add_handler(CommandHandler("forget", reminders.forget_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.text_message))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                   handlers.non_text))
    app.add_handler(CallbackQueryHandler(reminders.button, pattern=reminders.CALLBACK_PATTERN))  # before the general one
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_handler(InlineQueryHandler(handlers.inline_query))
    app.add_error_handler(handlers.on_error)


def allowed_updates() -> list[str]:
    return [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
