"""Deadline reminders, the pure part: the schedule from a credential and its date, reading dates, and the
sign-up conversation (free text, one line, guided, the last check reused)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.contracts import Recertified, RemindConsent, ReplyKind, StopReminders
from bot.dialogue import Conversation, Dialogue
from bot.remind_flow import reminder_reply
from bot.telegram.buttons import pack, unpack
from faq import calculator as calc
from faq import reminders as rem
from faq.reminders import Kind

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def on(day: date) -> datetime:
    return datetime.combine(day, rem.SEND_AT)


def test_cma_schedule_from_the_certification_month(kb):
    d = rem.deadline("CMA", date(2022, 3, 17), TODAY, kb.rules)
    assert (d.given, d.expires, d.ce_open_until) == (date(2022, 3, 1), date(2027, 3, 31), date(2027, 6, 29))
    early = rem.schedule(d, datetime(2026, 1, 1, tzinfo=UTC))
    assert [(r.kind, r.due) for r in early] == [
        (Kind.BEFORE_6M, on(date(2026, 9, 30))), (Kind.BEFORE_3M, on(date(2026, 12, 31))),
        (Kind.BEFORE_1M, on(date(2027, 2, 28))), (Kind.BEFORE_1W, on(date(2027, 3, 24))),
        (Kind.EXPIRED, on(date(2027, 4, 1))), (Kind.WINDOW_1M, on(date(2027, 5, 29))),
        (Kind.WINDOW_1W, on(date(2027, 6, 22)))]
    # the exam dates go with the reminders that come before them, not after
    with_exam = [r.kind for r in early if "exam_apply_by" in r.dates]
    assert with_exam == [Kind.BEFORE_6M, Kind.BEFORE_3M]
    # CMA-EXAM-TIMING: passed two months before expiry, applied for at least 30 days before expiry
    assert early[1].dates["exam_apply_by"] == date(2027, 3, 1) and early[1].dates["exam_pass_by"] == date(2027, 1, 31)
    # each is worth sending late only until the next one takes over, and never past what it warns about
    assert [r.useful_until for r in early[:-1]] == [r.due for r in early[1:]]
    assert early[-1].useful_until == on(date(2027, 6, 30))
    assert set(early[0].facts) >= {"CMA-CYCLE", "CMA-EXAM-TIMING", "CMA-CE-EXPIRED"}


def test_only_what_is_still_ahead_is_scheduled(kb):
    d = rem.deadline("CMA", date(2022, 3, 1), TODAY, kb.rules)
    assert rem.schedule(d, NOW)[0].kind == Kind.BEFORE_3M
    assert rem.schedule(d, on(date(2027, 6, 22))) == ()


@pytest.mark.parametrize("credential", ["NHA", "NCMA"])
def test_other_credentials_three_reminders_before_the_expiry_date(kb, credential):
    d = rem.deadline(credential, date(2027, 5, 31), TODAY, kb.rules)
    assert [(r.kind, r.due.date()) for r in rem.schedule(d, NOW)] == [
        (Kind.BEFORE_3M, date(2027, 2, 28)), (Kind.BEFORE_1M, date(2027, 4, 30)), (Kind.BEFORE_1W, date(2027, 5, 24))]


def test_rma_also_reminds_of_the_annual_fee_in_the_anniversary_month(kb):
    d = rem.deadline("RMA", date(2029, 5, 31), TODAY, kb.rules)
    kinds = [(r.kind, r.due.date()) for r in rem.schedule(d, NOW)]
    assert kinds[:2] == [(Kind.ANNUAL_FEE, date(2027, 5, 1)), (Kind.ANNUAL_FEE, date(2028, 5, 1))]
    assert [k for k, _ in kinds[2:]] == [Kind.BEFORE_3M, Kind.BEFORE_1M, Kind.BEFORE_1W]


def test_a_future_certification_month_is_refused(kb):
    with pytest.raises(calc.InputError):
        rem.deadline("CMA", date(2027, 1, 1), TODAY, kb.rules)


@pytest.mark.parametrize("text, expected", [
    ("2027-05-31", (date(2027, 5, 31), True)), ("2022-03", (date(2022, 3, 1), False)),
    ("5/31/2027", (date(2027, 5, 31), True)), ("03/2022", (date(2022, 3, 1), False)),
    ("it runs out 31st May 2027", (date(2027, 5, 31), True)), ("May 31, 2027", (date(2027, 5, 31), True)),
    ("certified in march 2022", (date(2022, 3, 1), False)), ("no date here", None),
])
def test_read_date(text, expected):
    assert rem.read_date(text) == expected


def test_a_date_that_does_not_exist_is_an_input_error():
    with pytest.raises(calc.InputError):
        rem.read_date("2027-02-30")


def test_reminder_buttons_round_trip_through_the_one_codec():
    for action in (RemindConsent("CMA", date(2022, 3, 1), True), RemindConsent("NHA", date(2027, 5, 31), False),
                   Recertified("RMA"), StopReminders()):
        assert unpack(pack(action)) == action
    assert unpack("rm:y:CMA:2022-13-01") is None and unpack("rm:x") is None and unpack("rm:r:") is None


def test_each_reminder_states_only_rules_figures_and_ends_with_its_source(kb):
    d = rem.deadline("CMA", date(2022, 3, 1), TODAY, kb.rules)
    first, *_, last = rem.schedule(d, NOW)
    text = reminder_reply(kb, first, first.due.date()).text
    assert "31 March 2027" in text and "60 points" in text and "1 March 2027" in text and "800/228-2262" in text
    assert text.splitlines()[-1].startswith("Source")
    late = reminder_reply(kb, first, date(2027, 2, 5)).text  # sent after the exam's pass-by date
    assert "must receive" in text and "must receive" not in late
    closing = reminder_reply(kb, last, last.due.date())
    assert "29 June 2027" in closing.text and "$50 reactivation fee" in closing.text
    assert [b.action for b in closing.buttons] == [Recertified("CMA"), StopReminders()]
    nha = rem.schedule(rem.deadline("NHA", date(2027, 5, 31), TODAY, kb.rules), NOW)[0]
    text = reminder_reply(kb, nha, nha.due.date()).text
    assert "10 CE credits" in text and "Renew Certifications" in text and "$" not in text  # the fee is unverified
    ncma = rem.schedule(rem.deadline("NCMA", date(2027, 5, 31), TODAY, kb.rules), NOW)[0]
    assert "hours" not in reminder_reply(kb, ncma, ncma.due.date()).text  # NCCT-HOURS is unverified


# --- the sign-up conversation ---------------------------------------------------------------------------

@pytest.fixture
def talk(kb, matcher):
    return Conversation(Dialogue(kb, matcher, today=lambda: TODAY))


def consent(reply):
    return [b.action for b in reply.buttons]


def test_sign_up_in_free_text_asks_the_missing_date(talk):
    asked = talk.say("remind me before my cma expires")
    assert asked.kind == ReplyKind.REMIND and "In which month were you certified" in asked.text
    offer = talk.say("march 2022")
    assert "current until 31 March 2027" in offer.text and "31 December 2026" in offer.text
    assert "keep this chat's id (encrypted)" in offer.text
    assert consent(offer) == [RemindConsent("CMA", date(2022, 3, 1), True), RemindConsent("CMA", date(2022, 3, 1), False)]
    assert talk.state.remind is None


def test_sign_up_in_one_line(talk):
    offer = talk.say("/remind ccma 2027-05-31")
    assert "expires on 31 May 2027" in offer.text and "24 May 2027: 1 week before" in offer.text
    assert consent(offer)[0] == RemindConsent("NHA", date(2027, 5, 31), True)
    offer = talk.say("can you remind me? my rma expires 5/31/2029")
    assert "the month AMT's annual renewal fee is due" in offer.text


def test_guided_sign_up_by_number_then_date_with_a_retry(talk):
    asked = talk.say("/remind")
    assert "Which credential" in asked.text and len(asked.buttons) == 5
    assert "When does your CCMA (NHA) expire" in talk.say("2").text
    assert "couldn't read a date" in talk.say("31 05 27").text
    assert consent(talk.say("2027-05-31"))[0] == RemindConsent("NHA", date(2027, 5, 31), True)


def test_remind_reuses_the_last_check(talk):
    talk.say("/check cma certified=2022-03")
    offer = talk.say("/remind")
    assert consent(offer)[0] == RemindConsent("CMA", date(2022, 3, 1), True)


def test_sign_up_cancelled_or_left_for_another_question(talk):
    talk.say("/remind")
    assert "no reminders" in talk.say("cancel").text.lower()
    talk.say("/remind")
    reply = talk.say("how many ceus do i need for my cma")
    assert reply.kind == ReplyKind.ANSWER and talk.state.remind is None
    assert talk.say("does the aama send reminders?").kind != ReplyKind.REMIND  # a question, not a request
    assert talk.say("/check remind me").kind != ReplyKind.REMIND  # another command's words


def test_future_month_and_past_expiry(talk):
    assert "in the future" in talk.say("/remind cma 2027-01").text
    none = talk.say("/remind rma 2024-01-01")
    assert "nothing left to remind you of" in none.text and not none.buttons


def test_recertified_asks_the_new_date(talk):
    reply, state = talk.dialogue.remind.ask_new_date("CMA", talk.state)
    assert "Congratulations" in reply.text and state.remind.credential == "CMA"
    talk.state = state
    offer = talk.say("2026-11")
    assert "current until 30 November 2031" in offer.text


def test_schedule_dates_are_whole_days_at_the_send_time(kb):
    for r in rem.schedule(rem.deadline("CMA", date(2022, 3, 1), TODAY, kb.rules), NOW):
        assert r.due.timetz() == rem.SEND_AT and r.due - NOW > timedelta(0)


def test_last_week_of_the_ce_window_is_too_soon_but_still_open(kb, matcher):
    talk = Conversation(Dialogue(kb, matcher, today=lambda: date(2027, 6, 25)))
    reply = talk.say("/remind cma 2022-03")
    assert "stays open only until 29 June 2027" in reply.text and not reply.buttons
