"""Building the python-telegram-bot Application: handlers, rate limiter, pool sizes, start-up."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          InlineQueryHandler, MessageHandler, filters)

from bot import handlers
from bot.dialogue import Dialogue
from bot.settings import Settings

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


async def on_startup(app: Application) -> None:
    await app.bot.set_my_commands(COMMANDS)


def build_application(settings: Settings, dialogue: Dialogue, *, rate_limit: bool = True) -> Application:
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value().strip())
        .base_url(settings.telegram_base_url)
        .connection_pool_size(POOL_SIZE)
        .post_init(on_startup)
    )
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.bot_data["dialogue"] = dialogue
    add_handlers(app)
    return app


def add_handlers(app: Application) -> None:
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("topics", handlers.topics))
    app.add_handler(CommandHandler("sources", handlers.sources))
    app.add_handler(CommandHandler("check", handlers.check))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.text_message))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                   handlers.non_text))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_handler(InlineQueryHandler(handlers.inline_query))
    app.add_error_handler(handlers.on_error)


def allowed_updates() -> list[str]:
    return [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
