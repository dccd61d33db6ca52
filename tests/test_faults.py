"""Telegram misbehaving: faults on getUpdates and sendMessage, floods, and the token kept out of logs."""

import asyncio
import io
import logging
import re
import signal

import pytest

from bot import log_setup
from bot.dialogue import Dialogue
from bot.telegram import retry
from bot.telegram.fake_api import Fault
from tests.telegram_harness import TOKEN, serve, stop

CHATS = (6001, 6002, 6003)
ANSWER = re.compile(r"you have (\d+) of the 30 CCP points")


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    """The same retries with shorter waits, so the suite stays quick."""
    monkeypatch.setattr("bot.telegram.retry.FIRST_DELAY", 0.05)
    monkeypatch.setattr("bot.telegram.retry.MAX_DELAY", 0.2)


async def serving(api, kb, matcher, **overrides):
    return await serve(api, Dialogue(kb, matcher), http_timeout=1.0, **overrides)


def answered(api):
    """(chat, number asked) for every /check answer sent."""
    return [(c.params["chat_id"], int(ANSWER.search(c.params["text"]).group(1)))
            for c in api.calls_to("sendMessage") if ANSWER.search(c.params["text"])]


async def test_every_update_is_answered_exactly_once_through_faults(api, kb, matcher):
    api.inject("getUpdates", Fault("500"), Fault("429", retry_after=1), Fault("drop"), Fault("502"),
               Fault("hang", hang_seconds=2.5))
    api.inject("sendMessage", Fault("429", retry_after=1), Fault("500"), Fault("drop"), Fault("502"),
               Fault("hang", hang_seconds=2.5), Fault("500"), Fault("429", retry_after=1))
    app = await serving(api, kb, matcher, flood_burst=1000)
    try:
        asked = []
        for k in range(1, 11):
            for chat in CHATS:
                api.text(chat, f"/check rma {k}")
                asked.append((chat, k))
            await asyncio.sleep(0.05)
        await api.wait_for("sendMessage", len(asked), timeout=90)
        await api.wait_until_consumed()
        await asyncio.sleep(0.5)
        assert sorted(answered(api)) == sorted(asked)  # none lost, none twice
        assert not api.faults["getUpdates"] and not api.faults["sendMessage"]  # every fault was hit
        assert app.running and app.updater.running
    finally:
        await stop(app)


async def test_one_users_flood_gets_a_notice_and_does_not_hold_up_others(api, kb, matcher):
    app = await serving(api, kb, matcher, flood_burst=8, flood_per_seconds=10)
    try:
        flooder, other = 6100, 6200
        for _ in range(200):
            api.text(flooder, "how many ceus for my cma")
        api.text(other, "how often do i renew my ccma")
        [answer] = await api.wait_for("sendMessage", 1, chat_id=other, timeout=30)
        before = [c for c in api.calls_to("sendMessage", chat_id=flooder) if c.at <= answer.at]
        assert len(before) <= 8 + 1 + 2  # the burst, one notice, and at most a refill or two
        await api.wait_until_consumed()
        await asyncio.sleep(0.5)
        sent = api.calls_to("sendMessage", chat_id=flooder)
        assert len([c for c in sent if "faster than I can answer" in c.params["text"]]) == 1
        assert len(sent) < 20  # the other ~190 were not answered
    finally:
        await stop(app)


async def test_the_token_never_reaches_the_logs_of_a_failing_run(api, kb, matcher):
    buffer = io.StringIO()
    log_setup.configure("DEBUG", TOKEN, stream=buffer)
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # httpx logs full URLs, token included
    api.inject("sendMessage", *[Fault("500")] * (retry.ATTEMPTS + 1))  # past the retries: the error handler runs
    api.inject("getUpdates", Fault("drop"), Fault("500"))
    app = await serving(api, kb, matcher)
    try:
        api.text(6300, "how many ceus for my cma")
        await api.wait_for("sendMessage", 1, chat_id=6300, timeout=60)
        await api.wait_until_consumed()
    finally:
        await stop(app)
        logging.getLogger().handlers.clear()
    text = buffer.getvalue()
    assert "ERROR" in text and "Traceback" in text  # the run did fail, and was logged in full
    assert "[token]" in text  # httpx's URL lines were there, redacted
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


async def test_sigterm_mid_burst_then_restart_loses_nothing_and_repeats_nothing(api, tmp_path):
    from tests.test_telegram_run import bot_env, run_bot

    env = {**bot_env(api.base_url), "FLOOD_BURST": "1000"}  # a burst by design here, not a flood
    asked = []
    for k in range(1, 21):
        for chat in CHATS[:2]:
            asked.append((chat, k))
    proc = await run_bot(env, tmp_path)
    try:
        await api.wait_for("setMyCommands", timeout=30)
        for chat, k in asked:
            api.text(chat, f"/check rma {k}")
        await api.wait_for("sendMessage", 3, timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, output.decode()[-2000:]
    first_run = len(answered(api))
    proc = await run_bot(env, tmp_path)
    try:
        await api.wait_for("sendMessage", len(asked), timeout=60)
        await api.wait_until_consumed()
        await asyncio.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 60)
    assert sorted(answered(api)) == sorted(asked)
    assert first_run > 0  # the first run answered some before stopping; the restart did the rest


async def test_a_send_whose_response_is_lost_is_repeated_at_most_once(api, kb, matcher):
    # Telegram performs each send, but the responses of the first three never come back (time-outs).
    api.inject("sendMessage", *[Fault("late", hang_seconds=3)] * 3)
    app = await serving(api, kb, matcher)
    try:
        api.text(6400, "/check rma 7")
        await api.wait_for("sendMessage", 1, chat_id=6400, timeout=30)
        await asyncio.sleep(4)
        sent = api.calls_to("sendMessage", chat_id=6400)
        assert len(sent) == 2  # the answer and, at most, one copy of it; no "went wrong" after them
        assert all(ANSWER.search(c.params["text"]) for c in sent)
    finally:
        await stop(app)
