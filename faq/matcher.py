"""Scoring a question against every entry and deciding: answer, merge across credentials, clarify or decline.

Each entry scores as its best phrasing. A phrasing's score blends an IDF-weighted overlap of content
words (F1 of query coverage and phrasing coverage, so neither a short query inside a long phrasing nor
a long off-topic question sharing one word like "renew" can score high) with rapidfuzz's
token_sort_ratio for the near-misses normalisation did not catch. The credential named in the question
then scales the score: the right credential keeps it, another one cuts it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from faq.kb import Entry, KnowledgeBase, KnowledgeBaseError
from faq.normalize import Normalized, Normalizer

OVERLAP_WEIGHT = 0.8  # the rest is token_sort_ratio
ANSWER_AT = 60.0  # a top score from here, with a clear margin, is answered
MARGIN = 7.0  # how far the top entry must lead the next one to be answered without asking
CLEAR_WINNER_AT = 50.0  # a middling top score is still answered when it leads by CLEAR_MARGIN
CLEAR_MARGIN = 18.0
DECLINE_BELOW = 42.0  # under this nothing fits
MERGE_GAP = 14.0  # entries of other credentials this close on a shared topic are answered together
SUGGESTIONS = 3

# How a question's credentials scale an entry's score (entry credentials vs credentials named).
SAME_CREDENTIAL = 1.0
GENERAL_ENTRY = 0.97
PARTIAL_CREDENTIAL = 0.9
OTHER_CREDENTIAL = 0.45


@dataclass(frozen=True)
class Scored:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Decision:
    kind: str  # "answer" | "merge" | "clarify" | "decline"
    score: float
    normalized: Normalized
    entry: Entry | None = None  # answer, or the matched out-of-scope entry on a decline
    topic: str | None = None  # merge
    merged: tuple[Entry, ...] = ()  # merge: one entry per credential
    suggestions: tuple[Entry, ...] = ()  # clarify (and the closest ones on a decline)
    ranking: tuple[Scored, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    tokens: frozenset[str]
    text: str
    weight: float


class Matcher:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.entries: tuple[Entry, ...] = tuple(kb.entries.values())
        raw_vocab = {w for e in self.entries for p in (e.question, *e.phrasings) for w in p.lower().split()}
        self.normalize = Normalizer(kb, raw_vocab)
        self.anchors = frozenset(kb.synonyms.anchors)

        normalized: list[tuple[int, Normalized]] = []
        seen: dict[tuple, str] = {}
        for i, entry in enumerate(self.entries):
            for text in (entry.question, *entry.phrasings):
                norm = self.normalize(text)
                key = (tuple(sorted(norm.tokens)), norm.credentials)
                if not norm.tokens:
                    raise KnowledgeBaseError(entry.file, f"phrasing '{text}' has no content words", entry.id)
                owner = seen.setdefault(key, entry.id)
                if owner != entry.id:
                    raise KnowledgeBaseError(
                        entry.file, f"phrasing '{text}' also belongs to entry '{owner}'", entry.id
                    )
                normalized.append((i, norm))

        doc_freq: dict[str, int] = defaultdict(int)
        for i, entry in enumerate(self.entries):
            for token in {t for j, n in normalized if j == i for t in n.tokens}:
                doc_freq[token] += 1
        n = len(self.entries)
        self._idf = {t: math.log((n + 1) / (df + 0.5)) for t, df in doc_freq.items()}
        self._unknown_idf = math.log((n + 1) / 0.5)

        self._phrasings: list[_Phrasing] = []
        self._index: dict[str, list[int]] = defaultdict(list)
        for i, norm in normalized:
            tokens = frozenset(norm.tokens)
            p = _Phrasing(i, tokens, " ".join(sorted(tokens)), sum(self._idf[t] for t in tokens))
            for t in tokens:
                self._index[t].append(len(self._phrasings))
            self._phrasings.append(p)

    def idf(self, token: str) -> float:
        return self._idf.get(token, self._unknown_idf)

    def rank(self, norm: Normalized) -> list[Scored]:
        """Every entry sharing a word with the question, best first."""
        query = frozenset(norm.tokens)
        q_weight = sum(self.idf(t) for t in query)
        q_text = " ".join(sorted(query))
        best: dict[int, float] = {}
        candidates = {pi for t in query for pi in self._index.get(t, ())}
        for pi in candidates:
            p = self._phrasings[pi]
            overlap = sum(self.idf(t) for t in query & p.tokens)
            q_cov, p_cov = overlap / q_weight, overlap / p.weight
            f1 = 2 * q_cov * p_cov / (q_cov + p_cov)
            score = 100 * (OVERLAP_WEIGHT * f1 + (1 - OVERLAP_WEIGHT) * fuzz.token_sort_ratio(q_text, p.text) / 100)
            if score > best.get(p.entry_index, 0.0):
                best[p.entry_index] = score
        ranked = [
            Scored(self.entries[i], s * _credential_factor(self.entries[i].credentials, norm.credentials))
            for i, s in best.items()
        ]
        ranked.sort(key=lambda s: (-s.score, s.entry.id))
        return ranked

    def decide(self, text: str) -> Decision:
        norm = self.normalize(text)
        if not norm.tokens:
            return self._credential_only(norm)
        if not norm.credentials and not self.anchors.intersection(norm.tokens):
            return Decision("decline", 0.0, norm)  # nothing in it is about credentials at all
        ranking = self.rank(norm)
        if not ranking or ranking[0].score < DECLINE_BELOW:
            top = ranking[0].score if ranking else 0.0
            return Decision("decline", top, norm, ranking=tuple(ranking))
        top = ranking[0]
        if top.entry.decline:
            # Closest to an out-of-scope topic: say so (with its pointer when the match is sure).
            entry = top.entry if top.score >= ANSWER_AT else None
            return Decision("decline", top.score, norm, entry=entry, ranking=tuple(ranking))

        merged = self._merge(top, ranking, norm)
        if merged:
            topic, members = merged
            return Decision("merge", top.score, norm, topic=topic, merged=members, ranking=tuple(ranking))

        answerable = [s for s in ranking if not s.entry.decline]
        runner_up = next((s.score for s in ranking[1:]), 0.0)
        lead = top.score - runner_up
        if (top.score >= ANSWER_AT and lead >= MARGIN) or (top.score >= CLEAR_WINNER_AT and lead >= CLEAR_MARGIN):
            return Decision("answer", top.score, norm, entry=top.entry, ranking=tuple(ranking))
        suggestions = tuple(s.entry for s in answerable[:SUGGESTIONS])
        return Decision("clarify", top.score, norm, suggestions=suggestions, ranking=tuple(ranking))

    def _merge(self, top: Scored, ranking: list[Scored], norm: Normalized):
        """When no credential is named and entries of several credentials fit one topic, answer them together."""
        if norm.credentials or not top.entry.topics or top.entry.decline:
            return None
        close = [s for s in ranking[1:] if s.score >= top.score - MERGE_GAP]
        for topic in top.entry.topics:
            if any(topic in s.entry.topics and set(s.entry.credentials) != set(top.entry.credentials) for s in close):
                members = self.topic_entries(topic)
                return topic, members
        return None

    def topic_entries(self, topic: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if topic in e.topics)

    def _credential_only(self, norm: Normalized) -> Decision:
        """A bare "cma?" or "ccma": offer that credential's main topics."""
        if not norm.credentials:
            return Decision("decline", 0.0, norm)
        picks = tuple(
            e for e in self.entries if e.topics and set(e.credentials) & norm.credentials and not e.decline
        )[:SUGGESTIONS]
        return Decision("clarify", 0.0, norm, suggestions=picks)


def _credential_factor(entry_creds: tuple[str, ...], asked: frozenset[str]) -> float:
    if not asked:
        return SAME_CREDENTIAL
    if not entry_creds:
        return GENERAL_ENTRY
    entry_set = set(entry_creds)
    if entry_set == asked:
        return SAME_CREDENTIAL
    if entry_set & asked:
        return PARTIAL_CREDENTIAL
    return OTHER_CREDENTIAL
