import pytest

def entry_of(matcher, text):
    d = matcher.decide(text)
    return d.kind, (d.entry.id if d.entry else None)


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
    assert matcher.decide(text).kind == "decline"


@pytest.mark.parametrize("text, entry", [
    ("cma cpe credits for management accountants", "oos-management-accountant"),
    ("how many ceus for my rn license", "oos-other-professions"),
    ("medical assistant salary in ohio", "oos-jobs-pay"),
])
def test_out_of_scope_topics_decline_with_a_pointer(matcher, text, entry):
    assert entry_of(matcher, text) == ("decline", entry)


def test_short_query_inside_long_phrasing_does_not_score_high(matcher):
    # Under WRatio/partial_ratio a lone "exam" scores 90+ against any phrasing containing it.
    assert matcher.decide("exam").kind == "clarify"
    assert matcher.decide("how many ceus").kind != "answer" or matcher.decide("how many ceus").entry is None


def test_no_credential_where_answers_differ_gives_all_of_them(matcher):
    d = matcher.decide("how many ceus do i need to renew")
    assert d.kind == "merge"
    assert {c for e in d.merged for c in e.credentials} >= {"CMA", "NHA"}


def test_named_credential_picks_its_own_entry_not_a_merge(matcher):
    assert entry_of(matcher, "how many ceus do i need to renew my ccma") == ("answer", "nha-ce")


def test_two_close_entries_clarify_with_three_suggestions(matcher):
    d = matcher.decide("how do i renew")
    assert d.kind == "clarify"
    assert len(d.suggestions) == 3
    assert {"cma-paths", "nha-how"} <= {e.id for e in d.suggestions}


def test_bare_credential_offers_its_topics(matcher):
    d = matcher.decide("ccma?")
    assert d.kind == "clarify"
    assert d.suggestions and all("NHA" in e.credentials for e in d.suggestions)


def test_ranking_is_best_first_and_scores_are_bounded(matcher):
    ranking = matcher.rank(matcher.normalize("how often recertify cma"))
    scores = [s.score for s in ranking]
    assert scores == sorted(scores, reverse=True)
    assert 0 <= scores[-1] <= scores[0] <= 100
