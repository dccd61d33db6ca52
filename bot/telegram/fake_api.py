"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the real python-telegram-bot client.

It queues updates for getUpdates (long polling honoured), records every method call with its parameters,
answers the calls the bot makes, and can inject faults (429 with retry_after, 5xx, hangs, dropped
connections) on chosen methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON_FIELDS = {"reply_markup", "results", "commands", "allowed_updates", "entities", "link_preview_options",
               "reply_parameters", "button"}
INT_FIELDS = {"chat_id", "message_id", "offset", "timeout", "limit", "cache_time", "max_connections"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None


@dataclass
class Fault:
    # "409" | "429" | "500" | "502" | "hang" | "drop"; "late": the call is performed (recorded) but its response hangs,
    # as when Telegram sent a message and the answer was lost; "pass": no fault (to aim at a later call)
    kind: str
    retry_after: int = 1
    hang_seconds: float = 30.0
    chat_id: int | None = None  # only calls for this chat take the fault


class FakeBotApi:
    def __init__(self, token: str, username: str = "recert_test_bot", bot_id: int = 4242):
        self.token = token
        self.username = username
        self.bot_id = bot_id
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self.faults: dict[str, list[Fault]] = {}
        self.webhook: dict[str, Any] | None = None
        self.blocked: set[int] = set()  # chats that blocked the bot: sendMessage to them answers 403
        self.confirmed = 0  # updates below this id were acknowledged by an offset and are gone, as in Telegram
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- server ---------------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        self._new_update.set()
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        fault = self._take_fault(method, params)
        if fault and fault.kind not in ("late", "pass"):
            return await self._fail(request, fault)
        if method == "sendMessage" and params.get("chat_id") in self.blocked:
            return web.json_response({"ok": False, "error_code": 403,
                                      "description": "Forbidden: bot was blocked by the user"}, status=403)
        handler = getattr(self, f"_m_{method}", None)
        result = await handler(params) if handler else True
        self.calls.append(Call(method, params, result=result))
        self._new_call.set()
        if fault and fault.kind == "late":
            await asyncio.sleep(fault.hang_seconds)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        params: dict[str, Any] = {}
        for key, sent in form.items():
            value: Any = sent if isinstance(sent, str) else str(sent)
            if key in JSON_FIELDS:
                value = json.loads(value)
            elif key in INT_FIELDS:
                with contextlib.suppress(ValueError):
                    value = int(value)
            params[key] = value
        return params

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        queue = self.faults.get(method) or []
        for i, fault in enumerate(queue):
            if fault.chat_id is None or str(fault.chat_id) == str(params.get("chat_id")):
                return queue.pop(i)
        return None

    async def _fail(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "429":
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests",
                                      "parameters": {"retry_after": fault.retry_after}}, status=429)
        if fault.kind == "409":
            return web.json_response({"ok": False, "error_code": 409, "description": "Conflict: terminated by other "
                                      "getUpdates request; make sure that only one bot instance is running"},
                                     status=409)
        if fault.kind in ("500", "502"):
            return web.json_response({"ok": False, "error_code": int(fault.kind), "description": "Bad Gateway"},
                                     status=int(fault.kind))
        if fault.kind == "hang":
            await asyncio.sleep(fault.hang_seconds)
            return web.json_response({"ok": False, "error_code": 504, "description": "late"}, status=504)
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        raise ValueError(fault.kind)

    def inject(self, method: str, *faults: Fault) -> None:
        self.faults.setdefault(method, []).extend(faults)

    # --- Bot API methods ------------------------------------------------------------------------------

    async def _m_getMe(self, params):
        return {"id": self.bot_id, "is_bot": True, "first_name": "Recert", "username": self.username,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}

    async def _m_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        self.confirmed = max(self.confirmed, offset)
        offset = self.confirmed
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 2.0)
        while True:
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return pending[: int(params.get("limit") or 100)]
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(0.0, deadline - time.monotonic()))

    async def _m_sendMessage(self, params):
        return self._message(params)

    async def _m_editMessageText(self, params):
        return self._message(params, message_id=params.get("message_id"))

    async def _m_setWebhook(self, params):
        self.webhook = params
        return True

    async def _m_deleteWebhook(self, params):
        self.webhook = None
        return True

    def _message(self, params, message_id=None):
        chat_id = params.get("chat_id")
        return {"message_id": message_id or next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group"},
                "from": {"id": self.bot_id, "is_bot": True, "first_name": "Recert", "username": self.username},
                "text": params.get("text", "")}

    # --- making updates -------------------------------------------------------------------------------

    def push(self, payload: dict) -> int:
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, **payload})
        self._new_update.set()
        return update_id

    def text(self, chat_id: int, text: str, *, user_id: int | None = None, chat_type: str = "private",
             reply_to_bot: bool = False, reply_to: int | None = None, language_code: str | None = None) -> int:
        message = self._incoming(chat_id, user_id, chat_type)
        if language_code:
            message["from"]["language_code"] = language_code
        message["text"] = text
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        mention = f"@{self.username}"
        if mention in text:
            entities.append({"type": "mention", "offset": text.index(mention), "length": len(mention)})
        if entities:
            message["entities"] = entities
        if reply_to_bot or reply_to:
            message["reply_to_message"] = {"message_id": reply_to or 1, "date": int(time.time()),
                                           "chat": message["chat"],
                                           "from": {"id": self.bot_id, "is_bot": True, "first_name": "Recert",
                                                    "username": self.username}, "text": "earlier"}
        return self.push({"message": message})

    def sticker(self, chat_id: int) -> int:
        message = self._incoming(chat_id, None, "private")
        message["sticker"] = {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512,
                              "is_animated": False, "is_video": False, "type": "regular"}
        return self.push({"message": message})

    def callback(self, chat_id: int, data: str, message_id: int = 1, language_code: str | None = None) -> int:
        user = {"id": chat_id, "is_bot": False, "first_name": "User"}
        if language_code:
            user["language_code"] = language_code
        message = {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                   "from": {"id": self.bot_id, "is_bot": True, "first_name": "Recert", "username": self.username},
                   "text": "earlier"}
        return self.push({"callback_query": {"id": f"cb{len(self.updates)}", "from": user, "chat_instance": "ci",
                                             "message": message, "data": data}})

    def inline(self, user_id: int, query: str, language_code: str | None = None) -> int:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "User"}
        if language_code:
            user["language_code"] = language_code
        return self.push({"inline_query": {"id": f"iq{len(self.updates)}", "query": query, "offset": "",
                                           "from": user}})

    def _incoming(self, chat_id: int, user_id: int | None, chat_type: str) -> dict:
        user_id = user_id or abs(chat_id)
        chat = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "MA group"
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                "from": {"id": user_id, "is_bot": False, "first_name": "User"}}

    # --- waiting for the bot --------------------------------------------------------------------------

    def calls_to(self, method: str, **match) -> list[Call]:
        return [c for c in self.calls if c.method == method
                and all(c.params.get(k) == v for k, v in match.items())]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 15.0, **match) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method, **match)
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [(c.method, c.params.get("chat_id")) for c in self.calls[-10:]]
                raise AssertionError(f"waited {timeout}s for {count} {method} {match}; got {len(found)}; last: {seen}")
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), min(remaining, 0.5))

    async def wait_until_consumed(self, timeout: float = 15.0) -> None:
        """Until the bot has asked for updates past the last one queued (so it has them all)."""
        last = self.updates[-1]["update_id"] if self.updates else 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(int(c.params.get("offset") or 0) > last for c in self.calls_to("getUpdates")):
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the bot did not fetch all updates")
