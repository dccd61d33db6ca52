"""Reminders through the real python-telegram-bot client and the fake Bot API, with a controlled clock:
sign-up and consent, each reminder at its time with its buttons, "I've recertified", "Stop reminders",
/reminders, /forget, and a chat that blocked the bot."""

import html
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from bot.dialogue import Dialogue
from bot.reminder_store import chat_tables
from bot.store import DB_NAME, Store
from faq import reminders as rem
from tests.telegram_harness import USER, serve, stop

KEY = Fernet.generate_key().decode()


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 25, 12, tzinfo=UTC))


@pytest.fixture
async def running(api, kb, matcher, tmp_path, clock):
    store = Store(tmp_path / DB_NAME, b"k" * 32)
    app = await serve(api, Dialogue(kb, matcher, today=lambda: clock().date()), store=store, reminder_key=KEY)
    service = app.bot_data.reminders
    service.clock = clock
    yield app, service, store
    await stop(app)
    store.close()


def sent_to(api, chat=USER):
    return [c.params for c in api.calls_to("sendMessage", chat_id=chat)]


def buttons(params):
    return [b["callback_data"] for row in params["reply_markup"]["inline_keyboard"] for b in row]


async def said(api, count, chat=USER):
    """The messages sent to the chat so far (at least `count`), their HTML unescaped."""
    calls = await api.wait_for("sendMessage", count, chat_id=chat)
    return [{**c.params, "text": html.unescape(c.params["text"])} for c in calls]


async def sign_up(api, text="/remind cma 2022-03", start=0):
    api.text(USER, text)
    offer = (await said(api, start + 1))[-1]
    assert "Shall I keep it for that?" in offer["text"]
    yes, _no = buttons(offer)
    api.callback(USER, yes)
    saved = (await said(api, start + 2))[-1]
    assert saved["text"].startswith("Done: I'll remind you on")
    return saved


async def test_free_text_sign_up_consent_and_each_reminder_at_its_time(api, running, kb, clock):
    app, service, _store = running
    api.text(USER, "please remind me before my cma expires")
    assert "In which month" in (await said(api, 1))[-1]["text"]
    await sign_up(api, "march 2022", start=1)
    schedule = rem.schedule(rem.deadline("CMA", date(2022, 3, 1), clock().date(), kb.rules), clock())
    sched = service.scheduler or service.start(app.bot, app.bot_data.live)
    count = len(sent_to(api))
    for r in schedule:
        clock.now = r.due - timedelta(minutes=1)
        assert await sched.tick() == 0
        clock.now = r.due
        assert await sched.tick() == 1
        count += 1
        reminder = (await said(api, count))[-1]
        assert "⏰" in reminder["text"] and "31 March 2027" in reminder["text"]
        assert buttons(reminder) == ["rm:r:CMA", "rm:s"]
    assert len(sent_to(api)) == count  # nothing twice
    assert service.reminders.subscription(USER) is None  # all sent: the chat id is no longer kept


async def test_no_keeps_nothing_and_reminders_lists(api, running):
    _, service, _ = running
    api.text(USER, "/remind ccma 2027-05-31")
    offer = (await said(api, 1))[-1]
    api.callback(USER, buttons(offer)[1])
    assert "nothing kept" in (await said(api, 2))[-1]["text"]
    assert service.reminders.subscription(USER) is None
    api.text(USER, "/reminders")
    assert "No reminders are scheduled" in (await said(api, 3))[-1]["text"]


async def test_guided_sign_up_then_list(api, running):
    api.text(USER, "/remind")
    ask = (await said(api, 1))[-1]
    assert buttons(ask)[:4] == ["say:CMA", "say:NHA", "say:RMA", "say:NCMA"]
    api.callback(USER, "say:RMA")
    assert "When does your RMA (AMT) expire" in (await said(api, 2))[-1]["text"]
    await sign_up(api, "2029-05-31", start=2)
    api.text(USER, "/reminders")
    listed = (await said(api, 5))[-1]["text"]
    assert "Reminders for your RMA (AMT)" in listed and "1 May 2027: the month AMT's annual renewal fee is due" in listed


async def test_recertified_reschedules_and_stop_stops(api, running, clock):
    app, service, _ = running
    await sign_up(api)
    sched = service.scheduler or service.start(app.bot, app.bot_data.live)
    first = service.reminders.subscription(USER).reminders[0]
    clock.now = first.due
    assert await sched.tick() == 1
    api.callback(USER, "rm:r:CMA")
    assert "Congratulations" in (await said(api, 4))[-1]["text"]
    clock.now += timedelta(days=5)
    api.text(USER, "2026-12")
    offer = (await said(api, 5))[-1]
    assert "current until 31 December 2031" in offer["text"]
    api.callback(USER, buttons(offer)[0])
    await said(api, 6)
    sub = service.reminders.subscription(USER)
    assert sub.given == date(2026, 12, 1) and sub.reminders[0].dates["expires"] == date(2031, 12, 31)
    api.callback(USER, "rm:s")
    assert "Reminders stopped" in (await said(api, 7))[-1]["text"]
    assert service.reminders.subscription(USER) is None
    clock.now = datetime(2032, 3, 1, tzinfo=UTC)
    assert await sched.tick() == 0


async def test_forget_deletes_everything_about_the_person(api, running):
    _, _service, store = running
    await sign_up(api)
    api.text(USER, "what is the meaning of life")  # recorded as a miss
    api.text(USER, "how many ceus do i need for my cma")  # an answer, with 👍/👎
    answer = (await said(api, 4))[-1]
    api.callback(USER, next(b for b in buttons(answer) if b.startswith("fb:-")))
    await said(api, 5)
    mine = store.chat_hash(USER)
    assert sum(store.db.execute(f"SELECT COUNT(*) FROM {t} WHERE chat = ?", (mine,)).fetchone()[0]
               for t in chat_tables(store)) >= 5
    api.text(USER, "/forget")
    done = (await said(api, 6))[-1]["text"]
    assert "I deleted everything I kept about you" in done
    for table in chat_tables(store):
        assert store.db.execute(f"SELECT COUNT(*) FROM {table} WHERE chat = ?", (mine,)).fetchone()[0] == 0, table
    for (table,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for row in store.db.execute(f"SELECT * FROM {table}"):
            assert mine not in row and USER not in row and str(USER) not in row, table


async def test_a_chat_that_blocked_the_bot_stops_its_reminders(api, running, clock):
    app, service, _ = running
    await sign_up(api)
    sched = service.scheduler or service.start(app.bot, app.bot_data.live)
    api.blocked.add(USER)
    reminders = service.reminders.subscription(USER).reminders
    clock.now = reminders[0].due
    assert await sched.tick() == 1
    assert service.reminders.subscription(USER) is None
    clock.now = reminders[-1].due
    assert await sched.tick() == 0


async def test_no_chat_id_in_the_logs_even_at_debug(api, running, clock):
    import io
    import logging

    from bot import log_setup

    app, service, _ = running
    buffer = io.StringIO()
    log_setup.configure("DEBUG", stream=buffer)  # as `recertbot run` does, update bodies kept out
    try:
        await sign_up(api)
        sched = service.scheduler or service.start(app.bot, app.bot_data.live)
        clock.now = service.reminders.subscription(USER).reminders[0].due
        assert await sched.tick() == 1
        await said(api, 3)
    finally:
        logging.getLogger().handlers.clear()
    assert "Processing update" in buffer.getvalue() and str(USER) not in buffer.getvalue()


async def test_without_a_key_reminders_are_off_and_nothing_is_kept(api, kb, matcher, tmp_path):
    store = Store(tmp_path / DB_NAME, b"k" * 32)
    app = await serve(api, Dialogue(kb, matcher), store=store)
    try:
        assert app.bot_data.reminders is None
        api.text(USER, "/remind cma 2024-03")
        offer = (await said(api, 1))[-1]
        api.callback(USER, buttons(offer)[0])
        assert "not switched on" in (await said(api, 2))[-1]["text"]
        assert store.db.execute("SELECT COUNT(*) FROM reminder_chats").fetchone()[0] == 0
    finally:
        await stop(app)
        store.close()


async def test_a_reminder_due_while_the_bot_was_down_is_sent_at_start(api, kb, matcher, tmp_path):
    from bot.reminder_store import ReminderStore

    store = Store(tmp_path / DB_NAME, b"k" * 32)
    now = datetime.now(UTC)
    expires = now.date() + timedelta(days=30)
    due = rem.Reminder(now - timedelta(hours=2), rem.Kind.BEFORE_1M, "NHA", now + timedelta(days=20), {"expires": expires},
                       ("NHA-CE",))
    stale = rem.Reminder(now - timedelta(days=60), rem.Kind.BEFORE_3M, "NHA", now - timedelta(days=1),
                         {"expires": expires}, ("NHA-CE",))
    ReminderStore(store, KEY).subscribe(USER, "NHA", expires, [stale, due], now - timedelta(days=90))
    app = await serve(api, Dialogue(kb, matcher), store=store, reminder_key=KEY)
    try:
        [sent] = await said(api, 1)  # the start-up pass, nobody asking
        assert f"expires on {expires.day} {expires:%B %Y} (30 days from today)" in sent["text"]
        await api.wait_for("getUpdates", 3)
        assert len(sent_to(api)) == 1  # the stale one is not sent, nothing twice
    finally:
        await stop(app)
        store.close()


async def test_a_chat_that_signed_up_in_spanish_gets_its_reminders_in_spanish(api, running, kb, clock):
    app, service, _store = running
    api.text(USER, "recuerdame antes de que se venza mi cma", language_code="es")
    assert "¿En qué mes" in (await said(api, 1))[-1]["text"]
    api.text(USER, "marzo de 2022", language_code="es")
    offer = (await said(api, 2))[-1]
    yes, _no = buttons(offer)
    api.callback(USER, yes)
    await said(api, 3)
    first = rem.schedule(rem.deadline("CMA", date(2022, 3, 1), clock().date(), kb.rules), clock())[0]
    sched = service.scheduler or service.start(app.bot, app.bot_data.live)
    clock.now = first.due
    assert await sched.tick() == 1
    reminder = (await said(api, 4))[-1]
    assert "31 de marzo de 2027" in reminder["text"] and "Fuente" in reminder["text"]
