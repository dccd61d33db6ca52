"""The yardstick: a bare python-telegram-bot bot that imports nothing of recertbot's.

It sends, for each message, the very replies recertbot sends to it (the same HTML text, parse mode, link
previews off, inline keyboards), read from a JSON file the benchmark writes beforehand (`REPLIES_FILE`:
question -> list of [html, keyboard or null]); a message not in the file is echoed. It is built with the same
client settings as recertbot (connection pool, time-outs, the rate limiter when RATE_LIMIT is true), so the
difference between the two is recertbot's own work: matching, dialogue, rendering, the store."""

from __future__ import annotations

import json
import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

POOL_SIZE = 8  # as bot/telegram/app.py (CHATS_AT_ONCE)
TIMEOUT = 10.0  # as bot/settings.py's default http_timeout


def _keyboard(markup: dict | None) -> InlineKeyboardMarkup | None:
    if not markup:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(**button) for button in row]
                                 for row in markup["inline_keyboard"]])


def load_replies(path: str | None) -> dict[str, list[tuple[str, InlineKeyboardMarkup | None]]]:
    if not path:
        return {}
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    return {q: [(html, _keyboard(markup)) for html, markup in messages] for q, messages in raw.items()}


def build(token: str, base_url: str, replies: dict, rate_limit: bool) -> Application:
    builder = (ApplicationBuilder().token(token).base_url(base_url).connection_pool_size(POOL_SIZE)
               .read_timeout(TIMEOUT).write_timeout(TIMEOUT).connect_timeout(TIMEOUT)
               .get_updates_read_timeout(TIMEOUT).get_updates_connect_timeout(TIMEOUT)
               .defaults(Defaults(parse_mode=ParseMode.HTML,
                                  link_preview_options=LinkPreviewOptions(is_disabled=True))))
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        text = message.text or ""
        for html, markup in replies.get(text, [(text, None)]):
            await message.reply_html(html, reply_markup=markup)

    app.add_handler(MessageHandler(filters.TEXT, reply))
    return app


# What recertbot imports on its way to its first answer beyond python-telegram-bot: with LIBRARIES=true the bare
# bot imports them too, as a second yardstick for the start-up (the libraries' share, none of recertbot's work).
LIBRARIES = ("babel.support", "dotenv", "jinja2", "pydantic_settings", "rapidfuzz.fuzz", "rapidfuzz.process",
             "text_to_num")

if __name__ == "__main__":  # started as a process by the end-to-end and start-up benchmarks
    if os.environ.get("LIBRARIES") == "true":  # imported as recertbot imports them: no plugin scan, no collection
        import gc
        import importlib

        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        gc.disable()
        for name in LIBRARIES:
            importlib.import_module(name)
        gc.freeze()
        gc.enable()
    build(os.environ["TELEGRAM_BOT_TOKEN"], os.environ.get("TELEGRAM_BASE_URL", "https://api.telegram.org/bot"),
          load_replies(os.environ.get("REPLIES_FILE")),
          os.environ.get("RATE_LIMIT", "true").lower() == "true").run_polling()
