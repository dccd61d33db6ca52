"""Learning from use in Telegram: records, 👍/👎 with a comment, admin reports, reload without restart."""

import asyncio
import json
import logging
import os
import signal

import pytest
import yaml

from bot.contracts import Exchange
from bot.dialogue import Dialogue
from bot.live import LiveDialogue
from bot.telegram.app import build_application, on_startup, on_stop
from faq.kb import load
from tests import telegram_harness
from tests.telegram_harness import USER, settings_for, stop

ADMIN = 7007


async def serve(api, live, store):
    return await telegram_harness.serve(api, live, store=store, admin_chat_ids=str(ADMIN), kb_reload_seconds=0.1)


@pytest.fixture
async def bot(api, kb, matcher, store):
    app = await serve(api, LiveDialogue(Dialogue(kb, matcher)), store)
    yield app
    await stop(app)


async def test_telegram_records_misses_picks_and_feedback_with_comment(api, bot, store):
    api.text(USER, "tell me a joke")
    api.text(USER, "how do i renew")
    sent = await api.wait_for("sendMessage", 2, chat_id=USER)
    api.callback(USER, sent[1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    sent = await api.wait_for("sendMessage", 3, chat_id=USER)
    answer_rows = sent[2].params["reply_markup"]["inline_keyboard"]
    thumbs = [b["callback_data"] for b in answer_rows[-1]]
    assert thumbs == ["fb:+:cma-paths", "fb:-:cma-paths"]
    api.callback(USER, thumbs[1])
    sent = await api.wait_for("sendMessage", 4, chat_id=USER)
    prompt = sent[3]
    assert "What was wrong" in prompt.params["text"] and prompt.params["reply_markup"]["force_reply"]
    api.text(USER, "it was about CCMA", reply_to=prompt.result["message_id"])
    sent = await api.wait_for("sendMessage", 5, chat_id=USER)
    assert "noted" in sent[4].params["text"]
    bot.bot_data.writer.flush()  # answer first, record after: the records follow the answers
    assert [m.text for m in store.misses()] == ["tell me a joke", "how do i renew"]
    assert store.picks() == [("how do i renew", "cma-paths")]
    assert store.db.execute("SELECT entry, vote, comment FROM feedback").fetchall() == \
        [("cma-paths", -1, "it was about CCMA")]
    dump = json.dumps([store.db.execute(f"SELECT * FROM {t}").fetchall() for t in ("replies", "misses", "picks")])
    assert str(USER) not in dump


async def test_thumbs_up_and_forged_feedback(api, bot, store):
    api.callback(USER, "fb:+:nha-ce")
    api.callback(USER, "fb:+:no-such-entry")
    api.callback(USER, "fb:?:nha-ce")
    sent = await api.wait_for("sendMessage", 3, chat_id=USER)
    bot.bot_data.writer.flush()
    assert "Thanks" in sent[0].params["text"]
    assert all("expired" in s.params["text"] for s in sent[1:])
    assert store.db.execute("SELECT entry, vote FROM feedback").fetchall() == [("nha-ce", 1)]


async def test_admin_commands_for_admins_only(api, bot, store, dialogue):
    store.record(1, Exchange.of("telegram", "wifi password", dialogue.reply("wifi password")))
    api.text(ADMIN, "/stats")
    api.text(ADMIN, "/misses")
    admin = await api.wait_for("sendMessage", 2, chat_id=ADMIN)
    assert "Replies by kind" in admin[0].params["text"] and "decline" in admin[0].params["text"]
    assert "wifi password" in admin[1].params["text"]
    api.text(USER, "/stats")
    api.text(USER, "/misses")
    api.text(USER, "/frobnicate")
    sent = await api.wait_for("sendMessage", 3, chat_id=USER)
    assert len({s.params["text"] for s in sent}) == 1  # exactly what any unknown command gets


def edit_answer(kb_dir, new_answer):
    path = kb_dir / "entries" / "nha.yaml"
    entries = yaml.safe_load(path.read_text())
    next(e for e in entries if e["id"] == "nha-fee")["answer"] = new_answer
    path.write_text(yaml.safe_dump(entries, sort_keys=False))


async def test_an_edited_knowledge_base_is_served_without_restart(api, kb_copy, store, caplog):
    live = LiveDialogue(Dialogue(load(kb_copy)), kb_copy)
    app = await serve(api, live, store)
    try:
        edit_answer(kb_copy, "NEW ANSWER: your NHA account shows the renewal fee.")
        for _ in range(100):
            if "NEW ANSWER" in live.current.kb.entries["nha-fee"].answer:
                break
            await asyncio.sleep(0.05)
        api.text(USER, "how much is the ccma renewal fee")
        [sent] = await api.wait_for("sendMessage", chat_id=USER)
        assert sent.params["text"].startswith("NEW ANSWER")

        with caplog.at_level(logging.ERROR):
            edit_answer(kb_copy, "BROKEN {{ r.nha.no_such_rule }}")
            await asyncio.sleep(0.5)
        api.text(USER, "how much is the ccma renewal fee")
        sent = await api.wait_for("sendMessage", 2, chat_id=USER)
        assert sent[1].params["text"].startswith("NEW ANSWER")
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "nha.yaml: entry 'nha-fee': answer template" in errors[0]
    finally:
        await stop(app)


async def test_sighup_reloads_at_once(api, kb_copy, store):
    live = LiveDialogue(Dialogue(load(kb_copy)), kb_copy)
    app = build_application(settings_for(api, kb_reload_seconds=3600), live, store=store)  # only SIGHUP in time
    async with app:
        await on_startup(app)
        await app.start()
        try:
            edit_answer(kb_copy, "AFTER SIGHUP: your NHA account shows it.")
            os.kill(os.getpid(), signal.SIGHUP)
            for _ in range(100):
                if "AFTER SIGHUP" in live.current.kb.entries["nha-fee"].answer:
                    break
                await asyncio.sleep(0.02)
            assert "AFTER SIGHUP" in live.current.kb.entries["nha-fee"].answer
        finally:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            await on_stop(app)
            await app.stop()
