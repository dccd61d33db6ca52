"""The webhook: a small HTTP server that takes Telegram's POSTs, and the loop that runs it; with the endpoints an
operator's probes and Prometheus read, and a graceful drain on SIGTERM.

python-telegram-bot's own webhook server answers malformed JSON with a 500 and reads bodies of any size; this
one checks the secret first (in constant time), refuses a body over `MAX_BODY` bytes before reading it (set
the same limit, or a lower one, in the reverse proxy in front: nginx `client_max_body_size 1m;`), answers 400
to anything that is not an update, and answers 200 only once the update has been handled (at most `ACK_WAIT`
seconds; then 200 anyway, the update being in the inbox on disk, see bot/telegram/inbox.py). Answering after the
handling is what lets several replicas share the work: a replica killed while handling an update never said
200 for it, so the proxy (or Telegram, later) gives it to another one, and the shared inbox does not let a
handled update be answered twice.

`GET /healthz`: the process answers. `GET /readyz`: the knowledge base is loaded and the store answers a query
(through the writer thread, so the event loop never waits on it), and the replica is not draining; 503
otherwise, so a proxy or an orchestrator sends the traffic elsewhere. `GET /metrics`: Prometheus' text
(bot/metrics.py). These are for the local network: the proxy in front publishes only the webhook's path.

SIGTERM (and SIGINT): new POSTs get 503 (the proxy tries another replica; Telegram sends them again later),
the updates already taken are handled and answered, what is queued for the store is written, then the
process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

from bot import metrics

if TYPE_CHECKING:
    from bot.telegram.handlers import App

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes; Telegram's updates are a few KB
ACK_WAIT = 20.0  # seconds a POST waits for its update to be handled; under Telegram's own patience for a reply
DRAIN_SECONDS = 25.0  # at SIGTERM, how long the updates already taken may take; under Docker's 30 s stop time-out
READY_WAIT = 2.0  # seconds the store may take to answer a readiness check


class Gate:
    """What the handlers share: the application, whether the server is draining, and the POSTs in flight."""

    def __init__(self, app: App, secret: str) -> None:
        self.app = app
        self.secret = secret
        self.draining = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def leave(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Refuses new POSTs from now on and waits for those in flight; False when some outlived `timeout`."""
        self.draining = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return self.in_flight == 0

    async def ready(self) -> str | None:
        """Why this replica should not take traffic now, or None."""
        if self.draining:
            return "draining"
        services = self.app.bot_data
        if services.live is None or not services.live.current.kb.entries:
            return "no knowledge base"
        if services.writer is not None:
            # `version` is one trivial query, asked on the writer's own connection and in its queue's order.
            answered = await services.writer.call("answer a readiness check", lambda store: store.version,
                                                  wait=READY_WAIT)
            if answered is None:
                return "the store does not answer"
        return None


class UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, gate: Gate) -> None:  # type: ignore[override]
        self.gate = gate
        self.app = gate.app

    async def post(self) -> None:
        if self.gate.draining:
            self.send_error(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.gate.secret.encode()):
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
        self.gate.enter()
        try:
            await self.app.update_queue.put(update)
            inbox = self.app.bot_data.inbox
            if inbox is not None:
                with contextlib.suppress(TimeoutError):  # shield: a late update is still handled, just not waited for
                    await asyncio.wait_for(asyncio.shield(inbox.when_handled(update.update_id)), ACK_WAIT)
            self.set_status(HTTPStatus.OK)
        finally:
            self.gate.leave()

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        log.error("webhook request failed: %s", value)


class HealthHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("ok\n")


class ReadyHandler(tornado.web.RequestHandler):
    def initialize(self, gate: Gate) -> None:  # type: ignore[override]
        self.gate = gate

    async def get(self) -> None:
        problem = await self.gate.ready()
        if problem:
            self.set_status(HTTPStatus.SERVICE_UNAVAILABLE)
        self.write(f"{problem or 'ready'}\n")


class MetricsHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        text, content_type = metrics.exposition()
        self.set_header("Content-Type", content_type)
        self.write(text)


def server(app: App, url_path: str, secret: str, gate: Gate | None = None) -> HTTPServer:
    gate = gate or Gate(app, secret)
    routes: list[Any] = [
        (r"/healthz", HealthHandler),
        (r"/readyz", ReadyHandler, {"gate": gate}),
        (r"/metrics", MetricsHandler),
        (rf"/{url_path.strip('/')}/?", UpdateHandler, {"gate": gate}),  # after the others: it may be "/"
    ]
    return HTTPServer(tornado.web.Application(routes, log_function=lambda _handler: None), max_body_size=MAX_BODY)


async def serve(app: App, *, listen: str, port: int, url_path: str, secret: str, webhook_url: str,
                allowed_updates: list[str]) -> None:
    """Runs the application behind the webhook until SIGINT or SIGTERM, with its post_init/stop/shutdown
    hooks in the same order as python-telegram-bot's `run_webhook`, draining first (see above)."""
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
        gate = Gate(app, secret)
        http = server(app, url_path, secret, gate)
        http.listen(port, address=listen)
        await app.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=allowed_updates)
        await stopping.wait()
        started = time.monotonic()
        log.info("stopping: new updates are refused (503); %d being handled", gate.in_flight)
        if not await gate.drain():
            log.warning("stopping: %d updates still being handled after %.0fs; they are kept in the inbox for the "
                        "next start", gate.in_flight, DRAIN_SECONDS)
        http.stop()
        await http.close_all_connections()
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        log.info("stopped taking updates after %.1fs", time.monotonic() - started)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
