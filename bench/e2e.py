"""Answered messages per second through the real python-telegram-bot client and the fake Bot API server on
loopback, next to the bare echo bot built the same way and measured in the same run; and start-up.

Each bot runs as its own process (`recertbot run`, `python -m bench.echo_bot`) and the fake server in this
one, so the server's work is not charged to the bot, as with the real Telegram."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from bot.telegram.fake_api import FakeBotApi

TOKEN = "123456789:AAHbenchTOKENnotArealONE_abcdefghijk"
ROOT = Path(__file__).resolve().parent.parent
BOT = "bot run"
ECHO = "bench.echo_bot"


async def _spawn(module: str, api: FakeBotApi, rate_limit: bool = True):
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    # Flood control guards against abuse; a benchmark burst is not abuse.
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url, DATA_DIR=tempfile.mkdtemp(),
               LOG_LEVEL="WARNING", FLOOD_BURST="100000", RATE_LIMIT=str(rate_limit).lower())
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", *module.split(), env=env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def _stop(proc) -> None:
    proc.send_signal(signal.SIGINT)
    await asyncio.wait_for(proc.wait(), 30)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def _throughput(module: str, questions: list[str], chats: int, per_chat: int, sequential: bool,
                      rate_limit: bool) -> tuple[float, float]:
    """(answered messages per second, the bot process's CPU milliseconds per message)"""
    api = FakeBotApi(TOKEN)
    await api.start()
    proc = await _spawn(module, api, rate_limit)
    try:
        api.text(1, questions[0])  # warm-up, and wait for the bot to be up
        await api.wait_for("sendMessage", 1, timeout=60)
        total = chats * per_chat
        cpu_before = _cpu_seconds(proc.pid)
        started = time.perf_counter()
        if sequential:
            for i in range(total):
                api.text(2, questions[i % len(questions)])
                await api.wait_for("sendMessage", 2 + i, timeout=30)
        else:
            for i in range(total):
                api.text(1000 + i % chats, questions[i % len(questions)])
            await api.wait_for("sendMessage", 1 + total, timeout=300)
        elapsed = time.perf_counter() - started
        return total / elapsed, (_cpu_seconds(proc.pid) - cpu_before) * 1000 / total
    finally:
        await _stop(proc)
        await api.stop()


SCENARIOS = [
    ("one chat, one message at a time", 1, 100, True, True),
    ("burst: 50 chats x 8 messages, rate limiter on", 50, 8, False, True),
    ("burst: 50 chats x 8 messages, rate limiter off", 50, 8, False, False),
]


REPEATS = 3  # alternating bot and echo runs, best of each: the machine is shared and noisy


def throughput(questions: list[str]) -> list[dict]:
    rows = []
    for name, chats, per_chat, sequential, limiter in SCENARIOS:
        bot = echo = (0.0, 0.0)
        for _ in range(REPEATS):
            bot = max(bot, asyncio.run(_throughput(BOT, questions, chats, per_chat, sequential, limiter)))
            echo = max(echo, asyncio.run(_throughput(ECHO, questions, chats, per_chat, sequential, limiter)))
        rows.append({"scenario": name, "recertbot_msg_s": round(bot[0], 1), "echo_msg_s": round(echo[0], 1),
                     "ratio": round(bot[0] / echo[0], 2), "recertbot_cpu_ms_msg": round(bot[1], 2),
                     "echo_cpu_ms_msg": round(echo[1], 2)})
    return rows


async def _startup(module: str) -> dict:
    api = FakeBotApi(TOKEN)
    await api.start()
    api.text(1, "how many ceus do i need to recert my cma")  # waiting for the bot's first getUpdates
    started = time.perf_counter()
    proc = await _spawn(module, api)
    try:
        await api.wait_for("sendMessage", 1, timeout=60)
        first_answer = time.perf_counter() - started
        status = Path(f"/proc/{proc.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    finally:
        await _stop(proc)
        await api.stop()
    return {"first_answer_s": round(first_answer, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}


def startup() -> list[dict]:
    bot = asyncio.run(_startup(BOT))
    echo = asyncio.run(_startup(ECHO))
    return [{"process": "recertbot run", **bot}, {"process": "echo bot", **echo},
            {"process": "ratio", "first_answer_s": round(bot["first_answer_s"] / echo["first_answer_s"], 2),
             "peak_rss_mb": round(bot["peak_rss_mb"] / echo["peak_rss_mb"], 2)}]
