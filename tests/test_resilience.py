"""Nobody stalled, nothing twice, nothing forgotten: the running bot with a failing store, a failing chat, a
restart in the middle of a conversation, a re-delivered webhook update, a backlog, and its files."""

import asyncio
import io
import logging
import os
import sqlite3
import stat
import time
from datetime import date

import httpx
import pytest

from bot import log_setup, state_codec
from bot.contracts import ChatState, CheckState
from bot.dialogue import Dialogue
from bot.store import DB_NAME, KEY_NAME, Store
from bot.telegram.app import build_application, on_shutdown, on_startup
from bot.telegram.fake_api import Fault
from faq.calculator import Expiry
from tests.conftest import KEY
from tests.telegram_harness import TOKEN, USER, serve, settings_for, stop
from tests.test_telegram_run import free_port, update_json


async def settle(app, timeout=10.0):
    """Until what the bot handed to the store so far is written (the records follow the answers)."""
    await asyncio.sleep(0.3)
    assert app.bot_data.writer.flush(timeout)


def texts(api, chat):
    return [c.params["text"] for c in api.calls_to("sendMessage", chat_id=chat)]


# --- answer first, record after ----------------------------------------------------------------------------

async def test_a_locked_database_holds_up_no_answer_and_is_logged_once_with_its_cause(api, kb, matcher, store,
                                                                                      caplog):
    app = await serve(api, Dialogue(kb, matcher), store=store)
    locker = sqlite3.connect(store.path, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with caplog.at_level(logging.WARNING):
            chats = [9101, 9102, 9103]
            started = time.monotonic()
            for round_ in range(3):
                for chat in chats:
                    api.text(chat, "tell me a joke" if round_ % 2 else "how often do i renew my ccma")
            sent = await api.wait_for("sendMessage", 9, timeout=20)
            took = max(c.at for c in sent) - started
            await asyncio.sleep(2.5)  # long enough for the writer's own attempts to fail
        assert took < 3.0, f"answers took {took:.1f}s under a locked database"
        for chat in chats:
            assert len(texts(api, chat)) == 3 and not any("went wrong" in t for t in texts(api, chat))
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "database is locked" in errors[0], errors
        assert not any("rollback" in r.getMessage() for r in caplog.records)
        locker.execute("ROLLBACK")
        api.text(9104, "what is the wifi password")
        await api.wait_for("sendMessage", chat_id=9104)
        await settle(app, 30)
        assert "what is the wifi password" in [m.text for m in store.misses()]  # recording resumed
    finally:
        locker.close()
        await stop(app)


async def test_a_full_disk_still_answers_everyone_and_logs_the_real_cause_once(api, kb, matcher, store, caplog):
    app = await serve(api, Dialogue(kb, matcher), store=store)
    try:
        def fill(s):  # the database may not grow by one more page: SQLite's "database or disk is full"
            pages = s.db.execute("PRAGMA page_count").fetchone()[0]
            s.db.execute(f"PRAGMA max_page_count = {pages}")
        await asyncio.wrap_future(app.bot_data.writer.submit("cap the file", fill))
        with caplog.at_level(logging.WARNING):
            for i in range(40):
                api.text(9200 + i % 8, f"tell me a joke number {i} " + "x" * 900)
            await api.wait_for("sendMessage", 40, timeout=30)
            app.bot_data.writer.flush(10)
        sent = api.calls_to("sendMessage")
        assert not any("went wrong" in c.params["text"] for c in sent)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "database or disk is full" in errors[0], errors
        assert not any("rollback" in r.getMessage() for r in caplog.records)
    finally:
        await stop(app)


# --- per-chat order, cross-chat concurrency ------------------------------------------------------------------

async def test_a_chat_whose_sends_fail_delays_only_itself_and_keeps_its_order(api, kb, matcher, monkeypatch):
    monkeypatch.setattr("bot.telegram.retry.FIRST_DELAY", 1.0)
    monkeypatch.setattr("bot.telegram.retry.MAX_DELAY", 1.0)  # five failures: about five seconds of retrying
    failing, other = 9301, 9302
    api.inject("sendMessage", *[Fault("500", chat_id=failing)] * 5)
    app = await serve(api, Dialogue(kb, matcher))
    try:
        for k in (1, 2, 3):
            api.text(failing, f"/check ccma hours={k}")
        await asyncio.sleep(0.3)  # the failing chat's first send is being retried
        asked = time.monotonic()
        api.text(other, "how often do i renew my ccma")
        [answer] = await api.wait_for("sendMessage", chat_id=other, timeout=15)
        assert answer.at - asked < 1.0
        mine = await api.wait_for("sendMessage", 3, chat_id=failing, timeout=30)
        assert [t.params["text"].split()[0] for t in mine] == ["1", "2", "3"]  # in the order asked
        assert mine[0].at > answer.at
    finally:
        await stop(app)


# --- state survives a restart ----------------------------------------------------------------------------------

async def test_a_restart_keeps_a_guided_check_an_offer_and_a_feedback_prompt(api, kb, matcher, tmp_path):
    checking, choosing, voting = 9401, 9402, 9403
    store = Store(tmp_path / DB_NAME, KEY)
    app = await serve(api, Dialogue(kb, matcher), store=store)
    try:
        api.text(checking, "/check")
        api.text(choosing, "how do i renew")
        api.callback(voting, "fb:-:cma-paths")
        await api.wait_for("sendMessage", 3, timeout=15)
        [prompt] = api.calls_to("sendMessage", chat_id=voting)
        assert "Which credential" in texts(api, checking)[0] and "What was wrong" in prompt.params["text"]
    finally:
        await stop(app)
        store.close()

    store = Store(tmp_path / DB_NAME, KEY)
    app = await serve(api, Dialogue(kb, matcher), store=store)
    try:
        api.text(checking, "ccma")
        api.text(choosing, "1")
        api.text(voting, "it was about CCMA", reply_to=prompt.result["message_id"])
        await api.wait_for("sendMessage", 6, timeout=15)
        assert "NHA CE credits" in texts(api, checking)[1]
        assert "There are two ways to recertify" in texts(api, choosing)[1]
        assert "noted" in texts(api, voting)[1]
        await settle(app)
        assert store.db.execute("SELECT entry, vote, comment FROM feedback").fetchall() == \
            [("cma-paths", -1, "it was about CCMA")]
    finally:
        await stop(app)
        store.close()


def test_a_chat_state_goes_to_json_and_back():
    check = CheckState(credential="CMA", values={"total": 45.0, "expired": Expiry(2.0, "month"),
                                                 "certified": date(2022, 3, 1)},
                       asking="aama", guided=True, skipped=frozenset({"categories"}))
    state = ChatState(offered=("cma-paths", "nha-ce"), offered_for="how do i renew", check=check, last_check=check)
    assert state_codec.loads(state_codec.dumps(state)) == state
    assert state_codec.loads('{"__dc": "os.system", "command": "rm"}') is None  # only the known classes
    assert state_codec.loads("not json") is None


# --- nothing twice ------------------------------------------------------------------------------------------------

async def test_a_webhook_update_delivered_twice_is_answered_once(api, kb, matcher, store):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    app = build_application(settings_for(api), Dialogue(kb, matcher), store=store)
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_"}
    async with app:
        await on_startup(app)
        await app.start()
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook", secret_token="s3cret_",
                                        webhook_url=url)
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                for _ in range(2):
                    ok = await client.post(url, json=update_json(41, "how often do i renew my ccma"), headers=headers)
                    assert ok.status_code == 200
                    await api.wait_for("sendMessage", chat_id=USER)
                    await asyncio.sleep(0.3)
            assert len(api.calls_to("sendMessage")) == 1
        finally:
            await app.updater.stop()
            await app.stop()
    await on_shutdown(app)


async def test_a_second_vote_changes_the_first(api, kb, matcher, store):
    app = await serve(api, Dialogue(kb, matcher), store=store)
    try:
        for data in ("fb:+:nha-ce", "fb:+:nha-ce", "fb:+:nha-ce", "fb:-:nha-ce"):
            api.callback(USER, data)
        await api.wait_for("sendMessage", 4, chat_id=USER)
        await settle(app)
        assert store.db.execute("SELECT entry, vote FROM feedback").fetchall() == [("nha-ce", -1)]
    finally:
        await stop(app)


# --- limits -----------------------------------------------------------------------------------------------------

async def test_a_backlog_queued_while_down_is_not_a_flood(api, kb, matcher):
    now = int(time.time())
    for i in range(20):  # one question every 10 s over the last 200 s, all waiting when the bot starts
        api.text(USER, f"/check ccma hours={i + 1}")
        api.updates[-1]["message"]["date"] = now - 200 + 10 * i
    app = await serve(api, Dialogue(kb, matcher), flood_burst=8, flood_per_seconds=10)
    try:
        await api.wait_for("sendMessage", 20, chat_id=USER, timeout=30)
        assert not any("faster than I can answer" in t for t in texts(api, USER))
    finally:
        await stop(app)


# --- files private ------------------------------------------------------------------------------------------

def test_the_data_folder_database_and_key_are_private_from_creation(tmp_path):
    old = os.umask(0o022)  # a usual umask: files 0644, folders 0755 unless the code says otherwise
    try:
        data = tmp_path / "data"
        s = Store.open(data)
        s.record_feedback(1, "telegram", "nha-ce", 1)  # the -wal and -shm files exist now
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
        s.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert modes[DB_NAME] == modes[KEY_NAME] == 0o600
    assert all(mode == 0o600 for mode in modes.values()), modes
    assert {DB_NAME, KEY_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"} <= set(modes)


# --- logs ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("log_bodies", [False, True])
async def test_debug_logs_keep_what_users_wrote_out_unless_asked(api, kb, matcher, log_bodies):
    buffer = io.StringIO()
    log_setup.configure("DEBUG", TOKEN, stream=buffer, log_bodies=log_bodies)
    chat = 987654321
    app = await serve(api, Dialogue(kb, matcher))
    try:
        api.text(chat, "zebra quagga how many ceus for my cma")
        await api.wait_for("sendMessage", chat_id=chat)
        await api.wait_until_consumed()
    finally:
        await stop(app)
        logging.getLogger().handlers.clear()
    text = buffer.getvalue()
    assert "Processing update" in text and "handled message: answer cma-ce-total in" in text  # the lines stay
    assert ("quagga" in text) == log_bodies and (str(chat) in text) == log_bodies
    assert ("60 recertification points" in text) == log_bodies  # nor the answers
    assert TOKEN not in text
    assert (log_setup.bodies_warning("DEBUG", log_bodies) is not None) == log_bodies
