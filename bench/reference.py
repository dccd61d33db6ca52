"""The ranking as it was before issue 17 (entry by entry, in pure Python), kept as the reference the vectorised
`Matcher.rank` must equal exactly: tests/test_rank_equivalence.py compares the two, and the growth benchmark
times both in the same run."""

from __future__ import annotations

import heapq
from collections import defaultdict

from rapidfuzz import fuzz

from faq.matcher import (
    CREDENTIAL_WORD,
    FUZZY_MAX,
    OVERLAP_WEIGHT,
    Matcher,
    Scored,
    _credential_factor,
)
from faq.normalize import Normalized

Index = dict[str, list[int]]


def build_index(matcher: Matcher) -> Index:
    index: Index = defaultdict(list)
    for pi, p in enumerate(matcher._phrasings):
        for t in p.tokens:
            index[t].append(pi)
    return dict(index)


def rank(matcher: Matcher, norm: Normalized, enough: int | None = None, index: Index | None = None) -> list[Scored]:
    index = build_index(matcher) if index is None else index
    weights = {t: matcher.idf(t) for t in norm.tokens}
    q_weight = sum(weights.values())
    q_text = " ".join(sorted(weights))
    overlap: dict[int, float] = defaultdict(float)
    for token, weight in weights.items():
        for pi in index.get(token, ()):
            overlap[pi] += weight
    per_entry: dict[int, list] = defaultdict(list)
    for pi, shared in overlap.items():
        p = matcher._phrasings[pi]
        if p.credentials & norm.credentials:
            shared += CREDENTIAL_WORD
            q_cov = shared / (q_weight + CREDENTIAL_WORD)
        else:
            q_cov = shared / q_weight
        p_cov = shared / p.weight
        per_entry[p.entry_index].append((100 * OVERLAP_WEIGHT * 2 * q_cov * p_cov / (q_cov + p_cov), p))
    bounds = []
    for i, found in per_entry.items():
        factor = _credential_factor(matcher.entries[i].credentials, norm.credentials)
        found.sort(key=lambda f: -f[0])
        bounds.append(((found[0][0] + FUZZY_MAX) * factor, factor, i, found))
    bounds.sort(key=lambda b: -b[0])
    best: dict[int, float] = {}
    top: list[float] = []
    for bound, factor, i, found in bounds:
        if enough and len(top) >= enough and bound < top[0]:
            break
        score = 0.0
        for part, p in found:
            if part + FUZZY_MAX <= score:
                break
            score = max(score, part + FUZZY_MAX * fuzz.token_sort_ratio(q_text, p.text) / 100)
        best[i] = score * factor
        heapq.heappush(top, best[i])
        if enough and len(top) > enough:
            heapq.heappop(top)
    ranked = [Scored(matcher.entries[i], s) for i, s in best.items()]
    ranked.sort(key=lambda s: (-s.score, s.entry.id))
    return ranked
