"""Serving Telegram: the webhook, and `recertbot run` as a new user would start it."""

import asyncio
import logging
import os
import signal
import socket
import sys
import time

import httpx
import pytest

from bot.dialogue import Dialogue
from bot.settings import Settings
from bot.telegram.app import build_application
from bot.telegram.fake_api import FakeBotApi, Fault
from tests.telegram_harness import TOKEN, USER, settings_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def update_json(update_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": USER, "type": "private"}, "from": {"id": USER, "is_bot": False, "first_name": "U"}}}


async def test_webhook_accepts_the_secret_and_rejects_the_rest(api, kb, matcher):
    port = free_port()
    app = build_application(settings_for(api), Dialogue(kb, matcher))
    url = f"http://127.0.0.1:{port}/hook"
    async with app:
        await app.start()
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook", secret_token="s3cret_",
                                        webhook_url=url)
        try:
            assert api.webhook["url"] == url and api.webhook["secret_token"] == "s3cret_"
            async with httpx.AsyncClient(trust_env=False) as client:
                ok = await client.post(url, json=update_json(1, "how often do i renew my ccma"),
                                       headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_"})
                missing = await client.post(url, json=update_json(2, "how many ceus for cma"))
                wrong = await client.post(url, json=update_json(3, "how many ceus for cma"),
                                          headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
                not_json = await client.post(url, content=b"not an update",
                                             headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_",
                                                      "Content-Type": "application/json"})
                not_update = await client.post(url, json={"hello": "world"},
                                               headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_"})
            assert ok.status_code == 200
            assert missing.status_code == 403 and wrong.status_code == 403
            assert not_json.status_code >= 400 and not_update.status_code == 400
            [sent] = await api.wait_for("sendMessage", chat_id=USER)
            assert "every 2 years" in sent.params["text"]
            await asyncio.sleep(0.3)
            assert len(api.calls_to("sendMessage")) == 1  # the rejected ones were never handled
        finally:
            await app.updater.stop()
            await app.stop()


def bot_env(api_url: str, token: str = TOKEN) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env.update(TELEGRAM_BOT_TOKEN=token, TELEGRAM_BASE_URL=api_url, LOG_LEVEL="DEBUG", PYTHONUNBUFFERED="1")
    return env


async def run_bot(env: dict, cwd) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


async def test_recertbot_run_answers_and_stops_cleanly_on_sigint(api, tmp_path):
    proc = await run_bot(bot_env(api.base_url), tmp_path)
    try:
        await api.wait_for("setMyCommands", timeout=30)
        api.text(USER, "/start")
        api.text(USER, "how many ceus do i need to recert my cma")
        sent = await api.wait_for("sendMessage", 2, chat_id=USER, timeout=30)
        assert "60 recertification points" in sent[1].params["text"]
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, output.decode()
    assert TOKEN not in output.decode()
    assert TOKEN.split(":")[1] not in output.decode()
    assert "recert my cma" not in output.decode() and "60 recertification points" not in output.decode()  # at DEBUG


async def test_a_rejected_token_gives_one_clear_line_without_the_token(tmp_path):
    api = FakeBotApi("999999999:AAother_token_the_server_expects_xxxxxxx")
    await api.start()
    try:
        proc = await run_bot(bot_env(api.base_url), tmp_path)
        output, _ = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await api.stop()
    text = output.decode()
    assert proc.returncode == 2
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


@pytest.mark.parametrize("token, message", [("not-a-token", "does not look like a bot token"),
                                            ("", "TELEGRAM_BOT_TOKEN is not set")])
async def test_a_missing_or_malformed_token_is_one_line(tmp_path, token, message):
    env = bot_env("http://127.0.0.1:9/bot", token)
    proc = await run_bot(env, tmp_path)
    output, _ = await asyncio.wait_for(proc.communicate(), 60)
    lines = output.decode().strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and message in lines[0]
    assert "Traceback" not in output.decode()
    if token:
        assert token not in lines[0]


def test_recertbot_without_a_token_starts_the_terminal_chat(tmp_path):
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "bot"], input="how often do i renew my ccma\nquit\n",
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0
    assert "No TELEGRAM_BOT_TOKEN is set" in result.stdout and "every 2 years" in result.stdout


def test_the_token_is_read_from_dotenv(tmp_path, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\n")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.token_problem() is None
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


async def test_recertbot_run_serves_a_webhook_when_one_is_set(api, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/recertbot-hook"
    env = {**bot_env(api.base_url), "WEBHOOK_URL": url, "WEBHOOK_SECRET": "hook_secret_1", "WEBHOOK_PORT": str(port)}
    proc = await run_bot(env, tmp_path)
    try:
        await api.wait_for("setWebhook", timeout=30)
        assert api.webhook["url"] == url
        async with httpx.AsyncClient(trust_env=False) as client:
            rejected = await client.post(url, json=update_json(1, "how many ceus for cma"))
            accepted = await client.post(url, json=update_json(2, "how often do i renew my ccma"),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "hook_secret_1"})
        assert rejected.status_code == 403 and accepted.status_code == 200
        [sent] = await api.wait_for("sendMessage", chat_id=USER, timeout=30)
        assert "every 2 years" in sent.params["text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, output.decode()[-1500:]
    assert TOKEN.split(":")[1] not in output.decode()


async def test_a_webhook_without_a_secret_is_refused(tmp_path):
    env = {**bot_env("http://127.0.0.1:9/bot"), "WEBHOOK_URL": "https://127.0.0.1/hook"}
    proc = await run_bot(env, tmp_path)
    output, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2 and "WEBHOOK_SECRET is not" in output.decode()


@pytest.mark.parametrize("secret, url, message", [
    ("has spaces!", "https://example.org/hook", "WEBHOOK_SECRET may only use"),
    ("fine_secret", "http://example.org/hook", "WEBHOOK_URL must be an https:// address"),
])
async def test_webhook_settings_telegram_would_refuse_stop_the_start(tmp_path, secret, url, message):
    env = {**bot_env("https://api.telegram.org/bot"), "WEBHOOK_URL": url, "WEBHOOK_SECRET": secret}
    proc = await run_bot(env, tmp_path)
    output, _ = await asyncio.wait_for(proc.communicate(), 60)
    lines = output.decode().strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and message in lines[0]


async def test_the_start_up_line_names_mode_entries_and_where_things_are(api, tmp_path):
    (tmp_path / ".env").write_text("DATA_DIR=state\n")
    env = {**bot_env(api.base_url), "LOG_LEVEL": "INFO"}
    api.inject("getUpdates", Fault("409"))  # and another instance polling at first: said as such
    proc = await run_bot(env, tmp_path)
    try:
        await api.wait_for("setMyCommands", timeout=30)
        api.text(USER, "how many ceus do i need to recert my cma")
        await api.wait_for("sendMessage", chat_id=USER, timeout=30)
        await asyncio.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
    text = output.decode()
    [start] = [line for line in text.splitlines() if "recertbot starting" in line]
    assert "INFO" in start and "long polling" in start and "entries" in start
    assert f"settings from {tmp_path.resolve() / '.env'}" in start
    assert f"data folder {tmp_path.resolve() / 'state'}" in start and "recertbot.sqlite3" in start
    assert (tmp_path / "state" / "recertbot.sqlite3").exists()
    [handled] = [line for line in text.splitlines() if "handled message" in line]
    assert "answer cma-ce-total in" in handled and "ms" in handled and "recert" not in handled
    assert "another instance is polling" in text and "Traceback" not in text


async def test_another_instance_polling_is_named_in_the_log_not_a_traceback(api, kb, matcher, caplog):
    from bot.dialogue import Dialogue
    from tests.telegram_harness import serve, stop

    api.inject("getUpdates", Fault("409"))
    with caplog.at_level(logging.WARNING):
        app = await serve(api, Dialogue(kb, matcher))
        try:
            api.text(USER, "how often do i renew my ccma")
            await api.wait_for("sendMessage", chat_id=USER, timeout=30)
        finally:
            await stop(app)
    [line] = [r for r in caplog.records if "409" in r.getMessage()]
    assert "another instance is polling" in line.getMessage() and line.exc_info is None


async def test_our_webhook_refuses_what_is_not_an_update_and_oversized_bodies(api, kb, matcher):
    from bot.telegram import webhook

    port = free_port()
    app = build_application(settings_for(api), Dialogue(kb, matcher))
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_"}
    async with app:
        await app.start()
        http = webhook.server(app, "hook", "s3cret_")
        http.listen(port, address="127.0.0.1")
        url = f"http://127.0.0.1:{port}/hook"
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                not_json = await client.post(url, content=b"{not json", headers=headers)
                not_update = await client.post(url, json={"hello": "world"}, headers=headers)
                wrong = await client.post(url, json=update_json(1, "how many ceus for cma"),
                                          headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
                try:
                    big = (await client.post(url, content=b" " * (webhook.MAX_BODY + 1), headers=headers)).status_code
                except httpx.HTTPError:
                    big = "closed"  # refused before the body was read
                ok = await client.post(url, json=update_json(2, "how often do i renew my ccma"), headers=headers)
            assert not_json.status_code == 400 and not_update.status_code == 400
            assert wrong.status_code == 403 and big in (400, 413, "closed") and ok.status_code == 200
            [sent] = await api.wait_for("sendMessage", chat_id=USER)
            assert "every 2 years" in sent.params["text"]
            await asyncio.sleep(0.3)
            assert len(api.calls_to("sendMessage")) == 1
        finally:
            http.stop()
            await app.stop()
