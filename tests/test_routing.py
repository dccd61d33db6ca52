"""A personal story goes to the calculator only when it asks for a verdict or gives a whole standing; a general
question inside a story with a number or two gets the FAQ's answer (written for this test, not from an eval)."""

import pytest

from bot.dialogue import Dialogue


@pytest.fixture(scope="module")
def dialogue() -> Dialogue:
    return Dialogue()


@pytest.mark.parametrize("message", [
    # one number of the user's, a general question: the FAQ answers
    "I've had my NHA cert for about 3 years now and I'm moving states in the spring. How much does NHA charge "
    "to renew a CCMA?",
    "been an RMA since 2015, my supervisor asked me today if AMT still counts work experience toward CCP. does it?",
])
def test_general_question_in_a_story_gets_the_faq(dialogue: Dialogue, message: str) -> None:
    reply = dialogue.reply(message)
    assert reply.kind in ("answer", "clarify") and not reply.checks, reply.text


@pytest.mark.parametrize("message", [
    # a verdict asked for
    "I have 45 points, 20 of them AAMA-approved. can I recertify my CMA yet?",
    "ccma here with 6 credits, my renewal is in march, how many more do i need",
    # a whole standing given, whatever else is asked
    "does a webinar from my hospital count? I have 50 aama points, 20 admin 15 clinical 15 general, cma expires "
    "in june 2027",
])
def test_a_verdict_or_a_whole_standing_gets_the_calculator(dialogue: Dialogue, message: str) -> None:
    assert dialogue.reply(message).kind == "check"


def test_the_same_hours_named_twice_are_counted_once(dialogue: Dialogue) -> None:
    reply = dialogue.reply("i'm a ccma and need 10 credits. i did a 4 hour course at work, and that 4 hour course "
                           "was all i did. am i done?")
    assert reply.kind == "check"
    assert reply.checks[0].missing.get("credits") == 8, reply.text


def test_a_general_question_the_calculator_could_only_answer_with_a_question_gets_the_faq(dialogue: Dialogue) -> None:
    # an RMA since a year and a question about what counts: the calculator would only ask for the points
    reply = dialogue.reply("rma since 2019 here. my manager says amt dropped the points for working full time. "
                           "is that true?")
    assert not reply.checks, reply.text


def test_the_rules_own_figure_is_not_the_users(dialogue: Dialogue) -> None:
    # "the 10 CE credits" is NHA's requirement; a ✅ for having them would be a wrong verdict
    reply = dialogue.reply("ccma here, renewing in march. can the 10 credits be from any provider or only nha?")
    assert not reply.checks, reply.text


def test_another_body_named_only_in_the_story_does_not_decline_our_question(dialogue: Dialogue) -> None:
    reply = dialogue.reply("before this job i was a pharmacy tech with ptcb and had to do a law course every time. "
                           "now i'm a ccma with nha. do my ce credits have to be in certain subjects?")
    assert reply.kind == "answer", reply.text
    assert dialogue.reply("i'm a ccma but i also need to renew my ptcb, how many hours does ptcb want?").kind \
        == "decline"


@pytest.mark.parametrize("message", [
    "my rma renews next year. is it 30 ccp points every 3 years?",
    "is 10 admin 10 clinical 10 general the minimum? my cma expires in 2028",
])
def test_a_question_about_the_rule_gets_no_verdict(dialogue: Dialogue, message: str) -> None:
    reply = dialogue.reply(message)
    assert all(c.status not in ("ready", "not_yet") for c in reply.checks), reply.text


def test_amounts_from_an_old_year_get_no_tick(dialogue: Dialogue) -> None:
    reply = dialogue.reply("i have 10 nha credits but i did them all back in 2019, my ccma expires next month")
    assert reply.checks and reply.checks[0].status == "totals_met" and "✅" not in reply.text, reply.text


def test_a_message_opening_with_a_credential_and_its_expiry_is_the_users_own(dialogue: Dialogue) -> None:
    reply = dialogue.reply("ncma lapsed about 7 years ago. what now?")
    assert [c.credential for c in reply.checks] == ["NCMA"], reply.text
    assert "exam must be retaken" in reply.text


@pytest.mark.parametrize("message", [
    "cma good until june 2027. i have 60 aama points 20 admin 20 clinical 20 general, but i did them all in 2020",
    "i will have 10 ccma credits by february, which is when it expires",
    "rma cycle ends next year. 30 ccp points, though i'm not sure they all count for this cycle",
    "cma expires in june. i sent 60 aama points, 20 admin 20 clinical 20 general, and the aama rejected 8 of them",
])
def test_amounts_not_yet_earned_doubted_or_from_an_earlier_cycle_get_no_tick(dialogue: Dialogue, message: str) -> None:
    reply = dialogue.reply(message)
    assert reply.checks and reply.checks[0].status == "totals_met" and "✅" not in reply.text, reply.text


# Each reading above, beside its opposite: the same words read the other way must still give the verdict.
@pytest.mark.parametrize("rule_or_doubt, own", [
    ("ccma here, renewing in march. can the 10 credits be from any provider or only nha?",
     "ccma here, renewing in march. i have 10 credits, can i renew?"),
    ("my rma renews next year. is it 30 ccp points every 3 years?",
     "my rma renews next year. i have 30 ccp points, am i set?"),
    ("i have 10 nha credits but i did them all back in 2019, my ccma expires next month",
     "i have 10 nha credits, all done this year, my ccma expires next month"),
    ("i will have 10 ccma credits by february, which is when it expires",
     "i have 10 ccma credits and it expires in february"),
])
def test_readings_beside_their_opposites(dialogue: Dialogue, rule_or_doubt: str, own: str) -> None:
    assert all(c.status != "ready" for c in dialogue.reply(rule_or_doubt).checks)
    assert [c.status for c in dialogue.reply(own).checks] == ["ready"], dialogue.reply(own).text


def test_a_credential_opening_a_message_is_the_users_but_a_hypothetical_is_not(dialogue: Dialogue) -> None:
    assert dialogue.reply("cma expired 2 months ago, what now").checks
    assert not dialogue.reply("if a cma expired 2 months ago can they still recertify with ceus?").checks


def test_she_in_a_short_question_points_back_at_what_she_said() -> None:
    from faq import segment

    parts = segment.questions("My boss says CE from before my current period is fine to use. Is she right?")
    assert len(parts) == 1 and "before my current period" in parts[0]


def test_can_i_still_asks_too_late_only_after_an_expiry_gone_by(dialogue: Dialogue) -> None:
    late = dialogue.reply("it expired at the end of september and i forgot my cma. can i still just do my ceus?")
    assert late.kind == "check"
    allowed = dialogue.reply("I've been an RMA since 2016. My old boss said work hours were CCP points. Can I still "
                             "put my work hours down for CCP?")
    assert allowed.kind != "check"


def test_a_question_naming_our_credential_after_another_body_is_ours(dialogue: Dialogue) -> None:
    assert dialogue.reply("I'm a CMA and now an EMT too, can I keep my CMA?").kind != "decline"
    assert dialogue.reply("I'm a CMA, how do I renew my EMT?").kind == "decline"
    assert dialogue.reply("cuantas horas de CE ocupa un terapeuta respiratorio para renovar").kind == "decline"


def test_the_country_music_cma_is_not_ours(dialogue: Dialogue) -> None:
    assert dialogue.reply("who won entertainer of the year at the CMA awards last week?").kind == "decline"
    assert dialogue.reply("my annual performance review needs proof my CMA is current, how do i get it?").kind \
        != "decline"


@pytest.mark.parametrize("message, says", [
    ("RMA here: 33 ccp points, but 10 of them are from employment in 2024. cycle ends 2027", "you need 7 more"),
    ("my cma: 22 ceus from nha webinars plus 30 aama ones, expires 2028", "You need 8 more points"),
    ("tengo 16 horas para mi ccma pero 4 son del ciclo pasado", "te faltan 4"),
    ("mi cma vence en 2028, tengo 30 puntos de la aama y 1 tarjeta de rcp", "Te faltan 26"),
])
def test_amounts_that_do_not_count_or_come_from_elsewhere(dialogue: Dialogue, message: str, says: str) -> None:
    reply = dialogue.reply(message)
    assert reply.kind == "check" and says in reply.text, reply.text


def test_points_from_a_year_before_the_cycle_began_do_not_count(dialogue: Dialogue) -> None:
    reply = dialogue.reply("RMA here, 35 CCP points but 9 are from 2022 and my cycle started march 2024")
    assert "you need 4 more" in reply.text, reply.text


@pytest.mark.parametrize("message", ["can you write me a cover letter for a medical assistant job",
                                     "is the cma worth it over the ccma for pay?"])
def test_tasks_for_the_bot_and_pay_are_declined(dialogue: Dialogue, message: str) -> None:
    assert dialogue.reply(message).kind == "decline"


def test_a_general_question_beside_a_date_gets_its_answer_not_a_request_for_points(dialogue: Dialogue) -> None:
    # the calculator could only ask "how many CCP points do you have?", which the user never brought up
    reply = dialogue.reply("been an rma since 2016 and my cycle ends in 2027. my old boss always put my work hours on "
                           "the ccp form. is work still something that counts?")
    assert reply.kind == "answer", reply.text
    assert dialogue.reply("rma cycle ends in 2027, how many more ccp points do i need? i did a few webinars").kind \
        == "check"


@pytest.mark.parametrize("message", ["I want to check if I can recertify my CMA", "can you check if i can renew my ccma",
                                     "quiero saber si puedo recertificar mi cma"])
def test_asking_to_be_checked_starts_the_guided_check(dialogue: Dialogue, message: str) -> None:
    from bot.dialogue import Conversation

    chat = Conversation(dialogue)
    assert chat.say(message).kind == "check"
    assert chat.state.check is not None and chat.state.check.guided


def test_another_body_issued_by_ours_is_still_theirs(dialogue: Dialogue) -> None:
    assert dialogue.reply("how many CE hours do I need for my CPhT through NHA?").kind == "decline"


def test_a_part_borrowing_one_credential_is_not_answered_with_a_comparison(dialogue: Dialogue) -> None:
    reply = dialogue.reply("tome dos clases en el colegio comunitario, de 3 creditos cada una. me sirven para mi CMA? "
                           "cuanto vale cada credito")
    assert "compare" not in (reply.entry or ""), reply.entry


def test_points_from_inside_the_cycle_stay_counted(dialogue: Dialogue) -> None:
    reply = dialogue.reply("RMA here, 35 CCP points but 9 are from 2025 and my cycle started march 2024")
    assert "The totals are met: 35 CCP points" in reply.text, reply.text


def test_nha_named_with_a_held_credential_is_still_a_check_of_it(dialogue: Dialogue) -> None:
    assert "you need 4 more" in dialogue.reply("my ccma renews in june, i have 6 credits from nha").text
