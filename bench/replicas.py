"""`python -m bench replicas`: messages a second through nginx with one and with two webhook replicas, and the
store's cost per exchange on each backend.

Both clusters (bench/cluster.py: nginx, the replicas, one shared store each, a fake Bot API posting updates to
the proxy with 40 connections, as Telegram does by default) are up at once and the bursts alternate between
them, so the shared machine's noise falls on both alike. Rate limiter off (with it on, every setup runs at
Telegram's ~30 messages a second); flood control off (a benchmark burst is not abuse). Everything runs on this
one machine: the fake Bot API (in this process), nginx and the replicas share its cores.

The store's cost per exchange: what the bot asks of the store for one message (keep the update in the inbox,
read the chat's state, record the exchange, mark the update done with the new state), timed in a loop on one
connection, per backend.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.cluster import HASH_KEY, Cluster
from bench.e2e import TOKEN, _cpu_seconds
from bot.contracts import Exchange
from bot.store import Store
from bot.telegram.fake_api import FakeBotApi

QUESTIONS = ["how often do i renew my ccma", "how many ceus do i need to recert my cma", "what is the rma annual fee",
             "can i recertify my cma by exam", "how many credits for ncma renewal"]
CHATS, PER_CHAT = 50, 8  # a burst, as in the end-to-end benchmark
REPEATS = 5
EXCHANGES = 300  # per timing of the store
BENCH_ENV = {"RATE_LIMIT": "false", "FLOOD_BURST": "100000", "LOG_LEVEL": "WARNING"}


def _spread(values: list[float], digits: int = 1) -> dict[str, float]:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits)}


async def _burst(api: FakeBotApi, cluster: Cluster, first_chat: int) -> tuple[float, float, float]:
    """(updates handled a second through the proxy, the replicas' CPU milliseconds per update, and this
    process's: the fake Bot API posting the updates and taking the sends)"""
    pids = [r.process.pid for r in cluster.members if r.process is not None]
    cpu, own = sum(_cpu_seconds(pid) for pid in pids), time.process_time()
    started = time.perf_counter()
    ids = {api.text(first_chat + i % CHATS, QUESTIONS[i % len(QUESTIONS)]) for i in range(CHATS * PER_CHAT)}
    await api.wait_delivered(ids, timeout=300)  # a 200 comes once its update is handled
    elapsed = time.perf_counter() - started
    return (len(ids) / elapsed, (sum(_cpu_seconds(pid) for pid in pids) - cpu) * 1000 / len(ids),
            (time.process_time() - own) * 1000 / len(ids))


async def throughput(database_url: str | None = None, repeats: int = REPEATS) -> list[dict]:
    results: dict[int, list[tuple[float, float, float]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as one_dir, tempfile.TemporaryDirectory() as two_dir:
        apis = {n: FakeBotApi(TOKEN) for n in results}
        for api in apis.values():
            await api.start()
        clusters = {1: Cluster(apis[1], Path(one_dir), replicas=1, database_url=database_url, env=BENCH_ENV),
                    2: Cluster(apis[2], Path(two_dir), replicas=2, database_url=database_url, env=BENCH_ENV)}
        try:
            for n, cluster in clusters.items():
                await cluster.__aenter__()
                apis[n].deliver()
                await _burst(apis[n], cluster, 100)  # warm-up: imports, first connections, the chats' first rows
            for round_ in range(repeats):
                for n in (1, 2) if round_ % 2 == 0 else (2, 1):
                    results[n].append(await _burst(apis[n], clusters[n], 1000 * (round_ + 2)))
        finally:
            for cluster in clusters.values():
                await cluster.stop()
            for api in apis.values():
                await api.stop()
    rows = []
    for n, runs in results.items():
        rate = _spread([r[0] for r in runs])
        ratios = [r[0] / one[0] for r, one in zip(runs, results[1], strict=True)]
        rows.append({"replicas": n, "store": "PostgreSQL" if database_url else "SQLite (shared file, WAL)",
                     "burst": f"{CHATS} chats x {PER_CHAT}", "runs": len(runs), "msg_s": rate["median"],
                     "msg_s_min_max": [rate["min"], rate["max"]],
                     "vs_one_replica": round(statistics.median(ratios), 2),
                     "vs_one_min_max": [round(min(ratios), 2), round(max(ratios), 2)],
                     "replicas_cpu_ms_msg": round(statistics.median(r[1] for r in runs), 2),
                     "fake_api_cpu_ms_msg": round(statistics.median(r[2] for r in runs), 2)})
    return rows


def _exchanges(store: Store, start: int, count: int) -> float:
    """Seconds for `count` exchanges as the bot asks them of the store."""
    exchange = Exchange(source="telegram", text="how often do i renew my ccma", kind="answer",
                        entry="nha-renewal-cycle")
    state = '{"state":{},"feedback_prompt":null}'
    started = time.perf_counter()
    for i in range(start, start + count):
        chat = 500 + i % CHATS
        store.inbox_add(i, json.dumps({"update_id": i}))
        store.chat_state(chat)
        store.record(chat, exchange)
        store.inbox_done(i, chat, state)
    return time.perf_counter() - started


def store_cost(backends: dict[str, Callable[[Path], Store]], repeats: int = REPEATS) -> list[dict]:
    rows = []
    for name, open_store in backends.items():
        with tempfile.TemporaryDirectory() as folder:
            store = open_store(Path(folder))
            try:
                _exchanges(store, 0, 50)  # warm-up
                runs = [_exchanges(store, 1000 * (r + 1), EXCHANGES) * 1e6 / EXCHANGES for r in range(repeats)]
            finally:
                store.close()
        cost = _spread(runs, 0)
        rows.append({"store": name, "exchanges": EXCHANGES, "runs": repeats, "us_per_exchange": cost["median"],
                     "us_min_max": [cost["min"], cost["max"]]})
    return rows


def backends() -> dict[str, Callable[[Path], Store]]:
    return {"SQLite (file, WAL)": lambda folder: Store.open(folder, HASH_KEY)}


def run() -> dict:
    return {"throughput": asyncio.run(throughput()), "store": store_cost(backends())}
