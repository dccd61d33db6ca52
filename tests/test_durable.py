"""Nothing lost, nothing twice: `recertbot run` killed with SIGKILL mid-burst, then started again.

Each question is "/check ccma hours=K", whose answer starts "K hours of CE make": so every answer names the
question it answers, and the test counts what was lost (never answered) and what was answered twice.
"""

import asyncio
import re
import signal
import time

import pytest

from bot.telegram.fake_api import Fault
from tests.test_telegram_run import bot_env, run_bot

CHAT = 8001
QUEUED = 150
ANSWER = re.compile(r"^(\d+) hours of CE make")


def answers(api) -> list[int]:
    return [int(m.group(1)) for c in api.calls_to("sendMessage", chat_id=CHAT)
            if (m := ANSWER.match(c.params["text"]))]


async def answered_count(api, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(set(answers(api))) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(set(answers(api)))} of {count} answered after {timeout}s")
        await asyncio.sleep(0.05)


async def kill_and_restart(api, tmp_path, kill_when, env_extra=None):
    """Queues QUEUED questions, kills the bot with SIGKILL once `kill_when()` holds, starts it again and
    waits for every question to be answered. Returns (lost, answered twice)."""
    env = {**bot_env(api.base_url), "FLOOD_BURST": "1000", "LOG_LEVEL": "INFO", **(env_extra or {})}
    for k in range(1, QUEUED + 1):
        api.text(CHAT, f"/check ccma hours={k}")
    proc = await run_bot(env, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not kill_when():
            assert time.monotonic() < deadline, "the bot never reached the point to kill it at"
            assert proc.returncode is None
            await asyncio.sleep(0.01)
    finally:
        proc.kill()
        await asyncio.wait_for(proc.communicate(), 30)
    before = len(answers(api))
    assert before < QUEUED  # killed mid-burst
    proc = await run_bot(env, tmp_path)
    try:
        await answered_count(api, QUEUED, timeout=90)
        await api.wait_until_consumed()
        await asyncio.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, output.decode()[-2000:]
    got = answers(api)
    lost = set(range(1, QUEUED + 1)) - set(got)
    return lost, len(got) - len(set(got))


@pytest.mark.parametrize("after", [1, 20, 60])
async def test_sigkill_mid_burst_loses_nothing_and_repeats_at_most_one(api, tmp_path, after):
    lost, twice = await kill_and_restart(api, tmp_path, lambda: len(answers(api)) >= after)
    assert not lost
    assert twice <= 1  # the one answer that may have been sent and not yet marked done


async def test_sigkill_between_the_send_and_the_mark_repeats_that_one_answer(api, tmp_path):
    # The 11th answer reaches Telegram but its response never comes back: killed right then.
    api.inject("sendMessage", *[Fault("pass")] * 10, Fault("late", hang_seconds=5))
    lost, twice = await kill_and_restart(api, tmp_path, lambda: len(answers(api)) >= 11)
    assert not lost and twice == 1
    assert answers(api).count(11) == 2


async def test_sigkill_before_the_send_repeats_nothing(api, tmp_path):
    # The 11th send hangs before Telegram performs it: killed then, it is sent once, by the next run.
    api.inject("sendMessage", *[Fault("pass")] * 10, Fault("hang", hang_seconds=5))
    lost, twice = await kill_and_restart(
        api, tmp_path, lambda: len(answers(api)) >= 10 and not api.faults["sendMessage"])
    assert not lost and twice == 0


async def test_sigkill_before_any_answer_loses_nothing(api, tmp_path):
    # Killed as soon as the batch is confirmed to Telegram (the second getUpdates), before the first answer.
    api.inject("sendMessage", Fault("hang", hang_seconds=5))
    lost, twice = await kill_and_restart(
        api, tmp_path, lambda: api.confirmed > 1 and not api.faults["sendMessage"])
    assert not lost and twice == 0
