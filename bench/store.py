"""`python -m bench store`: what the store costs per exchange, on SQLite and on PostgreSQL, on this machine.

One exchange is what the running bot asks of its store for one message: keep the update in the inbox, read the
chat's state, record the exchange, and mark the update done with the chat's new state (four calls, three
commits). Both backends are durable as deployed: SQLite in WAL mode with synchronous=NORMAL (a commit survives
the process, not a power cut), PostgreSQL with its defaults (fsync and synchronous_commit on: a commit survives
a power cut too), and PostgreSQL with synchronous_commit=off (a commit no longer waits for its WAL flush: it
survives the bot's crash, as SQLite's does, but not the server's), on a throwaway server (bot/devdb.py) over
loopback TCP. Rounds alternate between the three; the figures are the median round with its min and max."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from bot.contracts import Exchange
from bot.devdb import throwaway_postgres
from bot.store import DB_NAME, Store

KEY = b"k" * 32
STATE = '{"state":{"__dc":"bot.contracts.ChatState","offered":[],"language":"auto"},"feedback_prompt":null}'


def exchanges(store: Store, first: int, count: int) -> float:
    """Seconds per exchange over `count` exchanges of 50 chats."""
    started = time.perf_counter()
    for update_id in range(first, first + count):
        chat = update_id % 50
        store.inbox_add(update_id, f'{{"update_id": {update_id}}}')
        store.chat_state(chat)
        store.record(chat, Exchange("telegram", "how many ceus", "answer", "cma-ce-total"))
        store.inbox_done(update_id, chat, STATE)
    return (time.perf_counter() - started) / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench store", description=__doc__)
    parser.add_argument("--exchanges", type=int, default=500, help="per round and backend")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, throwaway_postgres() as pg:
        relaxed = pg.create_database("relaxed")
        with psycopg.connect(pg.admin_url, autocommit=True) as conn:
            conn.execute("ALTER DATABASE relaxed SET synchronous_commit = off")
        stores = {"sqlite": Store(Path(folder) / DB_NAME, KEY), "postgresql": Store(pg.create_database(), KEY),
                  "postgresql, synchronous_commit=off": Store(relaxed, KEY)}
        times: dict[str, list[float]] = {kind: [] for kind in stores}
        for store in stores.values():
            exchanges(store, 0, 50)  # warm-up: connections, caches, the first pages
        for n in range(args.rounds):
            for kind, store in stores.items():
                times[kind].append(exchanges(store, 1000 + n * args.exchanges, args.exchanges))
        for store in stores.values():
            store.close()
    rows = {}
    for kind, values in times.items():
        rows[kind] = {"median_ms": round(statistics.median(values) * 1000, 3), "min_ms": round(min(values) * 1000, 3),
                      "max_ms": round(max(values) * 1000, 3)}
    ratios = {kind: round(row["median_ms"] / rows["sqlite"]["median_ms"], 2) for kind, row in rows.items()}
    print(f"store cost per exchange ({args.exchanges} exchanges × {args.rounds} alternating rounds):")
    for kind, row in rows.items():
        print(f"  {kind:<34} {row['median_ms']:.3f} ms  [{row['min_ms']:.3f}–{row['max_ms']:.3f}]")
    print("  against SQLite: " + ", ".join(f"{kind} {ratio:.2f}×" for kind, ratio in ratios.items()))
    print(json.dumps({"store": {**rows, "vs_sqlite": ratios}}))
    return 0
