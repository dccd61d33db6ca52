"""What users asked and did not get, what they picked, and what they thought. Also the running bot's own
memory: the inbox of updates not yet handled, and each chat's dialogue state. On SQLite (a file in DATA_DIR,
the default) or PostgreSQL (shared by replicas): `bot.db` holds the differences; the SQL here is common to both.

One transaction per record (a crash loses at most the record being written; a record of one row is one
statement, its own transaction), a numbered schema version with forward migrations (the same history on both
databases), and no raw Telegram user or chat id: chats are stored as a keyed hash (HMAC-SHA256 with a key from
settings, else a key file beside a SQLite database, else one kept in the database itself, first writer wins).
The one exception is the inbox: an update waiting to be handled is kept whole (it is what gets answered after
a crash), and its body is deleted the moment it is handled.

Each inbox row has an owner (the process, or the replica named by REPLICA_ID) and a lease that its owner
renews while it runs: at start a process takes back its own unfinished rows, and any process takes over rows
whose lease ran out (their owner died), never those another live replica is handling.

Private from creation (SQLite): the data folder is made 0700, the database 0600 (SQLite gives its -wal and
-shm files the database's mode), and the key file is written 0600 under a temporary name and linked into
place, so no other local user can ever read it and no crash leaves a half-written key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.contracts import Exchange
from bot.db import Database, Executor, connect, is_postgres, script, sqlite_path
from bot.reminder_store import LANGUAGE_SCHEMA as REMINDERS_LANGUAGE
from bot.reminder_store import SCHEMA as REMINDERS_SCHEMA

DB_NAME = "recertbot.sqlite3"
KEY_NAME = "hash.key"
DAY = 86400

# `{id}`, `{real}`, `{blob}`, `{bigint}`: the types that differ between SQLite and PostgreSQL (bot/db.py)
MIGRATIONS = [
    # 1: the first schema
    """
    CREATE TABLE replies (id {id}, at {real} NOT NULL, chat TEXT NOT NULL, source TEXT NOT NULL,
                          kind TEXT NOT NULL, entry TEXT);
    CREATE TABLE misses (id {id}, at {real} NOT NULL, chat TEXT NOT NULL, source TEXT NOT NULL,
                         kind TEXT NOT NULL, text TEXT NOT NULL, guesses TEXT NOT NULL);
    CREATE TABLE picks (id {id}, at {real} NOT NULL, chat TEXT NOT NULL, source TEXT NOT NULL,
                        question TEXT NOT NULL, entry TEXT NOT NULL);
    CREATE TABLE feedback (id {id}, at {real} NOT NULL, chat TEXT NOT NULL, source TEXT NOT NULL,
                           entry TEXT NOT NULL, vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), comment TEXT);
    CREATE INDEX replies_at ON replies(at);
    CREATE INDEX misses_at ON misses(at);
    CREATE INDEX picks_at ON picks(at);
    CREATE INDEX feedback_at ON feedback(at);
    """,
    # 2: the running bot's memory (inbox, chat state), and one vote per chat per answer
    """
    CREATE TABLE inbox (update_id {bigint} PRIMARY KEY, at {real} NOT NULL, body TEXT,
                        done INTEGER NOT NULL DEFAULT 0, tries INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX inbox_pending ON inbox(done, update_id);
    CREATE TABLE chats (chat TEXT PRIMARY KEY, at {real} NOT NULL, state TEXT NOT NULL);
    DELETE FROM feedback WHERE id NOT IN (SELECT MAX(id) FROM feedback GROUP BY chat, source, entry);
    CREATE UNIQUE INDEX feedback_one_vote ON feedback(chat, source, entry);
    """,
    REMINDERS_SCHEMA,  # 3: deadline reminders (bot/reminder_store.py)
    REMINDERS_LANGUAGE,  # 4: the language each chat's reminders are written in
    # 5: several replicas: who is handling each inbox row, until when; a hashing key they can share
    """
    ALTER TABLE inbox ADD COLUMN owner TEXT;
    ALTER TABLE inbox ADD COLUMN lease_until {real};
    CREATE TABLE store_keys (name TEXT PRIMARY KEY, value {blob} NOT NULL);
    """,
]
TABLES = ("replies", "misses", "picks", "feedback", "chats")
INBOX_KEEP_DAYS = 2  # Telegram re-delivers an update for at most a day: a handled id is remembered this long
INBOX_LEASE = 60.0  # default seconds an inbox row stays its owner's without a renewal (renewed every third of it)
MAX_TRIES = 3  # an update that was being handled at three crashes in a row is set aside, not tried forever
MAX_TEXT = 1000  # a miss is kept for curators to read, not as an archive of essays
SOLO = "local"  # the owner name of a process alone on its SQLite file: a restart takes its rows back at once


@dataclass(frozen=True)
class Miss:
    at: float
    kind: str
    text: str
    guesses: list[tuple[str, float]]


def load_or_create_key(data_dir: Path) -> bytes:
    """The hashing key: kept beside the database so hashes stay stable across restarts.

    Created 0600 under a temporary name, written and synced, then hard-linked to its name: the key file is
    never readable by others, never seen half-written, and of two processes starting at once one key wins."""
    path = data_dir / KEY_NAME
    if path.exists():
        return path.read_bytes()
    key = secrets.token_bytes(32)
    temporary = data_dir / f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)
    except FileExistsError:
        key = path.read_bytes()  # another process got there first: use its key
    finally:
        temporary.unlink()
    return key


def private_dir(path: Path) -> None:
    """The data folder, made (or made again) readable by its owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _create_private(path: Path) -> None:
    """An empty database file created 0600 (an empty file is an empty SQLite database), before SQLite opens it."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def process_owner() -> str:
    """An inbox owner name no other live process has: host, process id and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def open_store(url: str | None, data_dir: Path, key: str | None = None, retention_days: int = 180,
               owner: str | None = None, lease: float = INBOX_LEASE) -> Store:
    """The store DATABASE_URL names: unset → SQLite in `data_dir`; `sqlite:///path`; `postgresql://...`."""
    if url and is_postgres(url):
        return Store(url, key.encode() if key else None, retention_days, owner=owner, lease=lease)
    path = sqlite_path(url) if url else data_dir / DB_NAME
    private_dir(path.parent)
    secret = key.encode() if key else load_or_create_key(path.parent)
    return Store(path, secret, retention_days, owner=owner, lease=lease)


class Store:
    """`target`: a SQLite file's path, a `sqlite:///` URL or a `postgresql://` URL. `key`: the hashing key; None
    takes the one kept in the database (made by the first process that needed it). `owner`: whose inbox rows
    this process's are; by default "local" on SQLite (one process per file) and a unique name on PostgreSQL."""

    def __init__(self, target: Path | str, key: bytes | None = None, retention_days: int = 180,
                 clock: Callable[[], float] = time.time, timeout: float = 30.0, owner: str | None = None,
                 lease: float = INBOX_LEASE):
        self.target = target
        self.path: Path | None = None
        if not is_postgres(target):
            self.db: Database = connect(self._private_file(target), timeout)
            self.path = Path(self.db.describe())
        else:
            self.db = connect(target, timeout)
        self.retention_days = retention_days
        self.clock = clock
        self.timeout = timeout
        self.owner = owner or (process_owner() if self.db.kind == "postgresql" else SOLO)
        self.lease = lease
        self.migrate()
        self.key = key if key is not None else self._shared_key()
        self.purge()

    @staticmethod
    def _private_file(target: Path | str) -> Path:
        path = sqlite_path(target) if isinstance(target, str) else Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_private(path)
        return path

    @classmethod
    def open(cls, data_dir: Path | str, key: str | None = None, retention_days: int = 180) -> Store:
        """The SQLite store in a data folder, with its key file beside it unless a key is given."""
        return open_store(None, Path(data_dir), key, retention_days)

    def sibling(self, timeout: float = 30.0) -> Store:
        """A second connection (pool) to the same database (for a writer thread), with its own lock time-out,
        the same key and the same inbox owner."""
        return Store(self.target, self.key, self.retention_days, self.clock, timeout, self.owner, self.lease)

    def close(self) -> None:
        self.db.close()

    @property
    def kind(self) -> str:
        return self.db.kind

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """What this store raises when its database fails (locked, full, unreachable)."""
        return self.db.errors

    def describe(self) -> str:
        """Where the store is, for the start-up line (never a password)."""
        return self.db.describe()

    @property
    def version(self) -> int:
        return self.db.version(self.db)

    @contextmanager
    def transaction(self) -> Iterator[Executor]:
        """One write transaction (see `bot.db`)."""
        with self.db.transaction() as tx:
            yield tx

    def migrate(self) -> None:
        with self.transaction() as tx:
            self.db.lock_for_migration(tx)
            current = self.db.version(tx)
            for number, text in enumerate(MIGRATIONS[current:], current + 1):
                for statement in script(text, self.db.kind):
                    tx.execute(statement)
                self.db.set_version(tx, number)

    def _shared_key(self) -> bytes:
        """The hashing key kept in the database: of processes starting together, the first insert wins."""
        self.db.execute("INSERT INTO store_keys (name, value) VALUES ('chat_hash', ?) ON CONFLICT (name) DO NOTHING",
                        (secrets.token_bytes(32),))
        return bytes(self.db.execute("SELECT value FROM store_keys WHERE name = 'chat_hash'").fetchone()[0])

    def purge(self) -> int:
        cutoff = self.clock() - self.retention_days * DAY
        removed = 0
        with self.transaction() as db:
            for table in TABLES:
                removed += db.execute(f"DELETE FROM {table} WHERE at < ?", (cutoff,)).rowcount
            db.execute("DELETE FROM inbox WHERE done = 1 AND at < ?", (self.clock() - INBOX_KEEP_DAYS * DAY,))
        return removed

    def chat_hash(self, chat_id: int | str) -> str:
        return hmac.new(self.key, str(chat_id).encode(), hashlib.sha256).hexdigest()[:32]

    def _insert(self, db: Executor, table: str, **row: Any) -> None:
        row = {"at": self.clock(), **row}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))

    # --- recording ------------------------------------------------------------------------------------

    def record(self, chat_id: int | str, exchange: Exchange) -> None:
        """One exchange: its kind and entry always; the question itself only when it went unanswered."""
        chat = self.chat_hash(chat_id)
        source, text = exchange.source, exchange.text.strip()
        rows: list[tuple[str, dict[str, Any]]] = [
            ("replies", {"chat": chat, "source": source, "kind": exchange.kind, "entry": exchange.entry})]
        if exchange.kind in ("decline", "clarify") and text:
            rows.append(("misses", {"chat": chat, "source": source, "kind": exchange.kind, "text": text[:MAX_TEXT],
                                    "guesses": json.dumps([list(g) for g in exchange.guesses])}))
        if exchange.picked_from:
            rows.append(("picks", {"chat": chat, "source": source, "question": exchange.picked_from[:MAX_TEXT],
                                   "entry": exchange.entry}))
        if len(rows) == 1:  # one statement is its own transaction in autocommit mode: no BEGIN/COMMIT round
            self._insert(self.db, rows[0][0], **rows[0][1])
            return
        with self.transaction() as db:
            for table, row in rows:
                self._insert(db, table, **row)

    def record_feedback(self, chat_id: int | str, source: str, entry: str, vote: int) -> int:
        """One vote per chat per answer: a second press changes it (and drops a comment the old vote had).
        One statement, so atomic without a transaction of its own."""
        return int(self.db.execute(
            "INSERT INTO feedback (at, chat, source, entry, vote) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (chat, source, entry) DO UPDATE SET at = excluded.at, vote = excluded.vote, "
            "comment = CASE WHEN feedback.vote = excluded.vote THEN feedback.comment END RETURNING id",
            (self.clock(), self.chat_hash(chat_id), source, entry, vote)).fetchone()[0])

    def add_feedback_comment(self, feedback_id: int, comment: str) -> None:
        self.db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip()[:MAX_TEXT], feedback_id))

    def add_feedback_comment_for(self, chat_id: int | str, source: str, entry: str, comment: str) -> None:
        """The "what was wrong" text, on the chat's vote for that answer."""
        with self.transaction() as db:
            db.execute("UPDATE feedback SET comment = ? WHERE chat = ? AND source = ? AND entry = ?",
                       (comment.strip()[:MAX_TEXT], self.chat_hash(chat_id), source, entry))

    # --- the inbox: updates kept from their arrival until they are handled -----------------------------

    def inbox_add(self, update_id: int, body: str) -> str:
        """Keeps an update until it is handled, as this process's (under a lease): "new" (kept now, or kept
        before by this owner or by one whose lease ran out: this process's to handle now), "pending" (another
        live replica is handling it: to drop) or "done" (handled already: a re-delivery, to drop). Each step is
        one statement, so of two replicas given the same update at once, one keeps it."""
        now = self.clock()
        lease = (self.owner, now + self.lease)
        if self.db.execute("INSERT INTO inbox (update_id, at, body, owner, lease_until) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT (update_id) DO NOTHING", (update_id, now, body, *lease)).rowcount == 1:
            return "new"
        if self.db.execute("UPDATE inbox SET owner = ?, lease_until = ? WHERE update_id = ? AND done = 0 "
                           "AND (owner = ? OR lease_until IS NULL OR lease_until < ?)",
                           (*lease, update_id, self.owner, now)).rowcount == 1:
            return "new"
        row = self.db.execute("SELECT done FROM inbox WHERE update_id = ?", (update_id,)).fetchone()
        return "done" if row is not None and row[0] else "pending"

    def inbox_pending(self, own: bool = True) -> list[tuple[int, str]]:
        """Unfinished updates this process may handle, oldest first, taken under its lease: those whose
        owner's lease ran out (it died), and with `own` (at start) those kept under this owner's name by a
        previous run. Each take counts one more try; one tried MAX_TRIES times already (it was being handled
        at each crash) is set aside. Rows another live replica holds are left alone, and of two replicas
        taking over at once each row goes to one (the UPDATE re-checks the lease under the row's lock)."""
        now = self.clock()
        with self.transaction() as db:
            taken = db.execute("UPDATE inbox SET tries = tries + 1, owner = ?, lease_until = ? "
                               "WHERE done = 0 AND (lease_until IS NULL OR lease_until < ? OR owner = ?) "
                               "RETURNING update_id, body, tries",
                               (self.owner, now + self.lease, now, self.owner if own else None)).fetchall()
            tired = [(update_id,) for update_id, _, tries in taken if tries > MAX_TRIES]
            db.executemany("UPDATE inbox SET done = 1, body = NULL WHERE update_id = ?", tired)
        return sorted((update_id, body) for update_id, body, tries in taken if tries <= MAX_TRIES)

    def inbox_renew(self) -> int:
        """This process is alive: its unfinished inbox rows stay its own for another lease."""
        return self.db.execute("UPDATE inbox SET lease_until = ? WHERE owner = ? AND done = 0",
                               (self.clock() + self.lease, self.owner)).rowcount

    def inbox_done(self, update_id: int, chat_id: int | str | None = None, state: str | None = None) -> None:
        """An update handled: its body deleted, its id kept a while for de-duplication; with the chat's new
        dialogue state in the same transaction, so a replay after a crash starts from the state it started from."""
        with self.transaction() as db:
            if chat_id is not None and state is not None:
                self._save_state(db, chat_id, state)
            db.execute("UPDATE inbox SET done = 1, body = NULL WHERE update_id = ?", (update_id,))

    # --- each chat's dialogue state ---------------------------------------------------------------------

    def chat_state(self, chat_id: int | str) -> str | None:
        row = self.db.execute("SELECT state FROM chats WHERE chat = ?", (self.chat_hash(chat_id),)).fetchone()
        return row[0] if row else None

    def save_chat_state(self, chat_id: int | str, state: str) -> None:
        with self.transaction() as db:
            self._save_state(db, chat_id, state)

    def _save_state(self, db: Executor, chat_id: int | str, state: str) -> None:
        db.execute("INSERT INTO chats (chat, at, state) VALUES (?, ?, ?) "
                   "ON CONFLICT (chat) DO UPDATE SET at = excluded.at, state = excluded.state",
                   (self.chat_hash(chat_id), self.clock(), state))

    # --- reading --------------------------------------------------------------------------------------

    def _since(self, days: float | None) -> float:
        return self.clock() - days * DAY if days else 0.0

    def misses(self, since_days: float | None = None) -> list[Miss]:
        rows = self.db.execute("SELECT at, kind, text, guesses FROM misses WHERE at >= ? ORDER BY at",
                               (self._since(since_days),))
        return [Miss(at, kind, text, [tuple(g) for g in json.loads(guesses)]) for at, kind, text, guesses in rows]

    def picks(self, since_days: float | None = None) -> list[tuple[str, str]]:
        return self.db.execute("SELECT question, entry FROM picks WHERE at >= ? ORDER BY at",
                               (self._since(since_days),)).fetchall()

    def reply_kinds(self, since_days: float | None = None) -> dict[str, int]:
        return dict(self.db.execute("SELECT kind, COUNT(*) FROM replies WHERE at >= ? GROUP BY kind "
                                    "ORDER BY COUNT(*) DESC", (self._since(since_days),)).fetchall())

    def top_entries(self, since_days: float | None = None, limit: int = 10) -> list[tuple[str, int]]:
        return self.db.execute("SELECT entry, COUNT(*) FROM replies WHERE at >= ? AND kind = 'answer' "
                               "AND entry IS NOT NULL GROUP BY entry ORDER BY COUNT(*) DESC, entry LIMIT ?",
                               (self._since(since_days), limit)).fetchall()

    def feedback_by_entry(self, since_days: float | None = None) -> list[tuple[str, int, int]]:
        return self.db.execute("SELECT entry, SUM(CASE WHEN vote > 0 THEN 1 ELSE 0 END) AS up, "
                               "SUM(CASE WHEN vote < 0 THEN 1 ELSE 0 END) AS down FROM feedback WHERE at >= ? "
                               "GROUP BY entry ORDER BY down DESC, entry",
                               (self._since(since_days),)).fetchall()

    def integrity(self) -> str:
        return self.db.integrity()
