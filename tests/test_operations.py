"""What an operator's probes and Prometheus read on the webhook server, the JSON log, and the drain on SIGTERM:
real HTTP to the real server (in this process, or `recertbot run` as a child process)."""

import asyncio
import json
import re
import signal

import httpx
import pytest

from bot.dialogue import Dialogue
from bot.store import Store
from bot.telegram import webhook
from bot.telegram.app import build_application
from bot.telegram.fake_api import Fault
from tests.telegram_harness import TOKEN, USER, settings_for
from tests.test_telegram_run import bot_env, free_port, run_bot, update_json

SECRET = "s3cret_"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus' text format (0 when the series is not there yet)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m and m[1] == name and ",".join(sorted((m[2] or "").split(","))) == wanted:
            return float(m[3])
    return 0.0


@pytest.fixture
async def served(api, kb, matcher, tmp_path):
    """The application behind our webhook server on a free port, with a store: (app, base url)."""
    store = Store.open(tmp_path)
    app = build_application(settings_for(api), Dialogue(kb, matcher), store=store)
    port = free_port()
    async with app:
        await app.start()
        http = webhook.server(app, "hook", SECRET)
        http.listen(port, address="127.0.0.1")
        try:
            yield app, f"http://127.0.0.1:{port}"
        finally:
            http.stop()
            await app.stop()
    if app.bot_data.writer is not None:
        app.bot_data.writer.close()
    store.close()


async def test_health_readiness_and_metrics_of_a_replica(served, api):
    _app, base = served
    async with httpx.AsyncClient(trust_env=False) as client:
        health = await client.get(f"{base}/healthz")
        ready = await client.get(f"{base}/readyz")
        before = (await client.get(f"{base}/metrics")).text
        api.inject("sendMessage", Fault("502"))  # one send fails for a moment and is retried
        posted = await client.post(f"{base}/hook", json=update_json(7001, "how often do i renew my ccma"),
                                   headers=HEADERS)
        scraped = await client.get(f"{base}/metrics")
    assert health.status_code == 200 and ready.status_code == 200 and ready.text.strip() == "ready", ready.text
    # The 200 comes once the update is handled: its answer is sent by then.
    assert posted.status_code == 200 and "every 2 years" in api.calls_to("sendMessage")[-1].params["text"]
    after = scraped.text
    assert scraped.headers["content-type"].startswith("text/plain")
    assert sample(after, "recertbot_messages_total", kind="answer") == sample(before, "recertbot_messages_total",
                                                                             kind="answer") + 1
    assert sample(after, "recertbot_update_seconds_count") == sample(before, "recertbot_update_seconds_count") + 1
    assert sample(after, "recertbot_send_retries_total", reason="network") >= \
        sample(before, "recertbot_send_retries_total", reason="network") + 1
    assert "how often" not in after and str(USER) not in after  # nothing a user wrote, no chat


async def test_not_ready_while_the_store_does_not_answer(served):
    app, base = served
    writer = app.bot_data.writer
    writer.flush()
    writer.store.close()  # the writer's connection is gone: every query on it fails
    async with httpx.AsyncClient(trust_env=False) as client:
        before = sample((await client.get(f"{base}/metrics")).text, "recertbot_errors_total", where="store")
        ready = await client.get(f"{base}/readyz")
        after = sample((await client.get(f"{base}/metrics")).text, "recertbot_errors_total", where="store")
        health = await client.get(f"{base}/healthz")
    assert ready.status_code == 503 and "store" in ready.text
    assert after == before + 1
    assert health.status_code == 200  # alive all the same: restarting it would not bring the store back


async def test_sigterm_drains_what_was_taken_and_refuses_the_rest(api, tmp_path):
    """The update being handled at SIGTERM is answered (and its POST gets its 200), a POST after it gets 503,
    and what the store was given is written before the process exits."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    env = {**bot_env(api.base_url), "WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET, "WEBHOOK_PORT": str(port),
           "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "INFO"}
    api.inject("sendMessage", Fault("late", hang_seconds=2.0))  # the answer is slow to be confirmed
    proc = await run_bot(env, tmp_path)
    try:
        await api.wait_for("setWebhook", timeout=30)
        async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
            taken = asyncio.create_task(client.post(url, json=update_json(1, "how often do i renew my ccma"),
                                                    headers=HEADERS))
            await api.wait_for("sendMessage", timeout=30)  # being handled now
            proc.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            refused = await client.post(url, json=update_json(2, "how many ceus for cma"), headers=HEADERS)
            ready = await client.get(f"http://127.0.0.1:{port}/readyz")
            answered = await taken
    finally:
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert refused.status_code == 503 and ready.status_code == 503
    assert answered.status_code == 200
    assert proc.returncode == 0, output.decode()[-1500:]
    assert "stopping: new updates are refused" in output.decode()
    store = Store.open(tmp_path / "data")
    try:
        assert store.inbox_pending() == []  # the taken update is marked done: nothing for the next start
        assert store.reply_kinds() == {"answer": 1}  # its record was written before the exit; #2 never came in
    finally:
        store.close()


async def test_json_logs_are_one_object_a_line_without_token_or_text(api, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    env = {**bot_env(api.base_url), "WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET, "WEBHOOK_PORT": str(port),
           "DATA_DIR": str(tmp_path / "data"), "LOG_FORMAT": "json"}
    proc = await run_bot(env, tmp_path)
    try:
        await api.wait_for("setWebhook", timeout=30)
        async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
            posted = await client.post(url, json=update_json(1, "how often do i renew my ccma"), headers=HEADERS)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert posted.status_code == 200 and proc.returncode == 0
    lines = [json.loads(line) for line in output.decode().splitlines()]  # each line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(line["message"].startswith("handled message: answer") for line in lines)
    text = output.decode()
    assert TOKEN.split(":")[1] not in text and "renew my ccma" not in text and "every 2 years" not in text


async def test_reminder_rate_sets_each_replicas_pace(api, kb, matcher, tmp_path):
    """REMINDER_RATE: with N replicas each sends 20/N reminders a second, so all together stay under Telegram's
    30 (`python -m bench replicas` measures both: 40 a second from two replicas at the default, 20 at 10)."""
    from cryptography.fernet import Fernet

    store = Store.open(tmp_path)
    settings = settings_for(api, reminder_key=Fernet.generate_key().decode(), reminder_rate=10)
    app = build_application(settings, Dialogue(kb, matcher), store=store)
    try:
        service = app.bot_data.reminders
        assert service is not None
        assert service.start(app.bot, app.bot_data.live).rate == 10
    finally:
        app.bot_data.writer.close()
        store.close()
    with pytest.raises(ValueError):
        settings_for(api, reminder_rate=25)  # above 20 one replica alone could exceed Telegram's limit
