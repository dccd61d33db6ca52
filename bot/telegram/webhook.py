"""The webhook: a small HTTP server that takes Telegram's POSTs and queues them, and the loop that runs it.

python-telegram-bot's own webhook server answers malformed JSON with a 500 and reads bodies of any size; this
one checks the secret first (in constant time), refuses a body over `MAX_BODY` bytes before reading it (set
the same limit, or a lower one, in the reverse proxy in front: nginx `client_max_body_size 1m;`), answers 400
to anything that is not an update, and answers 200 only once the update is in the inbox queue, so it is on
disk before Telegram forgets it (see bot/telegram/inbox.py; a re-delivered update is not answered twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

if TYPE_CHECKING:
    from bot.telegram.handlers import App

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes; Telegram's updates are a few KB


class UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, app: App, secret: str) -> None:  # type: ignore[override]
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.send_error(HTTPStatus.FORBIDDEN)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) and "update_id" in data else None
        except Exception:  # not JSON, or JSON python-telegram-bot cannot read as an update
            update = None
        if update is None:
            log.warning("webhook: a POST that is not an update was refused (400)")
            self.send_error(HTTPStatus.BAD_REQUEST)
            return
        await self.app.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        log.error("webhook request failed: %s", value)


def server(app: App, url_path: str, secret: str) -> HTTPServer:
    routes = [(rf"/{url_path.strip('/')}/?", UpdateHandler, {"app": app, "secret": secret})]
    return HTTPServer(tornado.web.Application(routes, log_function=lambda _handler: None), max_body_size=MAX_BODY)


async def serve(app: App, *, listen: str, port: int, url_path: str, secret: str, webhook_url: str,
                allowed_updates: list[str]) -> None:
    """Runs the application behind the webhook until SIGINT or SIGTERM, with its post_init/stop/shutdown
    hooks in the same order as python-telegram-bot's `run_webhook`."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stopping.set)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        http = server(app, url_path, secret)
        http.listen(port, address=listen)
        await app.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=allowed_updates)
        await stopping.wait()
        http.stop()
        await http.close_all_connections()
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
