"""The real python-telegram-bot client against a fake Bot API server on 127.0.0.1."""

import asyncio

import pytest

from bot.dialogue import Dialogue
from tests.telegram_harness import USER, serve, stop


@pytest.fixture
async def bot(api, kb, matcher):
    app = await serve(api, Dialogue(kb, matcher))
    yield app
    await stop(app)


async def test_start_registers_commands_and_welcomes_with_topic_buttons(api, bot):
    commands = (await api.wait_for("setMyCommands"))[0].params["commands"]
    assert {c["command"] for c in commands} == {"start", "help", "topics", "check", "sources", "language", "remind",
                                                "reminders", "forget"}
    api.text(USER, "/start")
    [sent] = await api.wait_for("sendMessage", chat_id=USER)
    assert "CMA (AAMA) recertification" in sent.params["text"]
    assert sent.params["parse_mode"] == "HTML"
    buttons = [row[0]["callback_data"] for row in sent.params["reply_markup"]["inline_keyboard"]]
    assert buttons == ["t:CMA", "t:NHA", "t:RMA", "t:NCMA", "t:ALL"]


async def test_help_and_sources(api, bot):
    api.text(USER, "/help")
    api.text(USER, "/sources")
    help_msg, sources_msg = await api.wait_for("sendMessage", 2, chat_id=USER)
    assert "/check" in help_msg.params["text"]
    assert "https://www.aama-ntl.org/" in sources_msg.params["text"]


async def test_topics_navigation_edits_the_message(api, bot):
    api.text(USER, "/topics")
    await api.wait_for("sendMessage", chat_id=USER)
    api.callback(USER, "t:NHA", message_id=77)
    [edit] = await api.wait_for("editMessageText", message_id=77)
    assert "CCMA (NHA) questions" in edit.params["text"]
    data = [row[0]["callback_data"] for row in edit.params["reply_markup"]["inline_keyboard"]]
    assert "e:nha-ce" in data and data[-1] == "t:"
    api.callback(USER, "e:nha-ce", message_id=77)
    await api.wait_for("answerCallbackQuery", 2)
    [_, answer] = await api.wait_for("sendMessage", 2, chat_id=USER)
    assert "10 continuing education credits" in answer.params["text"]
    api.callback(USER, "t:", message_id=77)
    edits = await api.wait_for("editMessageText", 2, message_id=77)
    assert "by credential" in edits[-1].params["text"]


async def test_question_is_answered_with_source_and_related_buttons(api, bot):
    api.text(USER, "how many ceus do i need to recert my cma??")
    [sent] = await api.wait_for("sendMessage", chat_id=USER)
    assert "60 recertification points" in sent.params["text"]
    assert "Source" in sent.params["text"]
    related = [row[0]["callback_data"] for row in sent.params["reply_markup"]["inline_keyboard"]]
    assert related == ["e:cma-ce-aama", "e:cma-ce-categories", "e:cma-ce-activities"]
    api.callback(USER, related[0])
    sent = await api.wait_for("sendMessage", 2, chat_id=USER)
    assert "At least 30 of the 60" in sent[-1].params["text"]


async def test_clarify_tapped_through_to_its_answer(api, bot):
    api.text(USER, "how do i renew")
    [clarify] = await api.wait_for("sendMessage", chat_id=USER)
    rows = clarify.params["reply_markup"]["inline_keyboard"]
    assert rows[-1][0]["callback_data"] == "none" and len(rows) == 4
    api.callback(USER, rows[0][0]["callback_data"])
    await api.wait_for("answerCallbackQuery")
    sent = await api.wait_for("sendMessage", 2, chat_id=USER)
    assert "There are two ways to recertify" in sent[-1].params["text"]
    api.callback(USER, "none")
    sent = await api.wait_for("sendMessage", 3, chat_id=USER)
    assert "Try asking in other words" in sent[-1].params["text"]


async def test_check_one_line_and_guided_with_cancel(api, bot):
    api.text(USER, "/check cma 45 20")
    [verdict] = await api.wait_for("sendMessage", chat_id=USER)
    assert "15 more points" in verdict.params["text"]
    api.text(USER, "/check")
    sent = await api.wait_for("sendMessage", 2, chat_id=USER)
    assert "Which credential" in sent[-1].params["text"]
    api.callback(USER, "say:NHA")
    sent = await api.wait_for("sendMessage", 3, chat_id=USER)
    assert "NHA CE credits" in sent[-1].params["text"]
    api.text(USER, "12 hours")
    sent = await api.wait_for("sendMessage", 4, chat_id=USER)
    assert "4 more" in sent[-1].params["text"]
    api.text(USER, "/check cma")
    api.text(USER, "cancel")
    sent = await api.wait_for("sendMessage", 6, chat_id=USER)
    assert "cancelled" in sent[-1].params["text"]


async def test_inline_mode_offers_answers(api, bot):
    api.inline(USER, "how many ceus for cma")
    [call] = await api.wait_for("answerInlineQuery")
    results = call.params["results"]
    assert 1 <= len(results) <= 3 and results[0]["id"] == "cma-ce-total"
    assert "60" in results[0]["input_message_content"]["message_text"]


async def test_sticker_gets_a_text_only_reply(api, bot):
    api.sticker(USER)
    [sent] = await api.wait_for("sendMessage", chat_id=USER)
    assert "only read text" in sent.params["text"]


async def test_html_is_escaped_not_parsed(api, bot):
    api.text(USER, "<b>hi</b> & <script>alert(1)</script> how many ceus for my cma")
    api.text(USER, "/check cma total=<b>5</b>")
    first, second = await api.wait_for("sendMessage", 2, chat_id=USER)
    for sent in (first, second):
        assert "<script>" not in sent.params["text"] and "<b>" not in sent.params["text"]
    assert "&lt;b&gt;5&lt;/b&gt;" in second.params["text"]


async def test_a_10000_character_message_is_answered_within_limits(api, bot):
    api.text(USER, "how many ceus for my cma " + "really " * 1430)
    [sent] = await api.wait_for("sendMessage", chat_id=USER)
    assert len(sent.params["text"]) <= 4096


async def test_group_message_without_mention_gets_no_reply(api, bot):
    group = -100200
    api.text(group, "how many ceus for my cma", chat_type="supergroup")
    api.text(group, f"@{api.username} how many ceus for my cma", chat_type="supergroup")
    api.text(group, "and for ccma?", chat_type="supergroup", reply_to_bot=True)
    sent = await api.wait_for("sendMessage", 2, chat_id=group)
    await api.wait_until_consumed()
    assert len(api.calls_to("sendMessage", chat_id=group)) == 2
    assert "60 recertification points" in sent[0].params["text"]


async def test_forged_button_gets_expired_notice(api, bot):
    api.callback(USER, "e:no-such-entry")
    api.callback(USER, "zzz")
    sent = await api.wait_for("sendMessage", 2, chat_id=USER)
    assert all("expired" in s.params["text"] for s in sent)
    assert len(api.calls_to("answerCallbackQuery")) == 2


async def test_unknown_command(api, bot):
    api.text(USER, "/frobnicate")
    [sent] = await api.wait_for("sendMessage", chat_id=USER)
    assert "/help" in sent.params["text"]


async def test_numpy_is_imported_after_the_first_answer_not_before(api, kb, matcher, monkeypatch):
    """The first question is answered without waiting for numpy (ranked in Python); the bot imports it in a
    thread once that answer is out."""
    from faq import matcher as ranking

    monkeypatch.setattr(ranking, "_numpy_ready", False)
    app = await serve(api, Dialogue(kb, matcher))
    try:
        api.text(USER, "how many ceus do i need to recert my cma")
        [sent] = await api.wait_for("sendMessage", chat_id=USER)
        assert "60" in sent.params["text"]
        for _ in range(200):
            if ranking._numpy_ready:
                break
            await asyncio.sleep(0.05)
        assert ranking._numpy_ready
    finally:
        await stop(app)
