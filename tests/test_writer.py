"""The store's writer thread groups what is queued into one transaction: each write's future is resolved only
once its rows are committed (visible to another connection), and a write that fails in a group fails alone;
and the running bot asks it for no more than it needs."""

import sqlite3
import threading

import pytest

from bot.contracts import Exchange
from bot.dialogue import Dialogue
from bot.store import DB_NAME, Store
from bot.writer import StoreWriter
from tests.conftest import KEY
from tests.telegram_harness import serve, stop


def _held(writer: StoreWriter) -> threading.Event:
    """Keeps the writer thread busy until the returned event is set, so what is queued meanwhile is one group."""
    release, started = threading.Event(), threading.Event()
    writer.submit("hold", lambda _store: (started.set(), release.wait(10)))
    assert started.wait(10)
    return release


def _inbox(store: Store) -> list[int]:
    return [row[0] for row in store.db.execute("SELECT update_id FROM inbox ORDER BY update_id")]


def test_queued_writes_are_one_transaction_and_resolved_only_once_committed(store):
    writer = StoreWriter(store)
    statements: list[str] = []
    writer.store.db.connection.set_trace_callback(statements.append)
    release = _held(writer)
    seen_at_resolution: dict[int, list[int]] = {}
    futures = []
    for update_id in (1, 2, 3):
        future = writer.submit("keep an update", lambda s, u=update_id: s.inbox_add(u, "{}"))
        assert future is not None
        # Runs in the writer thread when the future is resolved: what another connection sees at that moment.
        future.add_done_callback(lambda _f, u=update_id: seen_at_resolution.setdefault(u, _inbox(store)))
        futures.append(future)
    writer.submit("record an exchange", lambda s: s.record(7, Exchange("telegram", "q", "answer", "cma-ce-total")))
    release.set()
    assert [f.result(10) for f in futures] == ["new", "new", "new"]
    assert writer.flush()
    assert seen_at_resolution == {1: [1, 2, 3], 2: [1, 2, 3], 3: [1, 2, 3]}
    assert [s.split()[0] for s in statements].count("BEGIN") == 1  # the three updates and the exchange: one group
    assert store.reply_kinds() == {"answer": 1}
    writer.close()


def test_a_write_that_fails_in_a_group_fails_alone(store):
    writer = StoreWriter(store)
    release = _held(writer)
    before = writer.submit("keep an update", lambda s: s.inbox_add(1, "{}"))

    def broken(s: Store) -> None:
        s.db.execute("INSERT INTO no_such_table VALUES (1)")

    failing = writer.submit("write into nothing", broken)
    after = writer.submit("keep an update", lambda s: s.inbox_add(2, "{}"))
    assert before is not None and failing is not None and after is not None
    release.set()
    assert before.result(10) == "new" and after.result(10) == "new"
    with pytest.raises(sqlite3.OperationalError):
        failing.result(10)
    assert _inbox(store) == [1, 2]
    assert writer.failures == 1
    writer.close()


async def test_a_process_alone_on_its_store_reads_a_chats_state_once_per_run(api, kb, matcher, tmp_path):
    """Alone on its SQLite file (no REPLICA_ID), the bot's own memory of a chat is the latest after its first
    update; with replicas (tests/test_replicas.py) each update reads it afresh."""
    store = Store(tmp_path / DB_NAME, KEY)
    app = await serve(api, Dialogue(kb, matcher), store=store)
    reads: list[str] = []
    app.bot_data.writer.store.db.connection.set_trace_callback(
        lambda sql: reads.append(sql) if sql.startswith("SELECT state FROM chats") else None)
    try:
        for i, text in enumerate(("/check", "CMA", "how many ceus do i need to recert my cma")):
            api.text(9601, text)
            await api.wait_for("sendMessage", i + 1, timeout=15)
        api.text(9602, "how many ceus do i need to recert my cma")
        await api.wait_for("sendMessage", 4, timeout=15)
        assert len(reads) == 2  # one per chat
    finally:
        await stop(app)
        store.close()


def test_a_group_whose_transaction_cannot_begin_fails_at_once(store):
    """Another process holds the write lock: the group's writes all fail after one lock wait, not one each."""
    writer = StoreWriter(store)
    writer.store.db.connection.execute("PRAGMA busy_timeout = 200")
    locker = sqlite3.connect(store.path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    statements: list[str] = []
    writer.store.db.connection.set_trace_callback(statements.append)
    try:
        release = _held(writer)
        futures = [writer.submit("keep an update", lambda s, u=u: s.inbox_add(u, "{}")) for u in (1, 2, 3)]
        release.set()
        for future in futures:
            assert future is not None
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                future.result(10)
        assert statements == ["BEGIN IMMEDIATE"]  # tried once for the group; no write tried alone after it
        assert writer.failures == 3
    finally:
        locker.close()
        writer.close()

