"""Two replicas on one database (each test on SQLite and on PostgreSQL): a chat's state follows the chat from
one to the other, an update delivered to both is answered once, and each reminder is claimed by one only."""

import asyncio
import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from telegram import Update

from bot.dialogue import Dialogue
from bot.reminder_store import ReminderStore
from bot.store import Store
from bot.telegram.app import build_application, on_shutdown, on_startup, on_stop
from faq import reminders as rem
from tests.telegram_harness import settings_for

KEY = b"k" * 32
FERNET = Fernet.generate_key().decode()
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def two_stores(database):
    a, b = Store(database, KEY, owner="replica-a"), Store(database, KEY, owner="replica-b")
    yield a, b
    a.close()
    b.close()


def test_two_stores_share_chat_state_and_keep_an_update_once(two_stores):
    a, b = two_stores
    assert a.inbox_add(100, '{"update_id": 100}') == "new"
    assert b.inbox_add(100, '{"update_id": 100}') == "pending"  # a re-delivery to the other replica: dropped
    a.inbox_done(100, 7, '{"state": "after 100"}')
    assert b.chat_state(7) == '{"state": "after 100"}'
    assert b.inbox_add(100, '{"update_id": 100}') == "done"
    assert b.inbox_add(101, '{"update_id": 101}') == "new"
    b.inbox_done(101, 7, '{"state": "after 101"}')
    assert a.chat_state(7) == '{"state": "after 101"}'


def test_concurrent_claims_from_two_replicas_take_each_reminder_once(database):
    """Four claimers (two per replica, each on its own connection) race for 300 due reminders."""
    setup = ReminderStore(Store(database, KEY), FERNET)
    for chat in range(100):
        due = [rem.Reminder(NOW - timedelta(minutes=chat, seconds=i), rem.Kind.BEFORE_3M, "CCMA",
                            NOW + timedelta(days=30), {"expires": date(2027, 1, 31)}) for i in range(3)]
        setup.subscribe(chat, "CCMA", date(2027, 1, 31), due, NOW - timedelta(days=1))
    total = 300
    assert setup.states() == {"pending": total}
    claimed: list[list[int]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def claim(n: int) -> None:
        store = Store(database, KEY, owner=f"replica-{n % 2}")
        reminders = ReminderStore(store, FERNET)
        start.wait()
        while batch := reminders.claim(NOW, 7):
            claimed[n].extend(c.id for c in batch)
        store.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    every = [rid for ids in claimed for rid in ids]
    assert len(every) == len(set(every)) == total  # each claimed, none twice
    assert sum(1 for ids in claimed if ids) >= 2  # the claimers did share the work
    assert setup.states() == {"claimed": total}
    setup.store.close()


# --- the running bot: consecutive updates of one chat land on alternating replicas ---------------------------

async def start_replica(api, dialogue, store):
    app = build_application(settings_for(api, flood_burst=100), dialogue, store=store)
    await app.initialize()
    await on_startup(app)
    await app.start()
    return app


async def stop_replica(app) -> None:
    await on_stop(app)
    await app.stop()
    await app.shutdown()
    await on_shutdown(app)


async def deliver(api, app, push) -> None:
    """An update as Telegram's webhook would hand it to one replica."""
    push()
    await app.update_queue.put(Update.de_json(api.updates[-1], app.bot))


def texts(api, chat):
    return [c.params["text"] for c in api.calls_to("sendMessage", chat_id=chat)]


async def test_a_chat_moves_between_replicas_mid_conversation(api, kb, matcher, two_stores):
    """A guided /check, a clarify offer, a feedback prompt and the language, each begun on one replica and
    continued on the other; and an update delivered to both answered once."""
    dialogue = Dialogue(kb, matcher)
    checking, choosing, voting, spanish = 9501, 9502, 9503, 9504
    a, b = await start_replica(api, dialogue, two_stores[0]), await start_replica(api, dialogue, two_stores[1])
    try:
        await deliver(api, a, lambda: api.text(checking, "/check"))
        await deliver(api, a, lambda: api.text(choosing, "how do i renew"))
        await deliver(api, a, lambda: api.callback(voting, "fb:-:cma-paths"))
        await deliver(api, a, lambda: api.text(spanish, "/language es"))
        await api.wait_for("sendMessage", 4, timeout=15)
        prompt = api.calls_to("sendMessage", chat_id=voting)[0]
        await asyncio.sleep(0.2)  # the end of each update (its state saved) follows its send

        await deliver(api, b, lambda: api.callback(checking, "say:NHA"))
        await deliver(api, b, lambda: api.text(choosing, "1"))
        await deliver(api, b, lambda: api.text(voting, "it was about CCMA", reply_to=prompt.result["message_id"]))
        await deliver(api, b, lambda: api.text(spanish, "how often do i renew my ccma"))
        await api.wait_for("sendMessage", 8, timeout=15)
        assert "NHA CE credits" in texts(api, checking)[1]
        assert "There are two ways to recertify" in texts(api, choosing)[1]
        assert "noted" in texts(api, voting)[1]
        assert "cada 2 años" in texts(api, spanish)[1]  # the language chosen on the other replica
        await asyncio.sleep(0.2)

        await deliver(api, a, lambda: api.text(checking, "12 hours"))  # back on the first replica
        await api.wait_for("sendMessage", 9, timeout=15)
        assert "4 more" in texts(api, checking)[2]

        api.text(choosing, "how often do i renew my ccma")  # one update, delivered to both replicas
        same = api.updates[-1]
        await a.update_queue.put(Update.de_json(same, a.bot))
        await api.wait_for("sendMessage", 10, timeout=15)
        await asyncio.sleep(0.3)
        await b.update_queue.put(Update.de_json(same, b.bot))
        await asyncio.sleep(0.5)
        assert len(api.calls_to("sendMessage")) == 10
        for app in (a, b):
            assert app.bot_data.writer.flush(10)
        assert two_stores[0].db.execute("SELECT entry, vote, comment FROM feedback").fetchall() == \
            [("cma-paths", -1, "it was about CCMA")]
    finally:
        await stop_replica(a)
        await stop_replica(b)


async def test_what_a_dead_replica_acknowledged_is_answered_by_a_live_one(api, kb, matcher, database):
    """Replica A kept an update (Telegram got its 200) and was killed before answering; replica B, running,
    takes it over once A's lease ran out, and answers it once."""
    dead = Store(database, KEY, owner="replica-a", lease=3.0)
    api.text(9601, "how often do i renew my ccma")
    update = api.updates[-1]
    assert dead.inbox_add(update["update_id"], json.dumps(update)) == "new"
    dead.close()  # killed: it never renews its lease
    live = Store(database, KEY, owner="replica-b", lease=1.0)
    b = await start_replica(api, Dialogue(kb, matcher), live)
    try:
        assert api.calls_to("sendMessage", chat_id=9601) == []  # not at B's start: A's lease still ran
        [answer] = await api.wait_for("sendMessage", chat_id=9601, timeout=15)
        assert "every 2 years" in answer.params["text"]
        await asyncio.sleep(1.5)  # another round of take-overs: nothing left to take
        assert len(api.calls_to("sendMessage", chat_id=9601)) == 1
    finally:
        await stop_replica(b)
        live.close()
