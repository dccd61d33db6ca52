"""Answered messages per second through the real python-telegram-bot client and the fake Bot API server on
loopback, next to a bare python-telegram-bot bot (bench/echo_bot.py: imports nothing of ours) that sends the
very same replies, measured in the same run, alternating; and start-up.

Each bot runs as its own process (`recertbot run`, `python -m bench.echo_bot`) and the fake server in this
one, so the server's work is not charged to the bot, as with the real Telegram. Every figure is the median of
REPEATS runs, with the min and max beside it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.telegram.fake_api import FakeBotApi

TOKEN = "123456789:AAHbenchTOKENnotArealONE_abcdefghijk"
ROOT = Path(__file__).resolve().parent.parent
BOT = "bot run"
ECHO = "bench.echo_bot"


REPLIES = Path(tempfile.mkdtemp()) / "replies.json"
# The bots' own cache folder (XDG_CACHE_HOME), its compiled knowledge base written before any start is timed:
# what is measured is a restart with the knowledge base unchanged. The user's cache folder is shared with every
# other checkout on the machine, whose keys push this one's out (bot/kb_cache.py keeps the last few).
CACHE = Path(tempfile.mkdtemp())


def warm_cache() -> None:
    """A restart of an installed bot: its knowledge base compiled, and its modules' bytecode up to date, as
    python-telegram-bot's is. (With PYTHONDONTWRITEBYTECODE set, as on these machines, an edited module's stale
    bytecode is never rewritten, and every start compiled it again: some 70 ms of CPU when this was found.)"""
    import compileall

    from bot.kb_cache import load_compiled

    load_compiled(folder=CACHE / "recertbot")
    for package in ("bot", "faq", "bench"):
        compileall.compile_dir(ROOT / package, quiet=1)


def write_replies(questions: list[str]) -> None:
    """What recertbot sends for each question (from a fresh chat), for the bare bot to send the same."""
    from bot.contracts import ChatState, ReplyKind
    from bot.dialogue import Dialogue
    from bot.telegram.render import reply_messages

    dialogue = Dialogue()
    replies = {}
    for q in questions:
        reply, _ = dialogue.respond(q, ChatState())
        feedback = reply.entry if reply.kind == ReplyKind.ANSWER else None  # the bot runs with a store
        replies[q] = [[html, markup.to_dict() if markup else None]
                      for html, markup in reply_messages(reply, feedback_for=feedback)]
    REPLIES.write_text(json.dumps(replies))


async def _spawn(module: str, api: FakeBotApi, rate_limit: bool = True, extra: dict[str, str] | None = None):
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env.update(REPLIES_FILE=str(REPLIES), XDG_CACHE_HOME=str(CACHE), **(extra or {}))
    # Flood control guards against abuse; a benchmark burst is not abuse.
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url, DATA_DIR=tempfile.mkdtemp(),
               LOG_LEVEL="WARNING", FLOOD_BURST="100000", RATE_LIMIT=str(rate_limit).lower())
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", *module.split(), env=env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def _stop(proc) -> None:
    proc.send_signal(signal.SIGINT)
    await asyncio.wait_for(proc.wait(), 30)


def _cpu_seconds(pid: int, thread: int | None = None) -> float:
    """The process's CPU, all threads; or one thread's (the main thread's id is the process's)."""
    stat = f"/proc/{pid}/task/{thread}/stat" if thread is not None else f"/proc/{pid}/stat"
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def _throughput(module: str, questions: list[str], chats: int, per_chat: int, sequential: bool,
                      rate_limit: bool) -> tuple[float, float, float]:
    """(answered messages per second, the bot process's CPU milliseconds per message, those of its main thread:
    the event loop's, without recertbot's store writer thread)"""
    api = FakeBotApi(TOKEN)
    await api.start()
    proc = await _spawn(module, api, rate_limit)
    try:
        api.text(1, questions[0])  # warm-up, and wait for the bot to be up
        await api.wait_for("sendMessage", 1, timeout=60)
        total = chats * per_chat
        cpu_before, loop_before = _cpu_seconds(proc.pid), _cpu_seconds(proc.pid, proc.pid)
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
        return (total / elapsed, (_cpu_seconds(proc.pid) - cpu_before) * 1000 / total,
                (_cpu_seconds(proc.pid, proc.pid) - loop_before) * 1000 / total)
    finally:
        await _stop(proc)
        await api.stop()


SCENARIOS = [  # name, chats, messages per chat, one at a time, rate limiter, repeats
    ("one chat, one message at a time", 1, 100, True, False, 3),
    ("burst: 50 chats x 8 messages", 50, 8, False, False, 3),
    ("burst: 50 chats x 8, rate limiter on = Telegram's cap (measures the limiter, not the bot)", 50, 8, False,
     True, 1),
]
REPEATS = 3  # alternating bot and bare-bot runs: the machine is shared and noisy


def _spread(values: list[float], digits: int = 1) -> dict[str, float]:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits)}


def throughput(questions: list[str]) -> list[dict]:
    write_replies(questions)
    warm_cache()
    rows = []
    for name, chats, per_chat, sequential, limiter, repeats in SCENARIOS:
        bot: list[tuple[float, float, float]] = []
        bare: list[tuple[float, float, float]] = []
        for _ in range(repeats):
            bot.append(asyncio.run(_throughput(BOT, questions, chats, per_chat, sequential, limiter)))
            bare.append(asyncio.run(_throughput(ECHO, questions, chats, per_chat, sequential, limiter)))
        ratios = [b[0] / e[0] for b, e in zip(bot, bare, strict=True)]
        b_rate, e_rate = _spread([b[0] for b in bot]), _spread([e[0] for e in bare])
        b_cpu, e_cpu = _spread([b[1] for b in bot], 2), _spread([e[1] for e in bare], 2)
        b_loop, e_loop = _spread([b[2] for b in bot], 2), _spread([e[2] for e in bare], 2)
        rows.append({"scenario": name, "runs": repeats,
                     "recertbot_msg_s": b_rate["median"], "recertbot_msg_s_min_max": [b_rate["min"], b_rate["max"]],
                     "bare_msg_s": e_rate["median"], "bare_msg_s_min_max": [e_rate["min"], e_rate["max"]],
                     "ratio": round(statistics.median(ratios), 2),
                     "ratio_min_max": [round(min(ratios), 2), round(max(ratios), 2)],
                     "recertbot_cpu_ms_msg": b_cpu["median"], "bare_cpu_ms_msg": e_cpu["median"],
                     "recertbot_loop_cpu_ms_msg": b_loop["median"],
                     "recertbot_loop_cpu_ms_msg_min_max": [b_loop["min"], b_loop["max"]],
                     "bare_loop_cpu_ms_msg": e_loop["median"]})
    return rows


async def _startup(module: str, extra: dict[str, str]) -> dict:
    api = FakeBotApi(TOKEN)
    await api.start()
    api.text(1, "how many ceus do i need to recert my cma")  # waiting for the bot's first getUpdates
    started = time.perf_counter()
    proc = await _spawn(module, api, extra=extra)
    try:
        await api.wait_for("sendMessage", 1, timeout=60)
        first_answer = time.perf_counter() - started
        # The CPU it took, less swayed than the wall time by what else the shared machine runs meanwhile.
        cpu, peak = _cpu_seconds(proc.pid), _peak_rss_mb(proc.pid)
        # And once settled: what a bot leaves for after its first answer (recertbot: numpy) is work all the same.
        await asyncio.sleep(SETTLE)
        settled_cpu, settled_peak = _cpu_seconds(proc.pid), _peak_rss_mb(proc.pid)
    finally:
        await _stop(proc)
        await api.stop()
    return {"first_answer_s": round(first_answer, 3), "cpu_s": round(cpu, 3), "peak_rss_mb": peak,
            "settled_cpu_s": round(settled_cpu, 3), "settled_peak_rss_mb": settled_peak}


SETTLE = 1.5  # seconds after the first answer at which a start's CPU and memory are read again


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024, 1)


# The bare bot twice: as it is, and importing the libraries recertbot imports on its way to its first answer
# (bench/echo_bot.py LIBRARIES), which is what the libraries alone cost.
STARTS = (("recertbot run", BOT, {}), ("bare bot", ECHO, {}),
          ("bare bot + recertbot's libraries", ECHO, {"LIBRARIES": "true"}))


def startup(repeats: int = REPEATS) -> list[dict]:
    if not REPLIES.exists():
        write_replies(["how many ceus do i need to recert my cma"])
    warm_cache()
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in STARTS}
    for _ in range(repeats):
        for name, module, extra in STARTS:
            runs[name].append(asyncio.run(_startup(module, extra)))
    columns = (("first_answer_s", 2), ("cpu_s", 2), ("peak_rss_mb", 1), ("settled_cpu_s", 2),
               ("settled_peak_rss_mb", 1))
    rows = []
    for name, measured in runs.items():
        row: dict = {"process": name}
        for column, digits in columns:
            spread = _spread([r[column] for r in measured], digits)
            row[column], row[f"{column}_min_max"] = spread["median"], [spread["min"], spread["max"]]
        rows.append(row)
    bare = runs["bare bot"]
    for name, _, _ in (STARTS[0], STARTS[2]):
        row = {"process": f"ratio: {name} / bare bot"}
        for column, _ in columns:
            ratios = [b[column] / e[column] for b, e in zip(runs[name], bare, strict=True)]
            row[column] = round(statistics.median(ratios), 2)
            row[f"{column}_min_max"] = [round(min(ratios), 2), round(max(ratios), 2)]
        rows.append(row)
    return rows


def ask(repeats: int = 10) -> dict:
    """`recertbot ask "hi"`: process start to exit, as a user runs it; next to `python -c pass`."""
    import subprocess

    def timed(cmd: list[str]) -> list[float]:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
            times.append(time.perf_counter() - started)
        return times

    ask_s = timed([sys.executable, "-m", "bot", "ask", "hi"])
    bare_s = timed([sys.executable, "-c", "pass"])
    return {"ask_hi_s": _spread(ask_s, 3), "python_alone_s": _spread(bare_s, 3), "runs": repeats}
