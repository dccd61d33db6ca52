"""The store: what is recorded where, reports, retention, crash safety, concurrency, and no raw ids. Each test
that takes `database` or `store` runs on SQLite and on PostgreSQL (tests/conftest.py)."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from bot import reports
from bot.contracts import Exchange
from bot.db import script
from bot.dialogue import Conversation
from bot.store import DB_NAME, INBOX_LEASE, MIGRATIONS, Store
from bot.terminal import chat
from tests.conftest import ROOT

KEY = b"k" * 32


@pytest.fixture
def store(database):
    s = Store(database, KEY)
    yield s
    s.close()


def rows(store, table):
    return store.db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


def test_schema_is_versioned_and_reopens(database):
    first = Store(database, KEY)
    assert first.version == len(MIGRATIONS)
    if first.kind == "sqlite":
        assert first.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    first.close()
    again = Store(database, KEY)
    assert again.version == len(MIGRATIONS) and again.integrity() == "ok"
    again.close()


def test_without_a_key_every_process_shares_the_one_kept_in_the_database(database):
    first, second = Store(database), Store(database)
    assert first.key == second.key and len(first.key) == 32
    assert first.chat_hash(42) == second.chat_hash(42) != Store(database, KEY).chat_hash(42)
    first.close()
    second.close()


def test_terminal_chat_records_misses_picks_and_kinds(dialogue, store):
    lines = iter(["what's the capital of france", "how do i renew", "1", "how often do i renew my ccma",
                  "quit"])
    chat(dialogue, read=lambda _: next(lines), write=lambda _: None, store=store, chat_id="terminal:me")
    kinds = [r[4] for r in rows(store, "replies")]
    assert kinds == ["decline", "clarify", "answer", "answer"]
    misses = store.misses()
    assert [(m.kind, m.text) for m in misses] == [("decline", "what's the capital of france"),
                                                   ("clarify", "how do i renew")]
    assert misses[1].guesses[0][0] == "cma-paths"
    assert store.picks() == [("how do i renew", "cma-paths")]


def test_ask_and_eval_record_nothing(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    cases = tmp_path / "cases.yaml"
    cases.write_text('- {q: "tell me a joke", decline: true}\n')
    for args in (["ask", "tell me a joke"], ["eval", str(cases)]):
        subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT, capture_output=True, timeout=60,
                       check=True)
    assert not (tmp_path / DB_NAME).exists()


def test_chat_command_records_in_the_data_dir(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "bot", "chat"], input="tell me a joke\nquit\n", text=True, env=env,
                   cwd=ROOT, capture_output=True, timeout=60, check=True)
    s = Store.open(tmp_path)
    assert [m.text for m in s.misses()] == ["tell me a joke"]
    s.close()


def test_no_row_holds_a_raw_chat_id(dialogue, store):
    chat_id = 987654321
    store.record(chat_id, Exchange.of("telegram", "tell me a joke", dialogue.reply("tell me a joke")))
    store.record_feedback(chat_id, "telegram", "cma-cycle", -1)
    dump = json.dumps([rows(store, t) for t in ("replies", "misses", "picks", "feedback")])
    assert str(chat_id) not in dump
    assert store.chat_hash(chat_id) in dump
    other = Store(store.target, b"other key")
    assert other.chat_hash(chat_id) != store.chat_hash(chat_id)
    other.close()


def test_old_rows_are_purged(database, dialogue):
    now = [1_000_000_000.0]
    s = Store(database, KEY, retention_days=180, clock=lambda: now[0])
    s.record(1, Exchange.of("chat", "tell me a joke", dialogue.reply("tell me a joke")))
    now[0] += 179 * 86400
    s.record(1, Exchange.of("chat", "what time is it", dialogue.reply("what time is it")))
    now[0] += 2 * 86400
    assert s.purge() == 2  # the first reply and its miss
    assert [m.text for m in s.misses()] == ["what time is it"]
    s.close()


def seed(store, dialogue):
    asked = ["what's the wifi password", "whats the wifi password?", "wifi password please",
             "tell me a joke", "weather tomorrow"]
    for text in asked:
        store.record(1, Exchange.of("telegram", text, dialogue.reply(text)))
    chat = Conversation(dialogue)
    for _ in range(2):
        store.record(2, Exchange.of("telegram", "renew how?", chat.say("how do i renew")))
        store.record(2, Exchange.of("telegram", "", chat.say("1")))
    store.record_feedback(3, "telegram", "cma-cycle", 1)
    store.record_feedback(5, "telegram", "cma-cycle", -1)
    store.record_feedback(4, "telegram", "nha-fee", -1)


def test_misses_are_grouped_by_similarity_largest_first(store, dialogue):
    seed(store, dialogue)
    groups = reports.group_misses(store.misses())
    assert [g.count for g in groups][:2] == [3, 2]
    assert "wifi password" in groups[0].leader and len(groups[0].examples) == 3
    assert groups[1].as_dict()["best_guess"] == "cma-paths"
    assert sum(g.count for g in groups) == len(store.misses())


def test_a_suggestion_appears_after_picks(store, dialogue):
    seed(store, dialogue)
    found = {s.entry: s for s in reports.suggest(store, dialogue.matcher)}
    assert "cma-paths" in found
    assert found["cma-paths"].phrasings["how do i renew"]["picks"] == 2
    yaml_text = reports.suggestions_yaml(list(found.values()))
    assert "    - how do i renew  # picked 2" in yaml_text


def test_stats_count_kinds_entries_and_feedback(store, dialogue):
    seed(store, dialogue)
    data = reports.stats(store)
    assert data["kinds"]["clarify"] == 2 and data["kinds"]["answer"] == 2
    assert data["top_entries"] == {"cma-paths": 2}
    assert data["feedback"] == {"nha-fee": {"up": 0, "down": 1}, "cma-cycle": {"up": 1, "down": 1}}


def test_report_commands_print_tables_and_json(tmp_path, database, dialogue):
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    if isinstance(database, str):  # PostgreSQL, as DATABASE_URL names it
        s, env["DATABASE_URL"] = Store(database), database
    else:
        s = Store.open(tmp_path)
    seed(s, dialogue)
    s.close()

    def run(*args):
        return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=60, check=True).stdout

    assert json.loads(run("misses", "--json"))[0]["count"] == 3
    assert "how do i renew" in run("suggest")
    assert json.loads(run("stats", "--json", "--since", "30"))["top_entries"] == {"cma-paths": 2}
    assert "Replies by kind" in run("stats")


def test_concurrent_writers_lose_nothing(database, dialogue):
    reply = dialogue.reply("tell me a joke")
    writers, each = 8, 60

    def write(n):
        s = Store(database, KEY)
        for i in range(each):
            s.record(f"chat-{n}", Exchange.of("telegram", f"question {n}-{i}", reply))
        s.close()

    Store(database, KEY).close()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = Store(database, KEY)
    texts = {m.text for m in s.misses()}
    assert len(texts) == writers * each
    assert s.integrity() == "ok"
    s.close()


WRITER = """
import sys
from bot.store import Store
from bot.contracts import Exchange, Reply, ReplyKind
s = Store(sys.argv[1], b"k" * 32)
reply = Reply(ReplyKind.DECLINE, "no")
i = 0
while True:
    s.record("writer", Exchange.of("chat", f"row {i}", reply))
    print(i, flush=True)
    i += 1
"""


def test_sigkill_mid_burst_keeps_every_committed_row(database):
    db = database
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    committed = []
    deadline = time.monotonic() + 60
    while len(committed) < 300 and time.monotonic() < deadline:
        committed.append(int(proc.stdout.readline()))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(committed) == 300
    s = Store(db, KEY)
    assert s.integrity() == "ok"
    stored = {m.text for m in s.misses()}
    assert {f"row {i}" for i in committed} <= stored
    s.close()
    if not isinstance(db, str):
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_inbox_keeps_an_update_until_done_and_knows_a_redelivery(database):
    now = [1_000_000_000.0]
    s = Store(database, KEY, clock=lambda: now[0])
    assert s.inbox_add(7, '{"update_id": 7}') == "new"
    assert s.inbox_add(7, '{"update_id": 7}') == "new"  # its own, not yet handled: still to handle
    s.inbox_done(7, 42, '{"state": {}}')
    assert s.inbox_add(7, '{"update_id": 7}') == "done"
    assert s.db.execute("SELECT body FROM inbox WHERE update_id = 7").fetchone() == (None,)  # content gone
    assert s.chat_state(42) == '{"state": {}}'
    now[0] += 3 * 86400
    s.purge()
    assert s.inbox_add(7, '{"update_id": 7}') == "new"  # long past any re-delivery: forgotten
    s.close()


def test_an_update_being_handled_at_three_crashes_is_set_aside(store):
    store.inbox_add(1, "{}")
    store.inbox_add(2, "{}")
    store.inbox_done(2)
    for _ in range(3):
        assert store.inbox_pending() == [(1, "{}")]
    assert store.inbox_pending() == []


def test_one_vote_per_chat_per_answer_and_a_changed_vote_drops_its_comment(store):
    first = store.record_feedback(1, "telegram", "nha-ce", -1)
    store.add_feedback_comment_for(1, "telegram", "nha-ce", "wrong credential")
    assert store.record_feedback(1, "telegram", "nha-ce", -1) == first
    assert rows(store, "feedback")[0][4:] == ("nha-ce", -1, "wrong credential")
    store.record_feedback(1, "telegram", "nha-ce", 1)
    store.record_feedback(2, "telegram", "nha-ce", 1)
    assert [r[4:] for r in rows(store, "feedback")] == [("nha-ce", 1, None), ("nha-ce", 1, None)]


def test_the_migration_keeps_the_latest_of_duplicate_votes(tmp_path):
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.executescript(";".join(script(MIGRATIONS[0], "sqlite")) + "; PRAGMA user_version = 1;")
    for vote in (1, 1, -1):
        db.execute("INSERT INTO feedback (at, chat, source, entry, vote) VALUES (0, 'c', 'telegram', 'e', ?)", (vote,))
    db.commit()
    db.close()
    s = Store(tmp_path / DB_NAME, KEY, clock=lambda: 1.0)
    assert [r[5] for r in rows(s, "feedback")] == [-1]
    s.close()


def test_a_record_of_one_row_is_one_statement_and_of_several_one_transaction(tmp_path):
    store = Store(tmp_path / DB_NAME, KEY)
    statements = []
    store.db.connection.set_trace_callback(statements.append)
    store.record(1, Exchange("telegram", "how many ceus", "answer", "cma-ce-total"))
    store.record_feedback(1, "telegram", "cma-ce-total", 1)
    assert [s.split()[0] for s in statements] == ["INSERT", "INSERT"]
    statements.clear()
    store.record(1, Exchange("telegram", "what about my dog", "decline", None, (("x", 1.0),)))
    assert [s.split()[0] for s in statements] == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    assert store.reply_kinds() == {"answer": 1, "decline": 1}


def test_inbox_rows_are_their_owners_until_the_lease_runs_out(database):
    """Replica A keeps an update and is handling it; B starting (or looking for orphans) leaves it alone while
    A renews its lease, and takes it over only once A stopped renewing: A died."""
    now = [1_000_000_000.0]
    a = Store(database, KEY, clock=lambda: now[0], owner="a")
    b = Store(database, KEY, clock=lambda: now[0], owner="b")
    assert a.inbox_add(1, '{"update_id": 1}') == "new"
    assert b.inbox_add(1, '{"update_id": 1}') == "pending"  # the same update delivered to B: not kept twice
    assert b.inbox_pending() == []  # B's start-up: A is alive
    now[0] += INBOX_LEASE * 0.9
    assert a.inbox_renew() == 1
    now[0] += INBOX_LEASE * 0.9
    assert b.inbox_pending(own=False) == []  # renewed: still A's
    now[0] += INBOX_LEASE + 1  # A stopped renewing
    assert b.inbox_pending(own=False) == [(1, '{"update_id": 1}')]
    assert a.inbox_pending(own=False) == []  # B holds it now
    b.inbox_done(1)
    assert a.inbox_add(1, "{}") == "done"
    a.close()
    b.close()


def test_a_restart_under_the_same_owner_takes_its_rows_back_at_once(database):
    first = Store(database, KEY, owner="replica-1")
    first.inbox_add(5, "{}")
    first.close()  # killed: its lease has not run out
    assert Store(database, KEY, owner="replica-2").inbox_pending() == []
    assert Store(database, KEY, owner="replica-1").inbox_pending() == [(5, "{}")]


def test_database_url_picks_the_backend(tmp_path, database):
    from bot.settings import Settings

    url = database if isinstance(database, str) else f"sqlite:///{database}"
    store = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=url).open_store()
    assert store.kind == ("postgresql" if isinstance(database, str) else "sqlite")
    assert store.version == len(MIGRATIONS)
    store.close()
    if store.kind == "sqlite":
        assert store.path == database and not (tmp_path / "data" / DB_NAME).exists()
    with pytest.raises(ValueError, match="DATABASE_URL"):
        Settings(_env_file=None, database_url="mysql://x")


def test_the_start_up_line_never_shows_a_database_password():
    from bot.db import without_password

    shown = without_password("postgresql://bot:s3cret@db:5432/recertbot")
    assert shown == "postgresql://bot:***@db:5432/recertbot"
