import pytest

from bot.dialogue import MAX_INPUT_CHARS, ChatState, Conversation
from bot.telegram.buttons import pack

KINDS = {"answer", "clarify", "decline", "check", "greeting", "help", "thanks"}


def test_an_answer_ends_with_its_source_and_offers_related(dialogue):
    reply = dialogue.reply("how many ceus for my cma")
    assert reply.kind == "answer" and reply.entry == "cma-ce-total"
    assert "60" in reply.text
    assert reply.text.splitlines()[-1].startswith("Source")
    assert "https://www.aama-ntl.org/" in reply.text
    assert [pack(b.action) for b in reply.buttons] == ["e:cma-ce-aama", "e:cma-ce-categories", "e:cma-ce-activities"]


def test_clarify_offers_numbered_questions_and_a_number_picks_one(dialogue):
    chat = Conversation(dialogue)
    reply = chat.say("how do i renew")
    assert reply.kind == "clarify"
    assert reply.suggestions[0] in reply.text and "1." in reply.text
    assert pack(reply.buttons[-1].action) == "none"
    picked = chat.say("1")
    assert picked.kind == "answer"
    assert picked.entry == reply.buttons[0].action.entry


def test_a_number_without_an_offer_is_just_a_question(dialogue):
    assert dialogue.reply("2").kind == "decline"


def test_an_out_of_range_number_does_not_pick(dialogue):
    chat = Conversation(dialogue)
    chat.say("how do i renew")
    reply = chat.say("9")
    assert reply.entry is None and "Pick a number from 1 to 3" in reply.text  # no pick, and the offer stays


def test_related_questions_can_be_picked_by_number(dialogue):
    chat = Conversation(dialogue)
    first = chat.say("how often do i renew my ccma")
    second = chat.say("1")
    assert second.entry == first.buttons[0].action.entry


def test_no_credential_named_gives_every_credentials_answer(dialogue):
    reply = dialogue.reply("how often do i have to renew")
    assert reply.kind == "answer" and reply.entry == "topic:cycle"
    assert "60 months" in reply.text and "2 years" in reply.text


@pytest.mark.parametrize("text, kind", [("hi", "greeting"), ("Hello!", "greeting"), ("thanks!", "thanks"),
                                        ("thank you so much", "thanks"), ("help", "help"),
                                        ("what can you do?", "help")])
def test_small_talk(dialogue, text, kind):
    assert dialogue.reply(text).kind == kind


def test_hi_followed_by_a_question_is_a_question(dialogue):
    assert dialogue.reply("hi how many ceus for cma").entry == "cma-ce-total"


def test_a_decline_says_so_and_points_to_topics(dialogue):
    reply = dialogue.reply("what's the capital of france")
    assert reply.kind == "decline"
    assert "don't have an answer" in reply.text and "/topics" in reply.text


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "???!!!", "😀😀😀", "<b>bold</b>", "<script>alert(1)</script>",
                                  "\x00\x01\x02", "‮rtl‭", "a" * 100_000, "how many ceus " * 5000, "-5", "1e309",
                                  "\ud800 lone surrogate"])
def test_any_input_gets_a_polite_reply(dialogue, text):
    reply = dialogue.reply(text)
    assert reply.kind in KINDS
    assert reply.text.strip()
    assert len(reply.text) < 4096


def test_a_huge_message_is_read_only_up_to_the_limit(dialogue):
    reply = dialogue.reply("how many ceus for my cma " + "please " * MAX_INPUT_CHARS)
    assert reply.entry == "cma-ce-total"


def test_answer_entry_for_an_unknown_id_is_none(dialogue):
    assert dialogue.answer_entry("no-such-entry", ChatState()) is None
    assert dialogue.answer_entry("nha-fee", ChatState())[0].entry == "nha-fee"


def test_the_terminal_chat_answers_the_commands_it_advertises(dialogue):
    from bot.terminal import chat

    said = []
    lines = iter(["/topics", "/sources", "/help", "quit"])
    chat(dialogue, read=lambda _: next(lines), write=said.append)
    topics, sources, help_text = said[1:4]
    assert "CMA (AAMA):" in topics and "How many of my CEUs must be AAMA-approved?" in topics
    assert "https://www.aama-ntl.org/" in sources
    assert "/check" in help_text
