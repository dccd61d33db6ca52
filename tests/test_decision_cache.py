"""The decision cache: the same normalised question is decided once per Matcher; a reload (a new Matcher)
starts afresh; the budget of ranked entries held evicts the least recently used."""

from faq import matcher as matcher_module
from faq.matcher import Matcher


def test_the_same_normalised_question_is_decided_once(matcher):
    first = matcher.decision(matcher.normalize("how many ceus do i need for my cma"))
    again = matcher.decision(matcher.normalize("How many CEUs do I need for my CMA??"))
    assert again is first
    assert first == matcher.decide(matcher.normalize("how many ceus do i need for my cma"))


def test_a_new_matcher_after_a_reload_decides_afresh(kb, matcher):
    norm = matcher.normalize("how often do i renew my ccma")
    fresh = Matcher(kb)
    assert fresh.decision(norm) is not matcher.decision(norm)
    assert fresh.decision(norm) == matcher.decision(norm)


def test_the_cache_keeps_within_its_budget(kb, monkeypatch):
    monkeypatch.setattr(matcher_module, "DECISION_CACHE_RANKED", 40)
    m = Matcher(kb)
    questions = ["cma renewal fee", "ccma ceus", "rma points", "ncma renew", "cma exam", "cpr for cma"]
    for q in questions:
        m.decision(m.normalize(q))
    assert m._decisions_held <= 40 or len(m._decisions) == 1
    assert m._decisions_held == sum(1 + len(d.ranking) for d in m._decisions.values())
    latest = m.normalize(questions[-1])
    assert latest in m._decisions
