"""Delivering reminders from the store: claim, sending, send, sent — with a controlled clock, kills between
the steps (a real SIGKILL of a sending process, then a restart on the same database), downtime, and a chat
that blocked the bot."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from bot.reminder_store import LEASE_SECONDS, ReminderStore, chat_tables, forget
from bot.scheduler import Delivery, Result, Scheduler
from bot.store import Store
from faq import reminders as rem
from tests.conftest import ROOT

HASH_KEY = b"k" * 32
FERNET = Fernet.generate_key().decode()
CHAT = 5001
START = datetime(2026, 11, 25, 12, tzinfo=UTC)


class Killed(BaseException):
    """The process dying at a step: nothing after it runs, nothing catches it."""


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Outbox:
    """A `send` that records what it sent and answers as told."""

    def __init__(self):
        self.sent: list[tuple[int, rem.Kind]] = []
        self.answer = Result.SENT

    async def __call__(self, chat_id, reminder):
        if self.answer == Result.BLOCKED:
            return Delivery(Result.BLOCKED)
        self.sent.append((chat_id, reminder.kind))
        return Delivery(self.answer)


OPENED: list[Store] = []


@pytest.fixture
def db(database):
    """Each test on SQLite and on PostgreSQL; the stores it opened are closed after it."""
    yield database
    while OPENED:
        OPENED.pop().close()


def open_store(db) -> ReminderStore:
    store = Store(db, HASH_KEY)
    OPENED.append(store)
    return ReminderStore(store, FERNET)


def sign_up(reminders: ReminderStore, kb, chat=CHAT, credential="CMA", given=date(2022, 3, 1), now=START):
    d = rem.deadline(credential, given, now.date(), kb.rules)
    schedule = rem.schedule(d, now)
    reminders.subscribe(chat, credential, d.given, schedule, now)
    return schedule


def scheduler(reminders, outbox, clock, **kwargs):
    return Scheduler(reminders, outbox, clock=clock, rate=1000, **kwargs)


async def test_each_reminder_is_sent_at_its_time_once_then_nothing_is_kept(db, kb):
    reminders, outbox, clock = open_store(db), Outbox(), Clock(START)
    schedule = sign_up(reminders, kb)
    sched = scheduler(reminders, outbox, clock)
    for r in schedule:
        clock.now = r.due - timedelta(seconds=1)
        assert await sched.tick() == 0
        clock.now = r.due
        assert await sched.tick() == 1
        assert await sched.tick() == 0  # never twice
    assert outbox.sent == [(CHAT, r.kind) for r in schedule]
    # the schedule done, the chat's id is no longer needed: no row of it is left
    assert reminders.db.execute("SELECT COUNT(*) FROM reminders").fetchone()[0] == 0
    assert reminders.db.execute("SELECT COUNT(*) FROM reminder_chats").fetchone()[0] == 0


async def test_the_chat_id_is_stored_only_encrypted(db, kb):
    reminders = open_store(db)
    sign_up(reminders, kb)
    [(chat, secret)] = reminders.db.execute("SELECT chat, secret FROM reminder_chats").fetchall()
    assert str(CHAT) not in chat and str(CHAT).encode() not in secret
    assert Fernet(FERNET.encode()).decrypt(secret) == str(CHAT).encode()
    if isinstance(db, str):
        return  # PostgreSQL: the files are the server's
    reminders.store.close()
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    assert files and not any(str(CHAT).encode() in p.read_bytes() for p in files)


async def test_rotating_the_key_keeps_old_chats_readable(db, kb):
    sign_up(open_store(db), kb)
    rotated = ReminderStore(open_store(db).store, Fernet.generate_key().decode() + "," + FERNET)
    [claimed] = rotated.claim(START + timedelta(days=40), 10)
    assert claimed.chat_id == CHAT


async def test_after_downtime_the_useful_reminder_is_sent_once_and_stale_ones_are_not(db, kb):
    reminders, outbox = open_store(db), Outbox()
    schedule = sign_up(reminders, kb)  # 3 months, 1 month, 1 week before, then the window after expiry
    # the bot was down from before the 3-month reminder until two days after the 1-month one
    clock = Clock(schedule[1].due + timedelta(days=2))
    assert await scheduler(reminders, outbox, clock).tick() == 1
    assert outbox.sent == [(CHAT, rem.Kind.BEFORE_1M)]
    assert reminders.states() == {"pending": len(schedule) - 2, "skipped": 1, "sent": 1}
    assert await scheduler(reminders, outbox, clock).tick() == 0  # a second start sends nothing again


async def test_crash_after_claim_before_send_is_sent_after_the_lease(db, kb):
    reminders, outbox = open_store(db), Outbox()
    schedule = sign_up(reminders, kb)
    clock = Clock(schedule[0].due)

    async def crash(step, claimed):
        if step == "claimed":
            raise Killed

    with pytest.raises(Killed):
        await scheduler(reminders, outbox, clock, step=crash).tick()
    restarted = open_store(db)
    assert await scheduler(restarted, outbox, clock).tick() == 0  # still leased to the dead process
    clock.now += timedelta(seconds=LEASE_SECONDS + 1)
    assert await scheduler(restarted, outbox, clock).tick() == 1
    assert outbox.sent == [(CHAT, rem.Kind.BEFORE_3M)]


async def test_crash_after_send_before_mark_is_never_sent_again(db, kb):
    reminders, outbox = open_store(db), Outbox()
    schedule = sign_up(reminders, kb)
    clock = Clock(schedule[0].due)

    async def crash(step, claimed):
        if step == "sent":
            raise Killed

    with pytest.raises(Killed):
        await scheduler(reminders, outbox, clock, step=crash).tick()
    restarted = open_store(db)
    clock.now += timedelta(seconds=LEASE_SECONDS + 1)
    assert await scheduler(restarted, outbox, clock).tick() == 0
    assert outbox.sent == [(CHAT, rem.Kind.BEFORE_3M)]  # once: at most once
    assert restarted.states()["unknown"] == 1


SENDER = """
import asyncio, sys
from datetime import datetime
from bot.reminder_store import ReminderStore
from bot.scheduler import Delivery, Result, Scheduler
from bot.store import Store

db, key, stop_at, now = sys.argv[1:]

async def send(chat_id, reminder):
    print("sent", chat_id, reminder.kind, flush=True)  # the delivery, as the test counts it
    return Delivery(Result.SENT)

async def step(name, claimed):
    if name == stop_at:
        print("at", name, flush=True)
        await asyncio.sleep(3600)  # the test kills the process here

reminders = ReminderStore(Store(db, b"k" * 32), key)
asyncio.run(Scheduler(reminders, send, clock=lambda: datetime.fromisoformat(now), step=step).tick())
"""


def run_until_killed(db, stop_at: str, now: datetime) -> list[str]:
    proc = subprocess.Popen([sys.executable, "-c", SENDER, str(db), FERNET, stop_at, now.isoformat()],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline().strip()
        lines.append(line)
        if line == f"at {stop_at}" or not line:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert lines[-1] == f"at {stop_at}", lines
    return lines


@pytest.mark.parametrize("stop_at, sent_before_kill, sent_after_restart", [
    ("claimed", 0, 1),  # killed holding the claim: nothing went out, so it goes out after the lease
    ("sending", 0, 0),  # killed after marking it on its way, before the request: lost (the price of at most once)
    ("sent", 1, 0),  # killed after the send, before marking it: never a second time
])
async def test_sigkill_between_the_steps_then_restart(db, kb, stop_at, sent_before_kill, sent_after_restart):
    reminders = open_store(db)
    schedule = sign_up(reminders, kb)
    reminders.store.close()
    lines = await asyncio.to_thread(run_until_killed, db, stop_at, schedule[0].due)
    assert sum(line.startswith("sent") for line in lines) == sent_before_kill
    restarted, outbox = open_store(db), Outbox()
    clock = Clock(schedule[0].due + timedelta(seconds=LEASE_SECONDS + 1))
    await scheduler(restarted, outbox, clock).tick()
    assert len(outbox.sent) == sent_after_restart
    assert sent_before_kill + sent_after_restart <= 1
    assert restarted.store.integrity() == "ok"


async def test_a_chat_that_blocked_the_bot_gets_no_more_reminders(db, kb):
    reminders, outbox = open_store(db), Outbox()
    schedule = sign_up(reminders, kb)
    sign_up(reminders, kb, chat=6002)
    outbox.answer = Result.BLOCKED
    clock = Clock(schedule[0].due)
    sched = scheduler(reminders, outbox, clock)
    await sched.tick()
    assert sched.counts[Result.BLOCKED] == 2
    assert reminders.subscription(CHAT) is None and reminders.subscription(6002) is None
    outbox.answer = Result.SENT
    clock.now = schedule[-1].due
    assert await sched.tick() == 0 and outbox.sent == []


async def test_a_429_is_sent_again_later(db, kb):
    reminders, outbox = open_store(db), Outbox()
    schedule = sign_up(reminders, kb)
    outbox.answer = Result.RETRY
    clock = Clock(schedule[0].due)
    sched = scheduler(reminders, outbox, clock)
    assert await sched.tick() == 1
    outbox.answer = Result.SENT
    assert await sched.tick() == 0  # not again in the same pass
    clock.now += timedelta(seconds=1)
    assert await sched.tick() == 1 and len(outbox.sent) == 2  # the first attempt was refused by Telegram


async def test_stop_and_reschedule(db, kb):
    reminders, outbox = open_store(db), Outbox()
    sign_up(reminders, kb)
    new = sign_up(reminders, kb, given=date(2026, 11, 1))  # recertified: the new cycle replaces the old one
    sub = reminders.subscription(CHAT)
    assert sub.given == date(2026, 11, 1) and sub.reminders == new
    assert reminders.stop(CHAT) and reminders.subscription(CHAT) is None
    clock = Clock(new[-1].due)
    assert await scheduler(reminders, outbox, clock).tick() == 0


async def test_forget_leaves_nothing_in_any_table(db, kb):
    from bot.contracts import Exchange, Reply, ReplyKind

    reminders = open_store(db)
    store = reminders.store
    sign_up(reminders, kb)
    sign_up(reminders, kb, chat=6002)
    store.record(CHAT, Exchange.of("telegram", "what is life", Reply(ReplyKind.DECLINE, "no")))
    feedback = store.record_feedback(CHAT, "telegram", "cma-ce", -1)
    store.add_feedback_comment(feedback, "wrong")
    removed = forget(store, CHAT)
    assert set(removed) >= {"replies", "misses", "feedback", "reminders", "reminder_chats"}
    mine = store.chat_hash(CHAT)
    for table in chat_tables(store):
        assert store.db.execute(f"SELECT COUNT(*) FROM {table} WHERE chat = ?", (mine,)).fetchone()[0] == 0
    assert reminders.subscription(6002) is not None  # others keep theirs


async def test_a_schedule_that_ended_while_the_bot_was_down_leaves_nothing(db, kb):
    reminders, outbox = open_store(db), Outbox()
    schedule = sign_up(reminders, kb)
    clock = Clock(schedule[-1].useful_until + timedelta(days=1))
    assert await scheduler(reminders, outbox, clock).tick() == 0 and outbox.sent == []
    assert reminders.db.execute("SELECT COUNT(*) FROM reminders").fetchone()[0] == 0
    assert reminders.subscription(CHAT) is None


async def test_pacing_holds_under_uneven_latency(db, kb):
    """However slow or uneven the requests, no more than rate + 1 + in_flight arrive in any one second."""
    import random

    reminders = open_store(db)
    for chat in range(300):
        sign_up(reminders, kb, chat=7000 + chat)
    arrivals: list[float] = []
    rng = random.Random(15)

    async def slow_send(chat_id, reminder):
        await asyncio.sleep(rng.choice((0.0, 0.005, 0.005, 0.2)))  # the network, or a rate limiter's pause
        arrivals.append(time.monotonic())
        return Delivery(Result.SENT)

    clock = Clock(START + timedelta(days=40))
    rate, in_flight = 100, 4
    assert await Scheduler(reminders, slow_send, clock=clock, rate=rate, in_flight=in_flight).tick() == 300
    arrivals.sort()
    most = max(sum(1 for t in arrivals[i:] if t - start < 1.0) for i, start in enumerate(arrivals))
    assert most <= rate + 1 + in_flight


async def test_stopped_between_claim_and_send_is_not_sent(db, kb):
    reminders, outbox = open_store(db), Outbox()
    schedule = sign_up(reminders, kb)

    async def stop_meanwhile(step, claimed):
        if step == "claimed":
            reminders.stop(CHAT)  # "Stop reminders" (or /forget) tapped while the reminder was claimed

    assert await scheduler(reminders, outbox, Clock(schedule[0].due), step=stop_meanwhile).tick() == 1
    assert outbox.sent == [] and reminders.subscription(CHAT) is None
