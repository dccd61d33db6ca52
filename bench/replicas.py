"""`python -m bench replicas`: messages a second through nginx with one and with two webhook replicas, on SQLite
and on PostgreSQL. (The store's own cost per exchange on each backend is `python -m bench store`.)

All clusters (bench/cluster.py: nginx, the replicas, one shared store each, a fake Bot API posting updates to
the proxy with 40 connections, as Telegram does by default) are up at once and the bursts alternate between
them, so the shared machine's noise falls on all alike. Rate limiter off (with it on, every setup runs at
Telegram's ~30 messages a second); flood control off (a benchmark burst is not abuse). Everything runs on this
one machine: the fake Bot API (in this process), nginx, PostgreSQL and the replicas share its cores.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.cluster import Cluster
from bench.e2e import TOKEN, _cpu_seconds
from bot.devdb import NoPostgres, ThrowawayPostgres, start_postgres
from bot.telegram.fake_api import FakeBotApi

QUESTIONS = ["how often do i renew my ccma", "how many ceus do i need to recert my cma", "what is the rma annual fee",
             "can i recertify my cma by exam", "how many credits for ncma renewal"]
CHATS, PER_CHAT = 50, 8  # a burst, as in the end-to-end benchmark
REPEATS = 5
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


async def throughput(postgres: ThrowawayPostgres | None, repeats: int = REPEATS) -> list[dict]:
    """Clusters of one and of two replicas on SQLite (a shared file) and on PostgreSQL (a database each on
    `postgres`), all up at once, bursts alternating between them (in a rotating order)."""
    setups: list[tuple[int, str, str | None]] = [(n, "SQLite (one file, WAL)", None) for n in (1, 2)]
    if postgres is not None:
        setups += [(n, "PostgreSQL", postgres.create_database(f"bench_{n}")) for n in (1, 2)]
    results: list[list[tuple[float, float, float]]] = [[] for _ in setups]
    with tempfile.TemporaryDirectory() as folder:
        apis = [FakeBotApi(TOKEN) for _ in setups]
        clusters = [Cluster(api, Path(folder) / f"setup{i}", replicas=n, database_url=url, env=BENCH_ENV)
                    for i, ((n, _, url), api) in enumerate(zip(setups, apis, strict=True))]
        try:
            for api, cluster in zip(apis, clusters, strict=True):
                await api.start()
                await cluster.__aenter__()
                api.deliver()
                await _burst(api, cluster, 100)  # warm-up: imports, first connections, the chats' first rows
            for round_ in range(repeats):
                for i in [(round_ + k) % len(setups) for k in range(len(setups))]:
                    results[i].append(await _burst(apis[i], clusters[i], 1000 * (round_ + 2)))
        finally:
            for cluster in clusters:
                await cluster.stop()
            for api in apis:
                await api.stop()
    rows = []
    for (n, store, _), runs in zip(setups, results, strict=True):
        one = results[setups.index(next(s for s in setups if s[1] == store and s[0] == 1))]
        rate = _spread([r[0] for r in runs])
        ratios = [r[0] / o[0] for r, o in zip(runs, one, strict=True)]
        rows.append({"replicas": n, "store": store, "burst": f"{CHATS} chats x {PER_CHAT}", "runs": len(runs),
                     "msg_s": rate["median"], "msg_s_min_max": [rate["min"], rate["max"]],
                     "vs_one_replica": round(statistics.median(ratios), 2),
                     "vs_one_min_max": [round(min(ratios), 2), round(max(ratios), 2)],
                     "replicas_cpu_ms_msg": round(statistics.median(r[1] for r in runs), 2),
                     "fake_api_cpu_ms_msg": round(statistics.median(r[2] for r in runs), 2)})
    return rows


def run() -> list[dict]:
    """With PostgreSQL when its server binaries are installed (bot/devdb.py: fsync on, as deployed), SQLite
    alone otherwise."""
    try:
        postgres = start_postgres()
    except NoPostgres as exc:
        print(f"(PostgreSQL left out: {exc})")
        return asyncio.run(throughput(None))
    try:
        return asyncio.run(throughput(postgres))
    finally:
        postgres.stop()
