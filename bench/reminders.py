"""`python -m bench reminders`: 10,000 reminders due at the same minute, all delivered under Telegram's
30 messages a second, none lost, none twice.

The store is filled beforehand (10,000 chats, one reminder each, due a minute ago, as if the bot had been down
when they fell due); then `recertbot run` starts as its own process against the fake Bot API in this one, and
sends them from its start-up pass as deployed (the scheduler's pacing and python-telegram-bot's rate limiter).
Figures: delivered, distinct chats, duplicates, the most messages the server saw in any one-second window,
the mean rate, and how late the last one was; then the store must hold nothing open."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from bot.reminder_store import ReminderStore
from bot.store import Store
from bot.telegram.fake_api import FakeBotApi, Fault
from faq.reminders import Kind, Reminder

TOKEN = "123456789:AAHbenchTOKENnotArealONE_abcdefghijk"
ROOT = Path(__file__).resolve().parent.parent
HASH_KEY = "bench-hash-key-" + "x" * 17
TELEGRAM_LIMIT = 30  # messages a second, all chats together
FIRST_CHAT = 10_000_000


def fill(data_dir: Path, key: str, count: int) -> float:
    """`count` chats with one CMA reminder each, due a minute ago; seconds it took."""
    started = time.perf_counter()
    store = Store.open(data_dir, HASH_KEY)
    reminders = ReminderStore(store, key)
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    expires = now.date() + timedelta(days=30)
    reminder = Reminder(due, Kind.BEFORE_1M, "CMA", due + timedelta(days=7),
                        {"expires": expires, "ce_open_until": expires + timedelta(days=90)}, ("CMA-CYCLE",))
    for i in range(count):
        reminders.subscribe(FIRST_CHAT + i, "CMA", date(2022, 3, 1), [reminder], now)
    store.close()
    return time.perf_counter() - started


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(count: int, faults: int, timeout: float) -> dict:
    data_dir = Path(tempfile.mkdtemp())
    key = Fernet.generate_key().decode()
    fill_seconds = fill(data_dir, key, count)
    api = FakeBotApi(TOKEN)
    await api.start()
    if faults:  # Telegram saying "too many requests" now and then: retried, never lost
        api.inject("sendMessage", *[Fault("429", retry_after=1)] * faults)
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url, DATA_DIR=str(data_dir), LOG_LEVEL="WARNING",
               STORE_HASH_KEY=HASH_KEY, REMINDER_KEY=key)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=ROOT,
                                                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL)
    try:
        sends = await api.wait_for("sendMessage", count, timeout=timeout)
        await asyncio.sleep(5)  # anything sent twice would come now
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 60)
        await api.stop()
    sends = api.calls_to("sendMessage")
    chats = [int(c.params["chat_id"]) for c in sends]
    times = sorted(c.at for c in sends)
    store = Store.open(data_dir, HASH_KEY)
    left = ReminderStore(store, key).states()
    store.close()
    spread = times[-1] - times[0]
    return {
        "reminders": count, "delivered": len(sends), "distinct_chats": len(set(chats)),
        "lost": len(set(range(FIRST_CHAT, FIRST_CHAT + count)) - set(chats)),
        "duplicates": len(chats) - len(set(chats)), "injected_429s": faults,
        "max_msgs_in_any_1s": max_in_window(times), "telegram_limit_per_s": TELEGRAM_LIMIT,
        "mean_msgs_per_s": round((len(times) - 1) / spread, 1) if spread else None,
        "first_after_start_s": round(times[0] - started, 2), "last_after_start_s": round(times[-1] - started, 1),
        "rows_left_in_store": left, "fill_store_s": round(fill_seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reminders", description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--faults", type=int, default=20, help="429 answers injected on sendMessage")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reminders.json")
    args = parser.parse_args(argv)
    timeout = args.count / 20 + 120  # well past what 25 a second needs
    result = asyncio.run(run(args.count, args.faults, timeout))
    width = max(map(len, result))
    for name, value in result.items():
        print(f"{name.ljust(width)}  {value}")
    ok = (result["distinct_chats"] == args.count and not result["duplicates"]
          and result["max_msgs_in_any_1s"] <= TELEGRAM_LIMIT and not result["rows_left_in_store"])
    print("OK: all delivered once, within the limit" if ok else "FAILED")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
