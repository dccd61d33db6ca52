"""The transport's ceiling: a bare echo bot built with the same client settings as recertbot."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.settings import Settings
from bot.telegram.app import application_builder


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def build_echo(settings: Settings, *, rate_limit: bool | None = None) -> Application:
    app = application_builder(settings, rate_limit=rate_limit).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


if __name__ == "__main__":  # started as a process by the start-up benchmark
    build_echo(Settings()).run_polling()
