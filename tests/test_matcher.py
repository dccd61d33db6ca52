import pytest

from faq.matcher import Answered, Declined, Merged, Unsure


def decide(matcher, text):
    return matcher.decide(matcher.normalize(text))


def entry_of(matcher, text):
    match decide(matcher, text):
        case Answered(entry):
            return "answer", entry.id
        case Declined(_, pointer):
            return "decline", pointer.id if pointer else None
        case other:
            return type(other).__name__, None


@pytest.mark.parametrize(
    "text, entry",
    [
        ("how many ceus do i need to recert my cma??", "cma-ce-total"),
        ("how many aama ceus do i need at least", "cma-ce-aama"),
        ("ccma how often renew", "nha-cycle"),
        ("how do i renew my ccma", "nha-how"),
        ("how much is the ccma renewal", "nha-fee"),
        ("who gives the cma exam", "cma-exam-body"),
        ("cpr card required for cma recert?", "cma-cpr"),
        ("rma ccp points", "rma-ccp"),
    ],
)
def test_clear_questions_are_answered_with_the_right_entry(matcher, text, entry):
    assert entry_of(matcher, text) == ("answer", entry)


@pytest.mark.parametrize(
    "text",
    [
        "how do i renew my driver's license",
        "how do I renew my passport",
        "renew my gym membership",
        "what's on the bar exam",
        "exam schedule for my college finals",
        "certification for scuba diving",
        "tell me a joke",
        "what's the weather tomorrow",
        "asdf qwer zxcv",
    ],
)
def test_off_topic_look_alikes_decline(matcher, text):
    assert isinstance(decide(matcher, text), Declined)


@pytest.mark.parametrize("text, entry", [
    ("cma cpe credits for management accountants", "oos-management-accountant"),
    ("how many ceus for my rn license", "oos-other-professions"),
    ("medical assistant salary in ohio", "oos-jobs-pay"),
])
def test_out_of_scope_topics_decline_with_a_pointer(matcher, text, entry):
    assert entry_of(matcher, text) == ("decline", entry)


def test_short_query_inside_long_phrasing_does_not_score_high(matcher):
    # Under WRatio/partial_ratio a lone "exam" scores 90+ against any phrasing containing it.
    assert isinstance(decide(matcher, "exam"), Unsure)
    assert not isinstance(decide(matcher, "how many ceus"), Answered)


def test_no_credential_where_answers_differ_gives_all_of_them(matcher):
    d = decide(matcher, "how many ceus do i need to renew")
    assert isinstance(d, Merged)
    assert {c for e in d.entries for c in e.credentials} >= {"CMA", "NHA"}


def test_named_credential_picks_its_own_entry_not_a_merge(matcher):
    assert entry_of(matcher, "how many ceus do i need to renew my ccma") == ("answer", "nha-ce")


def test_two_close_entries_clarify_with_three_suggestions(matcher):
    d = decide(matcher, "how do i renew")
    assert isinstance(d, Unsure)
    assert len(d.options) == 3
    assert {"cma-paths", "nha-how"} <= {e.id for e in d.options}


def test_bare_credential_offers_its_topics(matcher):
    d = decide(matcher, "ccma?")
    assert isinstance(d, Unsure)
    assert d.options and all("NHA" in e.credentials for e in d.options)


def test_ranking_is_best_first_and_scores_are_bounded(matcher):
    ranking = matcher.rank(matcher.normalize("how often recertify cma"))
    scores = [s.score for s in ranking]
    assert scores == sorted(scores, reverse=True)
    assert 0 <= scores[-1] <= scores[0] <= 100


def test_a_short_story_declined_whole_is_answered_by_its_one_asking_part(dialogue):
    # the whole message reads as off-topic (its story words outweigh the question); the question alone, with the
    # credential the story named, is clear
    reply = dialogue.reply("I am a CCMA with NHA, my cousin and I work at a pediatric clinic in Fresno with lovely "
                           "kids. How often do I renew?")
    assert (reply.kind, reply.entry) == ("answer", "nha-cycle")


def test_an_unsure_short_story_is_answered_by_its_part_only_when_both_agree(dialogue):
    from faq import segment

    spanish = dialogue.voices["es"].matcher

    def decide(text):
        return spanish.decide_parts(spanish.normalize(text), [spanish.normalize(p) for p in segment.questions(text)])

    agreed = decide("tengo el NCMA y deje la ce. queda activa si pago?")  # the whole leans to ncma-renew too
    assert isinstance(agreed, Answered) and agreed.entry.id == "ncma-renew"
    assert isinstance(decide("Tengo mi NCMA de NCCT y deje de hacer CE hace anos. se puede volver a activar?"), Unsure)


_QUARREL = ("I'm a CMA (AAMA) and my office manager and I disagree about a lot of things, mostly the schedule and the "
            "break room. She says my CE from before my current five-year period is fine to use. ")


def test_a_long_story_and_its_question_agreeing_on_one_entry_answer_it_with_the_others_offered(dialogue):
    # the whole story scores low (its words are mostly the quarrel) and the question alone only leads: both
    # put the same entry first, so it is answered, with "not what you asked?" buttons
    reply = dialogue.reply(_QUARREL + "Is she right?")
    assert (reply.kind, reply.entry) == ("answer", "cma-ce-window")
    assert reply.buttons


def test_a_question_asking_something_else_than_the_story_is_not_answered_by_the_story(dialogue):
    reply = dialogue.reply(_QUARREL + "She also says I can skip the exam. Can I?")
    assert reply.entry != "cma-ce-window"


@pytest.mark.parametrize("message, entries", [
    # "the member price" alone could be the exam's or the CE route's: the whole message is about the exam
    ("As an AAMA member I will recertify by sitting for the test again. Whats the member price? and when do i have "
     "to pass it by?", "cma-exam-fee+cma-exam-timing"),
    # the whole answers the first question, the second part answers itself: both, in the order asked
    ("Recertifying my CMA for the first time. Do points from before I was certified count? Also how many of them "
     "have to be AAMA approved?", "cma-first-recert+cma-ce-aama"),
])
def test_two_questions_one_unsure_alone_are_both_answered_when_the_whole_message_settles_it(dialogue, message,
                                                                                             entries):
    assert dialogue.reply(message).entry == entries


def test_a_second_question_whose_best_entry_the_first_took_gets_its_next(dialogue):
    reply = dialogue.reply("what's the clinical minimum for my cma points, and do my 2 cpr cards cover it?")
    assert reply.entry == "cma-ce-categories+cma-cpr"
