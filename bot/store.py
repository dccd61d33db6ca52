"""What users asked and did not get, what they picked, and what they thought: a small SQLite store. Also the
running bot's own memory: the inbox of updates not yet handled, and each chat's dialogue state.

WAL mode, one transaction per record (a crash loses at most the record being written; a record of one row is
one statement, which SQLite runs as its own transaction), a schema version in
PRAGMA user_version with forward migrations, and no raw Telegram user or chat id: chats are stored as a keyed
hash (HMAC-SHA256 with a key from settings). The one exception is the inbox: an update waiting to be handled
is kept whole (it is what gets answered after a crash), and its body is deleted the moment it is handled.

Private from creation: the data folder is made 0700, the database 0600 (SQLite gives its -wal and -shm files
the database's mode), and the key file is written 0600 under a temporary name and linked into place, so no
other local user can ever read it and no crash leaves a half-written key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.contracts import Exchange
from bot.reminder_store import LANGUAGE_SCHEMA as REMINDERS_LANGUAGE
from bot.reminder_store import SCHEMA as REMINDERS_SCHEMA

DB_NAME = "recertbot.sqlite3"
KEY_NAME = "hash.key"
DAY = 86400

MIGRATIONS = [
    # 1: the first schema
    """
    CREATE TABLE replies (id INTEGER PRIMARY KEY, at REAL NOT NULL, chat TEXT NOT NULL, source TEXT NOT NULL,
                          kind TEXT NOT NULL, entry TEXT);
    CREATE TABLE misses (id INTEGER PRIMARY KEY, at REAL NOT NULL, chat TEXT NOT NULL, source TEXT NOT NULL,
                         kind TEXT NOT NULL, text TEXT NOT NULL, guesses TEXT NOT NULL);
    CREATE TABLE picks (id INTEGER PRIMARY KEY, at REAL NOT NULL, chat TEXT NOT NULL, source TEXT NOT NULL,
                        question TEXT NOT NULL, entry TEXT NOT NULL);
    CREATE TABLE feedback (id INTEGER PRIMARY KEY, at REAL NOT NULL, chat TEXT NOT NULL, source TEXT NOT NULL,
                           entry TEXT NOT NULL, vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), comment TEXT);
    CREATE INDEX replies_at ON replies(at);
    CREATE INDEX misses_at ON misses(at);
    CREATE INDEX picks_at ON picks(at);
    CREATE INDEX feedback_at ON feedback(at);
    """,
    # 2: the running bot's memory (inbox, chat state), and one vote per chat per answer
    """
    CREATE TABLE inbox (update_id INTEGER PRIMARY KEY, at REAL NOT NULL, body TEXT, done INTEGER NOT NULL DEFAULT 0,
                        tries INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX inbox_pending ON inbox(done, update_id);
    CREATE TABLE chats (chat TEXT PRIMARY KEY, at REAL NOT NULL, state TEXT NOT NULL);
    DELETE FROM feedback WHERE id NOT IN (SELECT MAX(id) FROM feedback GROUP BY chat, source, entry);
    CREATE UNIQUE INDEX feedback_one_vote ON feedback(chat, source, entry);
    """,
    REMINDERS_SCHEMA,  # 3: deadline reminders (bot/reminder_store.py)
    REMINDERS_LANGUAGE,  # 4: the language each chat's reminders are written in
]
TABLES = ("replies", "misses", "picks", "feedback", "chats")
INBOX_KEEP_DAYS = 2  # Telegram re-delivers an update for at most a day: a handled id is remembered this long
MAX_TRIES = 3  # an update that was being handled at three crashes in a row is set aside, not tried forever
MAX_TEXT = 1000  # a miss is kept for curators to read, not as an archive of essays


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


class Store:
    def __init__(self, path: Path | str, key: bytes, retention_days: int = 180,
                 clock: Callable[[], float] = time.time, timeout: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.key = key
        self.retention_days = retention_days
        self.clock = clock
        _create_private(self.path)
        self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
        self.migrate()
        self.purge()

    @classmethod
    def open(cls, data_dir: Path | str, key: str | None = None, retention_days: int = 180) -> Store:
        data_dir = Path(data_dir)
        private_dir(data_dir)
        secret = key.encode() if key else load_or_create_key(data_dir)
        return cls(data_dir / DB_NAME, secret, retention_days)

    def sibling(self, timeout: float = 30.0) -> Store:
        """A second connection to the same database (for a writer thread), with its own busy time-out."""
        return Store(self.path, self.key, self.retention_days, self.clock, timeout)

    def close(self) -> None:
        self.db.close()

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. The connection is in autocommit mode (so `with self.db:` would start none):
        this is the one place that begins, commits and rolls back. Inside another (a group of writes, see
        `bot.writer`) it joins that one: a failure rolls the whole group back."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # some failures end the transaction themselves
                self.db.execute("ROLLBACK")
            raise

    def migrate(self) -> None:
        with self.transaction() as db:
            current = self.version
            for number, script in enumerate(MIGRATIONS[current:], current + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

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

    def _insert(self, db: sqlite3.Connection, table: str, **row: Any) -> int:
        row = {"at": self.clock(), **row}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        rowid = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())).lastrowid
        assert rowid is not None
        return rowid

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
            "comment = CASE WHEN vote = excluded.vote THEN comment END RETURNING id",
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
        """Keeps an update until it is handled: "new" (kept now), "pending" (kept already, not yet handled) or
        "done" (handled already: a re-delivery, to drop)."""
        with self.transaction() as db:
            row = db.execute("SELECT done FROM inbox WHERE update_id = ?", (update_id,)).fetchone()
            if row is not None:
                return "done" if row[0] else "pending"
            db.execute("INSERT INTO inbox (update_id, at, body) VALUES (?, ?, ?)", (update_id, self.clock(), body))
            return "new"

    def inbox_pending(self) -> list[tuple[int, str]]:
        """The updates a previous run kept but did not finish, oldest first; each call counts one more try,
        and one tried MAX_TRIES times already (it was being handled at each crash) is set aside."""
        with self.transaction() as db:
            db.execute("UPDATE inbox SET tries = tries + 1 WHERE done = 0")
            db.execute("UPDATE inbox SET done = 1, body = NULL WHERE done = 0 AND tries > ?", (MAX_TRIES,))
            return db.execute("SELECT update_id, body FROM inbox WHERE done = 0 ORDER BY update_id").fetchall()

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

    def _save_state(self, db: sqlite3.Connection, chat_id: int | str, state: str) -> None:
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
        return self.db.execute("SELECT entry, SUM(vote > 0), SUM(vote < 0) FROM feedback WHERE at >= ? "
                               "GROUP BY entry ORDER BY SUM(vote < 0) DESC, entry",
                               (self._since(since_days),)).fetchall()

    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]
