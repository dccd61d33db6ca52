"""`python -m bench store`: what the store costs per exchange, on SQLite and on PostgreSQL, on this machine.

One exchange is what the running bot asks of its store for one message: keep the update in the inbox, read the
chat's state, record the exchange, and mark the update done with the chat's new state (four calls, three
commits). Both backends are durable as deployed: SQLite in WAL mode with synchronous=NORMAL (a commit survives
the process, not a power cut), PostgreSQL with its defaults (fsync and synchronous_commit on: a commit survives
a power cut too), on a throwaway server (bot/devdb.py) over loopback TCP. Rounds alternate between the two;
the figures are the median round with its min and max."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

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
    times: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    with tempfile.TemporaryDirectory() as folder, throwaway_postgres() as pg:
        stores = {"sqlite": Store(Path(folder) / DB_NAME, KEY), "postgresql": Store(pg.create_database(), KEY)}
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
    ratio = rows["postgresql"]["median_ms"] / rows["sqlite"]["median_ms"]
    print(f"store cost per exchange ({args.exchanges} exchanges × {args.rounds} alternating rounds):")
    for kind, row in rows.items():
        print(f"  {kind:<11} {row['median_ms']:.3f} ms  [{row['min_ms']:.3f}–{row['max_ms']:.3f}]")
    print(f"  PostgreSQL / SQLite: {ratio:.2f}×")
    print(json.dumps({"store": {**rows, "postgresql_vs_sqlite": round(ratio, 2)}}))
    return 0
