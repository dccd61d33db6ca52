"""The vectorised `Matcher.rank` returns exactly what the entry-by-entry ranking it replaced returned
(bench/reference.py): the same entries, in the same order, with bit-identical scores, pruned or not, on the
real knowledge base and on grown ones (realistic synthetic entries, and tagged copies: the worst case); and
`Matcher.top(norm, k)` (what `decide` ranks with) is exactly that ranking's first k, ties included."""

from __future__ import annotations

import functools
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import faq.matcher as matcher_module
from bench import reference
from bench.growth import realistic, tagged
from bot.telegram.handlers import INLINE_RESULTS, inline_entries
from faq.kb import load
from faq.matcher import RANKED, Matcher, import_numpy


@pytest.fixture(params=["numpy", "python", "bounded"], autouse=True)
def path(request, monkeypatch):
    """Every way of ranking: numpy for every question; pure Python for every question (as before numpy's import,
    which leaves the way of the first answer); and (for a top-k) the entries bounded first by the Dice form of the
    overlap, with a floor from as few of them as can be."""
    if request.param == "python":
        monkeypatch.setattr(Matcher, "_python_up_to", sys.maxsize)
        return
    import_numpy()
    monkeypatch.setattr(Matcher, "_python_up_to", -1)
    if request.param == "bounded":
        monkeypatch.setattr(Matcher, "_bound_entries_from", -1)
        monkeypatch.setattr(matcher_module, "_CONTENDERS_FROM", 1)


@functools.cache
def grown(kind: str, size: int) -> tuple[Matcher, reference.Index, tuple[str, ...]]:
    kb = load()
    if kind == "realistic":
        kb = realistic(kb, size)
    elif kind == "tagged":
        kb = tagged(kb, size)
    matcher = Matcher(kb)
    words = sorted({w for e in matcher.entries for p in (e.question, *e.phrasings) for w in p.lower().split()})
    return matcher, reference.build_index(matcher), tuple(words)


KBS = [("real", 39), ("realistic", 150), ("realistic", 600), ("tagged", 200), ("tagged", 500)]
EXTRA = ["cma", "ccma", "rma", "ncma", "aama", "nha", "renew", "recertify", "ceus", "exam", "fee", "xyzzy",
         "my", "how", "many", "boss", "license", "expired"]


@st.composite
def cases(draw):
    kind, size = draw(st.sampled_from(KBS))
    matcher, index, words = grown(kind, size)
    vocab = st.one_of(st.sampled_from(words), st.sampled_from(EXTRA), st.text("abcdefghijklmnopqrstuvwxyz", max_size=8))
    question = " ".join(draw(st.lists(vocab, min_size=0, max_size=12)))
    enough = draw(st.sampled_from([None, 0, 1, 2, 3, RANKED, 10, 40]))
    return matcher, index, question, enough


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_rank_equals_the_reference(case):
    matcher, index, question, enough = case
    norm = matcher.normalize(question)
    new = [(s.entry.id, s.score) for s in matcher.rank(norm, enough)]
    old = [(s.entry.id, s.score) for s in reference.rank(matcher, norm, enough, index)]
    assert new == old  # floats compared with ==: bit-identical, not approximately equal
    everything = reference.rank(matcher, norm, None, index)
    answerable = [(s.entry.id, s.score) for s in matcher.rank_answerable(norm, enough)]
    full = [(s.entry.id, s.score) for s in everything if not s.entry.decline]
    assert answerable[:enough or None] == full[:enough or None]
    if enough is not None:  # the top-k (what `decide` asks for): exactly the unpruned ranking's first k
        top = [(s.entry.id, s.score) for s in matcher.top(norm, enough)]
        assert top == [(s.entry.id, s.score) for s in everything[:enough]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_inline_query_equals_the_unpruned_ranking(case):
    matcher, index, question, _ = case
    full = reference.rank(matcher, matcher.normalize(question), None, index)
    assert inline_entries(matcher, question) == [s.entry for s in full if not s.entry.decline][:INLINE_RESULTS]


def test_the_real_questions_rank_the_same():
    from pathlib import Path

    from bot.evaluate import load_cases

    matcher, index, _ = grown("real", 39)
    for case in load_cases(Path(__file__).parent / "data" / "regression.yaml"):
        norm = matcher.normalize(case.q)
        for enough in (None, RANKED):
            assert matcher.rank(norm, enough) == reference.rank(matcher, norm, enough, index), case.q
        assert matcher.top(norm, RANKED) == reference.rank(matcher, norm, None, index)[:RANKED], case.q
