"""Reminders in the store: who asked for which schedule, and each reminder's way from pending to sent.

Two tables, created by one migration appended to `bot.store.MIGRATIONS` (`SCHEMA` below):

- `reminder_chats`: one row per chat that said yes: the chat's keyed hash (as in every other table), the
  chat id itself encrypted with Fernet under `REMINDER_KEY` (the one place a sendable id is kept, and only
  while reminders are scheduled), and the credential and date the schedule was made from.
- `reminders`: one row per reminder, with its due time, until when it is still worth sending, the data its
  template words, and its state:

      pending --claim--> claimed --about to send--> sending --sent--> sent
         ^                  |                          |
         +--lease expired---+                          +--lease expired--> unknown (never sent again)

A claim holds a lease. A process killed after claiming, before sending, leaves `claimed`: the lease runs
out and the reminder is claimed again, so nothing is lost. The row is marked `sending` (committed) right
before the request to Telegram; a process killed after that, sent or not, leaves `sending`, which is never
sent again once its lease runs out. So between send and mark the choice is **at most once**: Telegram's
sendMessage has no idempotency key, so the other side (at least once) would show some people the same
reminder twice, while a lost reminder is followed by the next one of the schedule (every reminder repeats
the deadline), and the window that can lose one is a single request long.

When a chat's last reminder is done its rows and its encrypted id are deleted: nothing is kept that no
longer serves sending. `forget` deletes every row of every table that names the chat."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from faq.reminders import Kind, Reminder

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

SCHEMA = """
    CREATE TABLE reminder_chats (chat TEXT PRIMARY KEY, secret {blob} NOT NULL, credential TEXT NOT NULL,
                                 given TEXT NOT NULL, at {real} NOT NULL);
    CREATE TABLE reminders (id {id}, chat TEXT NOT NULL, kind TEXT NOT NULL, due {real} NOT NULL,
                            useful_until {real} NOT NULL, payload TEXT NOT NULL,
                            state TEXT NOT NULL DEFAULT 'pending'
                                  CHECK (state IN ('pending', 'claimed', 'sending', 'sent', 'unknown', 'skipped')),
                            lease_until {real}, at {real} NOT NULL, UNIQUE (chat, kind, due));
    CREATE INDEX reminders_state_due ON reminders(state, due);
    CREATE INDEX reminders_chat ON reminders(chat);
"""
# 4: the language reminders are written in, the chat's when it signed up
LANGUAGE_SCHEMA = "ALTER TABLE reminder_chats ADD COLUMN language TEXT NOT NULL DEFAULT 'en'"
LEASE_SECONDS = 120.0  # longer than a batch takes to send at the paced rate
_OPEN_ROWS = ("SELECT 1 FROM reminders r WHERE r.chat = reminder_chats.chat "
              "AND r.state IN ('pending', 'claimed', 'sending')")


class ReminderKeyError(ValueError):
    """REMINDER_KEY is not a usable Fernet key (the message never repeats the key)."""


def cipher(keys: str) -> MultiFernet:
    """Fernet keys, comma-separated: the first encrypts, all decrypt (to rotate, put the new key first)."""
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except (ValueError, TypeError):
        raise ReminderKeyError("REMINDER_KEY must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated") from None


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    chat: str  # the keyed hash
    reminder: Reminder


@dataclass(frozen=True)
class Subscription:
    credential: str
    given: date
    reminders: tuple[Reminder, ...]  # still to come


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def to_payload(r: Reminder) -> str:
    return json.dumps({"credential": r.credential, "dates": {k: v.isoformat() for k, v in r.dates.items()},
                       "facts": list(r.facts)})


def from_row(kind: str, due: float, useful_until: float, payload: str) -> Reminder:
    data: dict[str, Any] = json.loads(payload)
    return Reminder(_dt(due), Kind(kind), data["credential"], _dt(useful_until),
                    {k: date.fromisoformat(v) for k, v in data["dates"].items()}, tuple(data["facts"]))


class ReminderStore:
    """The reminder tables of one `Store` (its connection, its transactions, its chat hash)."""

    def __init__(self, store: Store, keys: str):
        self.store = store
        self.cipher = cipher(keys)

    @property
    def db(self) -> Any:
        return self.store.db

    # --- signing up, listing, stopping ------------------------------------------------------------------

    def subscribe(self, chat_id: int, credential: str, given: date, reminders: Iterable[Reminder],
                  now: datetime, language: str = "en") -> int:
        """Keep `chat_id` (encrypted) and replace the chat's schedule with `reminders`, to be written in
        `language`; how many were kept."""
        chat = self.store.chat_hash(chat_id)
        secret = self.cipher.encrypt(str(chat_id).encode())
        with self.store.transaction() as db:
            db.execute("DELETE FROM reminders WHERE chat = ?", (chat,))
            db.execute("INSERT INTO reminder_chats (chat, secret, credential, given, at, language) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat) DO UPDATE SET secret = excluded.secret, "
                       "credential = excluded.credential, given = excluded.given, at = excluded.at, "
                       "language = excluded.language",
                       (chat, secret, credential, given.isoformat(), _ts(now), language))
            rows = [(chat, str(r.kind), _ts(r.due), _ts(r.useful_until), to_payload(r), _ts(now)) for r in reminders]
            db.executemany("INSERT INTO reminders (chat, kind, due, useful_until, payload, at) VALUES (?, ?, ?, ?, ?, ?)",
                           rows)
            if not rows:
                db.execute("DELETE FROM reminder_chats WHERE chat = ?", (chat,))
        return len(rows)

    def subscription(self, chat_id: int) -> Subscription | None:
        chat = self.store.chat_hash(chat_id)
        row = self.db.execute("SELECT credential, given FROM reminder_chats WHERE chat = ?", (chat,)).fetchone()
        if row is None:
            return None
        rows = self.db.execute("SELECT kind, due, useful_until, payload FROM reminders WHERE chat = ? AND state = 'pending' "
                               "ORDER BY due", (chat,)).fetchall()
        return Subscription(row[0], date.fromisoformat(row[1]), tuple(from_row(*r) for r in rows))

    def stop(self, chat_id: int | str) -> bool:
        """No more reminders for this chat, and its encrypted id gone; whether there was anything to stop."""
        return self._drop(self.store.chat_hash(chat_id))

    def _drop(self, chat: str) -> bool:
        with self.store.transaction() as db:
            removed = db.execute("DELETE FROM reminders WHERE chat = ?", (chat,)).rowcount
            removed += db.execute("DELETE FROM reminder_chats WHERE chat = ?", (chat,)).rowcount
        return removed > 0

    def language_of(self, chat_id: int) -> str:
        """The language the chat's reminders are written in."""
        row = self.store.db.execute("SELECT language FROM reminder_chats WHERE chat = ?",
                                    (self.store.chat_hash(chat_id),)).fetchone()
        return str(row[0]) if row else "en"

    # --- delivery ---------------------------------------------------------------------------------------

    def claim(self, now: datetime, limit: int, lease: float = LEASE_SECONDS) -> list[Claimed]:
        """Up to `limit` due reminders, claimed under a lease. Recovers what a killed process left behind, and
        sets aside reminders that fell due so long ago (the bot was down) that they no longer help.

        Several replicas claim at once without waiting on each other: on PostgreSQL the rows are selected
        `FOR UPDATE SKIP LOCKED`, so rows another replica is claiming right now are passed over, and a row it
        claimed is no longer pending; SQLite has one writer at a time anyway."""
        t = _ts(now)
        with self.store.transaction() as db:
            db.execute("UPDATE reminders SET state = 'pending', lease_until = NULL "
                       "WHERE state = 'claimed' AND lease_until < ?", (t,))
            lost = db.execute("UPDATE reminders SET state = 'unknown', lease_until = NULL "
                              "WHERE state = 'sending' AND lease_until < ?", (t,)).rowcount
            skipped = db.execute("UPDATE reminders SET state = 'skipped' WHERE state = 'pending' AND due <= ? "
                                 "AND useful_until <= ?", (t, t)).rowcount
            if skipped or lost:  # schedules that ended while the bot was down: nothing left to send them
                db.execute(f"DELETE FROM reminder_chats WHERE NOT EXISTS ({_OPEN_ROWS})")
                db.execute("DELETE FROM reminders WHERE chat NOT IN (SELECT chat FROM reminder_chats)")
            rows = db.execute("SELECT r.id, r.chat, c.secret, r.kind, r.due, r.useful_until, r.payload "
                              "FROM reminders r JOIN reminder_chats c ON c.chat = r.chat "
                              f"WHERE r.state = 'pending' AND r.due <= ? ORDER BY r.due, r.id LIMIT ?{self.store.db.skip_locked}",
                              (t, limit)).fetchall()
            db.executemany("UPDATE reminders SET state = 'claimed', lease_until = ? WHERE id = ?",
                           [(t + lease, row[0]) for row in rows])
        if lost:
            log.warning("%d reminder(s) may or may not have been sent before a restart: not sent again", lost)
        claimed = []
        for rid, chat, secret, kind, due, until, payload in rows:
            try:
                chat_id = int(self.cipher.decrypt(secret))
            except InvalidToken:  # a key no longer configured: this chat cannot be written to
                log.error("a reminder's chat id cannot be decrypted with REMINDER_KEY: its reminders are dropped")
                self._drop(chat)
                continue
            claimed.append(Claimed(rid, chat_id, chat, from_row(kind, due, until, payload)))
        return claimed

    def sending(self, claimed: Claimed, now: datetime, lease: float = LEASE_SECONDS) -> bool:
        """Marks the reminder as on its way, just before the request; False if it is no longer ours to send
        (stopped, forgotten or rescheduled meanwhile)."""
        with self.store.transaction() as db:
            return db.execute("UPDATE reminders SET state = 'sending', lease_until = ? WHERE id = ? AND state = 'claimed'",
                              (_ts(now) + lease, claimed.id)).rowcount == 1

    def sent(self, claimed: Claimed) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE reminders SET state = 'sent', lease_until = NULL WHERE id = ?", (claimed.id,))
            self._finish_if_done(db, claimed.chat)

    def retry(self, claimed: Claimed, at: datetime) -> None:
        """Not sent (Telegram said so): pending again, due at `at`."""
        with self.store.transaction() as db:
            db.execute("UPDATE reminders SET state = 'pending', lease_until = NULL, due = ? "
                       "WHERE id = ? AND state IN ('claimed', 'sending')", (_ts(at), claimed.id))

    def unknown(self, claimed: Claimed) -> None:
        """The request may or may not have reached the chat: never sent again (at most once)."""
        with self.store.transaction() as db:
            db.execute("UPDATE reminders SET state = 'unknown', lease_until = NULL WHERE id = ?", (claimed.id,))
            self._finish_if_done(db, claimed.chat)

    def blocked(self, claimed: Claimed) -> None:
        """The chat blocked the bot (403): all its reminders stop."""
        self._drop(claimed.chat)

    def _finish_if_done(self, db: Any, chat: str) -> None:
        left = db.execute("SELECT 1 FROM reminders WHERE chat = ? AND state IN ('pending', 'claimed', 'sending') LIMIT 1",
                          (chat,)).fetchone()
        if left is None:
            db.execute("DELETE FROM reminders WHERE chat = ?", (chat,))
            db.execute("DELETE FROM reminder_chats WHERE chat = ?", (chat,))

    def next_due(self) -> datetime | None:
        row = self.db.execute("SELECT MIN(due) FROM reminders WHERE state = 'pending'").fetchone()
        return _dt(row[0]) if row and row[0] is not None else None

    def states(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, COUNT(*) FROM reminders GROUP BY state").fetchall())


def chat_tables(store: Store) -> list[str]:
    """Every table with a `chat` column: where a person's rows are."""
    return store.db.tables_with_column("chat")


def forget(store: Store, chat_id: int | str) -> dict[str, int]:
    """Deletes every row about this chat, in every table that names a chat (whatever tables a later migration
    adds), overwriting the freed pages on SQLite; how many rows went from each table."""
    chat = store.chat_hash(chat_id)
    store.db.secure_delete()
    removed: dict[str, int] = {}
    tables = chat_tables(store)
    with store.transaction() as db:
        for table in tables:
            removed[table] = db.execute(f"DELETE FROM {table} WHERE chat = ?", (chat,)).rowcount
    return removed
