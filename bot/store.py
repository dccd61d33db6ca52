"""What users asked and did not get, what they picked, and what they thought: a small SQLite store.

WAL mode, one transaction per record (a crash loses at most the record being written; a record of one row is
one statement, which SQLite runs as its own transaction), a schema version in
PRAGMA user_version with forward migrations, and no raw Telegram user or chat id: chats are stored as a keyed
hash (HMAC-SHA256 with a key from settings).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.contracts import Exchange

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
]
TABLES = ("replies", "misses", "picks", "feedback")
MAX_TEXT = 1000  # a miss is kept for curators to read, not as an archive of essays


@dataclass(frozen=True)
class Miss:
    at: float
    kind: str
    text: str
    guesses: list[tuple[str, float]]


def load_or_create_key(data_dir: Path) -> bytes:
    """The hashing key: kept beside the database so hashes stay stable across restarts."""
    path = data_dir / KEY_NAME
    if path.exists():
        return path.read_bytes()
    key = secrets.token_bytes(32)
    path.write_bytes(key)
    path.chmod(0o600)
    return key


class Store:
    def __init__(self, path: Path | str, key: bytes, retention_days: int = 180,
                 clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.key = key
        self.retention_days = retention_days
        self.clock = clock
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
        self.migrate()
        self.purge()

    @classmethod
    def open(cls, data_dir: Path | str, key: str | None = None, retention_days: int = 180) -> Store:
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = key.encode() if key else load_or_create_key(data_dir)
        return cls(data_dir / DB_NAME, secret, retention_days)

    def close(self) -> None:
        self.db.close()

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. The connection is in autocommit mode (so `with self.db:` would start none):
        this is the one place that begins, commits and rolls back."""
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
        return self._insert(self.db, "feedback", chat=self.chat_hash(chat_id), source=source, entry=entry, vote=vote)

    def add_feedback_comment(self, feedback_id: int, comment: str) -> None:
        self.db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip()[:MAX_TEXT], feedback_id))

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
