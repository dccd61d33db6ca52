"""Building the python-telegram-bot Application: handlers, rate limiter, pool sizes, start-up."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
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

from bot.dialogue import Dialogue
from bot.live import LiveDialogue
from bot.settings import Settings
from bot.store import Store
from bot.telegram import handlers
from bot.telegram.flood import FloodGuard
from bot.telegram.handlers import CONTEXT_TYPES, App, Services

COMMANDS = [
    BotCommand("start", "What I can do"),
    BotCommand("help", "How to ask"),
    BotCommand("topics", "Browse questions by credential"),
    BotCommand("check", "Check your points or credits"),
    BotCommand("sources", "Where my answers come from"),
]
# Updates are handled one at a time (measured: faster than concurrent_updates with a big pool here), so a
# small pool covers the replies of one update plus the rate limiter's retries.
POOL_SIZE = 8


async def on_startup(app: App) -> None:
    await app.bot.set_my_commands(COMMANDS)
    services = app.bot_data
    live = services.live
    if live is not None and live.kb_dir is not None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off the main thread / on Windows
            loop.add_signal_handler(signal.SIGHUP, lambda: _background(app, live.reload()))
        _background(app, live.watch(services.reload_seconds))
    if services.store is not None:
        _background(app, _purge_daily(services.store))


async def on_stop(app: App) -> None:
    background, app.bot_data.background = app.bot_data.background, []
    for task in background:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _background(app: App, coroutine: Coroutine[Any, Any, Any]) -> None:
    # Plain tasks, cancelled by on_stop: post_init runs before the application counts as running.
    app.bot_data.background.append(asyncio.create_task(coroutine))


async def _purge_daily(store: Store) -> None:
    """Retention: the store purges at start-up; a bot that runs for days purges once a day too."""
    while True:
        await asyncio.sleep(86400)
        store.purge()


def application_builder(settings: Settings, *,
                        rate_limit: bool | None = None) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """The client as the bot uses it (pool, time-outs, rate limiter); the benchmark's echo bot uses it too."""
    builder = (
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
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    return builder


def build_application(settings: Settings, dialogue: Dialogue | LiveDialogue, *, store: Store | None = None,
                      rate_limit: bool | None = None) -> App:
    defaults = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
    app: App = (application_builder(settings, rate_limit=rate_limit).defaults(defaults).context_types(CONTEXT_TYPES)
                .post_init(on_startup).post_stop(on_stop).build())
    services: Services = app.bot_data
    services.live = dialogue if isinstance(dialogue, LiveDialogue) else LiveDialogue(dialogue)
    services.store = store
    services.admins = settings.admins
    services.reload_seconds = settings.kb_reload_seconds
    services.flood = FloodGuard(settings.flood_burst, settings.flood_per_seconds)
    add_handlers(app)
    return app


def add_handlers(app: App) -> None:
    # Order matters: the flood gate (group -1) runs first; within group 0 the first matching handler wins.
    app.add_handler(TypeHandler(Update, handlers.flood_gate), group=-1)
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("topics", handlers.topics))
    app.add_handler(CommandHandler("sources", handlers.sources))
    app.add_handler(CommandHandler("check", handlers.check))
    app.add_handler(CommandHandler("stats", handlers.admin_stats))
    app.add_handler(CommandHandler("misses", handlers.admin_misses))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.text_message))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                   handlers.non_text))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_handler(InlineQueryHandler(handlers.inline_query))
    app.add_error_handler(handlers.on_error)


def allowed_updates() -> list[str]:
    return [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
