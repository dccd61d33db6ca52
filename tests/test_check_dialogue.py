"""The calculator through the dialogue: free text, one-line /check, and the guided flow."""

from datetime import date

import pytest

from bot.dialogue import Conversation, Dialogue
from bot.telegram.buttons import pack


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
    reply = talk.reply(text)
    assert reply.kind == "check"
    for m in must:
        assert m in reply.text


@pytest.mark.parametrize(
    "text, must",
    [
        ("/check cma total=45 aama=20 clinical=5 expired=2", ["15 more points", "Clinical: 5 more", "within 3 months"]),
        ("/check cma 45 20", ["15 more points"]),
        ("/check cma 60 30 10 10 10", ["totals are met", "your expiry date"]),  # issue 11: no ✅ while unknown
        ("/check cma 60 30 10 10 10 expired=0", ["✅"]),
        ("/check cma total=60 aama=30 admin=30 clinical=30", ["General: 10 more needed"]),
        ("/check ccma 7", ["3 more"]),
        ("/check ccma hours=12", ["4 more"]),
        ("/check rma 30", ["totals are met"]),
        ("/check rma 30 expired=0", ["✅"]),
        ("/check cma certified=2021-06", ["current until 30 June 2026", "must pass"]),
        ("/check@recertbot cma 45 20", ["15 more points"]),
        ("/check ncma", ["can't check NCMA"]),
        ("/check rma points=25", ["5 more"]),
        ("/check ccma total=7", ["3 more"]),
        ("/check cma credits=45 aama=20", ["15 more points"]),
    ],
)
def test_one_line_check(talk, text, must):
    reply = talk.reply(text)
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
    reply = talk.reply(text)
    assert reply.kind == "check"
    assert message.lower() in reply.text.lower()


def test_guided_check_asks_each_number_and_allows_skipping(talk):
    chat = Conversation(talk)
    steps = [
        ("/check", "Which credential"),
        ("cma", "in total"),
        ("forty five", "How many of your 45 points are AAMA-approved"),
        ("20", "administrative, clinical and general"),
        ("skip", "Has your CMA (AAMA) expired"),
        ("no", "15 more points"),
    ]
    for text, expect in steps:
        reply = chat.say(text)
        assert reply.kind == "check"
        assert expect in reply.text, (text, reply.text)
    assert chat.state.check is None


def test_guided_check_by_number_and_buttons(talk):
    chat = Conversation(talk)
    first = chat.say("/check")
    assert [pack(b.action) for b in first.buttons] == ["say:CMA", "say:NHA", "say:RMA", "say:NCMA", "say:cancel"]
    assert "NHA CE credits" in chat.say("2").text
    assert "4 more" in chat.say("12 hours").text


def test_guided_check_can_be_cancelled(talk):
    chat = Conversation(talk)
    chat.say("/check cma")
    reply = chat.say("cancel")
    assert "cancelled" in reply.text and chat.state.check is None
    assert chat.say("how often do i renew my ccma").kind == "answer"


def test_a_wrong_answer_is_asked_again(talk):
    chat = Conversation(talk)
    chat.say("/check rma")
    reply = chat.say("lots")
    assert "reply with a number" in reply.text.lower() and chat.state.check is not None
    reply = chat.say("-3")
    assert "can't be negative" in reply.text and chat.state.check is not None
    assert "Has your RMA (AMT) expired" in chat.say("31").text
    assert "✅" in chat.say("no").text


def test_essential_numbers_cannot_be_skipped(talk):
    chat = Conversation(talk)
    chat.say("/check cma")
    assert "I need this one" in chat.say("skip").text


def test_a_new_question_leaves_the_check(talk):
    chat = Conversation(talk)
    chat.say("/check cma")
    reply = chat.say("how often do i renew my ccma")
    assert reply.kind == "answer" and chat.state.check is None


def test_missing_essential_number_is_asked_for(talk):
    chat = Conversation(talk)
    reply = chat.say("I have 45 points for my cma")
    assert "How many of your 45 points are AAMA-approved" in reply.text
    assert "45 of the 60 points: 15 to go" in reply.text  # the shortfall is said before the question
    assert "to go" not in Conversation(talk).say("I have 70 points for my cma").text
    assert "15 more points" in chat.say("20").text


def test_unclear_credential_is_asked_for(talk):
    chat = Conversation(talk)
    assert "Which credential" in chat.say("i have 8 credits so far").text
    assert "2 more" in chat.say("ccma").text


def test_numbers_after_a_verdict_refine_the_same_check(talk):
    chat = Conversation(talk)
    assert "Still to confirm" in chat.say("/check cma 60 30").text
    reply = chat.say("clinical=12, admin 8, general 20")
    assert reply.kind == "check" and "Administrative: 2 more needed" in reply.text
    assert chat.say("how often do i renew my ccma").kind == "answer"


def test_a_certification_year_whose_cycle_ends_this_year_is_not_called_current_outright():
    from datetime import date

    from bot.dialogue import Dialogue

    reply = Dialogue(today=lambda: date(2026, 11, 25)).reply("recertified 2021, i have 40 points 25 aama, how many more?")
    assert "If that month has already passed, it has expired" in reply.text


@pytest.mark.parametrize("certified, ticked", [("june 2024", False), ("december 2025", True)])
def test_an_nha_certification_month_past_its_two_years_leaves_the_expiry_to_confirm(certified, ticked):
    from datetime import date

    from bot.dialogue import Dialogue

    reply = Dialogue(today=lambda: date(2026, 11, 25)).reply(f"ccma certified {certified}, have 10 credits")
    assert ("✅" in reply.text) is ticked, reply.text


def test_a_certification_year_whose_cycle_ends_later_is_current_until_then():
    from datetime import date

    from bot.dialogue import Dialogue

    reply = Dialogue(today=lambda: date(2026, 11, 25)).reply("recertified 2022, i have 40 points 25 aama, how many more?")
    assert "current until the end of your certification month in 2027" in reply.text
    assert "If that month has already passed" not in reply.text
