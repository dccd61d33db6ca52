"""The calculator through the dialogue: free text, one-line /check, and the guided flow."""

from datetime import date

import pytest

from bot.dialogue import ChatState, Dialogue


@pytest.fixture(scope="module")
def talk(kb, matcher):
    return Dialogue(kb, matcher, today=lambda: date(2026, 11, 25))


@pytest.mark.parametrize(
    "text, must",
    [
        ("I have 45 points, 20 AAMA-approved. can i recertify?", ["15 more points", "10 of them AAMA-approved"]),
        ("i've got 52 points, 30 aama approved", ["8 more points"]),
        ("60 points with 25 aama approved for my cma", ["5 more AAMA-approved points", "30 non-AAMA points count"]),
        ("did 7 credits so far for my ccma", ["3 more"]),
        ("i have 12 hours of ce for my ccma", ["6 NHA credits", "4 more"]),
        ("my cma expired 2 months ago", ["within 3 months", "continuing education"]),
        ("my cma expired 4 months ago", ["must pass the CMA (AAMA) exam", "$50"]),
        ("i certified in march 2022", ["current until 31 March 2027"]),
        ("i have 25 ccp points", ["5 more"]),
        ("I have forty five points and twenty are aama approved", ["15 more points"]),
    ],
)
def test_personal_questions_are_checked(talk, text, must):
    reply = talk.reply(text, ChatState())
    assert reply.kind == "check"
    for m in must:
        assert m in reply.text


@pytest.mark.parametrize(
    "text, must",
    [
        ("/check cma total=45 aama=20 clinical=5 expired=2", ["15 more points", "Clinical: 5 more", "within 3 months"]),
        ("/check cma 45 20", ["15 more points"]),
        ("/check cma 60 30 10 10 10", ["✅"]),
        ("/check ccma 7", ["3 more"]),
        ("/check ccma hours=12", ["4 more"]),
        ("/check rma 30", ["✅"]),
        ("/check cma certified=2021-06", ["current until 30 June 2026", "must pass"]),
        ("/check@recertbot cma 45 20", ["15 more points"]),
        ("/check ncma", ["can't check NCMA"]),
        ("/check rma points=25", ["5 more"]),
        ("/check ccma total=7", ["3 more"]),
        ("/check cma credits=45 aama=20", ["15 more points"]),
    ],
)
def test_one_line_check(talk, text, must):
    reply = talk.reply(text, ChatState())
    assert reply.kind == "check" and reply.entry and reply.entry.startswith("check:")
    for m in must:
        assert m in reply.text


@pytest.mark.parametrize(
    "text, message",
    [
        ("/check cma -5 2", "can't be negative"),
        ("/check cma 10000 20", "more than anyone earns"),
        ("/check cma 20 30", "part of the total"),
        ("/check cma total=abc", "is not a number"),
        ("/check cma color=blue", "I don't know 'color'"),
        ("/check cma certified=2030-01", "in the future"),
        ("/check cma certified=2020-13", "not a month"),
        ("/check 45 20", "which credential first"),
        ("/check ccma 1 2 3", "Too many numbers"),
        ("I have 45 points and 50 of them aama approved", "part of the total"),
        ("i have 9999 hours of ce for ccma", "more than anyone earns"),
    ],
)
def test_bad_check_input_gets_a_specific_message(talk, text, message):
    reply = talk.reply(text, ChatState())
    assert reply.kind == "check"
    assert message.lower() in reply.text.lower()


def test_guided_check_asks_each_number_and_allows_skipping(talk):
    state = ChatState()
    steps = [
        ("/check", "Which credential"),
        ("cma", "in total"),
        ("forty five", "How many of your 45 points are AAMA-approved"),
        ("20", "administrative, clinical and general"),
        ("skip", "Has your CMA expired"),
        ("no", "15 more points"),
    ]
    for text, expect in steps:
        reply = talk.reply(text, state)
        assert reply.kind == "check"
        assert expect in reply.text, (text, reply.text)
    assert state.check is None


def test_guided_check_by_number_and_buttons(talk):
    state = ChatState()
    first = talk.reply("/check", state)
    assert [b.data for b in first.buttons] == ["say:CMA", "say:NHA", "say:RMA", "say:NCMA", "say:cancel"]
    assert "NHA CE credits" in talk.reply("2", state).text
    assert "4 more" in talk.reply("12 hours", state).text


def test_guided_check_can_be_cancelled(talk):
    state = ChatState()
    talk.reply("/check cma", state)
    reply = talk.reply("cancel", state)
    assert "cancelled" in reply.text and state.check is None
    assert talk.reply("how often do i renew my ccma", state).kind == "answer"


def test_a_wrong_answer_is_asked_again(talk):
    state = ChatState()
    talk.reply("/check rma", state)
    reply = talk.reply("lots", state)
    assert "reply with a number" in reply.text.lower() and state.check is not None
    reply = talk.reply("-3", state)
    assert "can't be negative" in reply.text and state.check is not None
    assert "✅" in talk.reply("31", state).text


def test_essential_numbers_cannot_be_skipped(talk):
    state = ChatState()
    talk.reply("/check cma", state)
    assert "I need this one" in talk.reply("skip", state).text


def test_a_new_question_leaves_the_check(talk):
    state = ChatState()
    talk.reply("/check cma", state)
    reply = talk.reply("how often do i renew my ccma", state)
    assert reply.kind == "answer" and state.check is None


def test_missing_essential_number_is_asked_for(talk):
    state = ChatState()
    reply = talk.reply("I have 45 points for my cma", state)
    assert "How many of your 45 points are AAMA-approved" in reply.text
    assert "15 more points" in talk.reply("20", state).text


def test_unclear_credential_is_asked_for(talk):
    state = ChatState()
    assert "Which credential" in talk.reply("i have 8 credits so far", state).text
    assert "2 more" in talk.reply("ccma", state).text


def test_numbers_after_a_verdict_refine_the_same_check(talk):
    state = ChatState()
    assert "Not checked" in talk.reply("/check cma 60 30", state).text
    reply = talk.reply("clinical=12, admin 8, general 20", state)
    assert reply.kind == "check" and "Administrative: 2 more needed" in reply.text
    assert talk.reply("how often do i renew my ccma", state).kind == "answer"
