"""`python -m bench replicas`: messages a second through nginx with one and with two webhook replicas, on SQLite
and on PostgreSQL (the store's own cost per exchange on each backend is `python -m bench store`); and how fast
reminders that fell due reach Telegram when one or two replicas race for them.

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

from cryptography.fernet import Fernet

from bench.cluster import HASH_KEY, Cluster, subscribe_due
from bench.e2e import TOKEN, _cpu_seconds
from bench.reminders import FIRST_CHAT, TELEGRAM_LIMIT, max_in_window
from bot.devdb import NoPostgres, ThrowawayPostgres, start_postgres
from bot.store import open_store
from bot.telegram.fake_api import FakeBotApi

QUESTIONS = ["how often do i renew my ccma", "how many ceus do i need to recert my cma", "what is the rma annual fee",
             "can i recertify my cma by exam", "how many credits for ncma renewal"]
CHATS, PER_CHAT = 50, 8  # a burst, as in the end-to-end benchmark
REPEATS = 5
REMINDERS = 300  # due at once when the replicas start
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


async def _reminders(replicas: int, rate: str | None, count: int = REMINDERS) -> dict:
    """`count` reminders due when the replicas start, racing for them: how fast they reach Telegram in all."""
    with tempfile.TemporaryDirectory() as folder:
        key = Fernet.generate_key().decode()
        store = open_store(None, Path(folder) / "data", HASH_KEY)
        try:
            subscribe_due(store, key, range(FIRST_CHAT, FIRST_CHAT + count))
        finally:
            store.close()
        api = FakeBotApi(TOKEN)
        await api.start()
        env = {"REMINDER_KEY": key, "LOG_LEVEL": "WARNING", **({"REMINDER_RATE": rate} if rate else {})}
        try:
            async with Cluster(api, Path(folder), replicas=replicas, env=env):
                await api.wait_for("sendMessage", count, timeout=300)
                await asyncio.sleep(2)  # anything sent twice would come now
        finally:
            await api.stop()
    sends = api.calls_to("sendMessage")
    times = sorted(c.at for c in sends)
    return {"replicas": replicas, "REMINDER_RATE": rate or "20 (default)", "reminders": count, "sent": len(sends),
            "distinct_chats": len({c.params["chat_id"] for c in sends}), "max_in_any_1s": max_in_window(times),
            "mean_per_s": round((len(times) - 1) / (times[-1] - times[0]), 1), "telegram_limit_per_s": TELEGRAM_LIMIT}


async def reminders(count: int = REMINDERS) -> list[dict]:
    return [await _reminders(1, None, count), await _reminders(2, None, count), await _reminders(2, "10", count)]


def run() -> dict:
    """With PostgreSQL when its server binaries are installed (bot/devdb.py: fsync on, as deployed), SQLite
    alone otherwise."""
    try:
        postgres = start_postgres()
    except NoPostgres as exc:
        print(f"(PostgreSQL left out: {exc})")
        postgres = None
    try:
        rows = asyncio.run(throughput(postgres))
    finally:
        if postgres is not None:
            postgres.stop()
    return {"throughput": rows, "reminders": asyncio.run(reminders())}
