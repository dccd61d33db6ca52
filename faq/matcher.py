"""Scoring a question against every entry and deciding: answer, merge across credentials, clarify or decline.

Each entry scores as its best phrasing. A phrasing's score blends an IDF-weighted overlap of content
words (F1 of query coverage and phrasing coverage, so neither a short query inside a long phrasing nor
a long off-topic question sharing one word like "renew" can score high) with rapidfuzz's
token_sort_ratio for the near-misses normalisation did not catch. The credential named in the question
then scales the score: the right credential keeps it, another one cuts it.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from faq.kb import Entry, KnowledgeBase, KnowledgeBaseError
from faq.normalize import Normalized, Normalizer

OVERLAP_WEIGHT = 0.8  # the rest is token_sort_ratio
FUZZY_MAX = 100 * (1 - OVERLAP_WEIGHT)
# A credential named in a phrasing counts as one more word of this weight: a question that names none
# covers less of "what is on the cma exam" than one that does.
CREDENTIAL_WORD = 1.5
ANSWER_AT = 60.0  # a top score from here, with a clear margin, is answered
MARGIN = 7.0  # how far the top entry must lead the next one to be answered without asking
CLEAR_WINNER_AT = 50.0  # a middling top score is still answered when it leads by CLEAR_MARGIN
CLEAR_MARGIN = 18.0
ONE_WORD_AT = 95.0
DECLINE_BELOW = 42.0  # under this nothing fits
UNKNOWN_SHARE = 0.35  # see strong_anchors in synonyms.yaml
# A word the knowledge base never uses weighs this much when scoring ("my boss says I need to recertify"):
# it cannot match anything, so at full weight it would only drown the words that can. Deciding whether a
# question is off-topic still weighs it in full (UNKNOWN_SHARE).
UNKNOWN_WEIGHT = 1.5
MERGE_GAP = 14.0  # entries of other credentials this close on a shared topic are answered together
SUGGESTIONS = 3
RANKED = 6  # entries a decision looks at: the suggestions, the runner-up, and those a merge may join

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
class Answered:
    entry: Entry
    score: float
    ranking: tuple[Scored, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Merged:
    """One entry per credential on a shared topic, answered together."""

    topic: str
    entries: tuple[Entry, ...]
    score: float
    ranking: tuple[Scored, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Unsure:
    options: tuple[Entry, ...]  # the closest entries, to offer
    score: float
    ranking: tuple[Scored, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Declined:
    score: float
    pointer: Entry | None = None  # a matched out-of-scope entry, whose answer says where to ask
    ranking: tuple[Scored, ...] = field(default=(), repr=False)


Decision = Answered | Merged | Unsure | Declined


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    tokens: frozenset[str]
    credentials: frozenset[str]
    text: str
    weight: float


class Matcher:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.entries: tuple[Entry, ...] = tuple(kb.entries.values())
        raw_vocab = {w for e in self.entries for p in (e.question, *e.phrasings) for w in p.lower().split()}
        self.normalize = Normalizer(kb, raw_vocab)
        self.anchors = frozenset(kb.synonyms.anchors)
        self.strong_anchors = frozenset(kb.synonyms.strong_anchors)
        self.out_of_scope = frozenset(kb.synonyms.out_of_scope)

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

        entry_tokens: dict[int, set[str]] = defaultdict(set)
        for i, norm in normalized:
            entry_tokens[i].update(norm.tokens)
        doc_freq: dict[str, int] = defaultdict(int)
        for tokens in entry_tokens.values():
            for token in tokens:
                doc_freq[token] += 1
        n = len(self.entries)
        self._idf = {t: math.log((n + 1) / (df + 0.5)) for t, df in doc_freq.items()}
        self._unknown_idf = math.log((n + 1) / 0.5)
        # Words our answers use are the domain's too ("anatomy"), even when no phrasing has them yet.
        answer_words = {t for e in self.entries if not e.decline
                        for line in e.answer.splitlines() for t in self.normalize(line).tokens}
        self._domain = frozenset(self._idf) | answer_words

        self._phrasings: list[_Phrasing] = []
        self._index: dict[str, list[int]] = defaultdict(list)
        for i, norm in normalized:
            tokens = frozenset(norm.tokens)
            weight = sum(self._idf[t] for t in tokens) + (CREDENTIAL_WORD if norm.credentials else 0.0)
            p = _Phrasing(i, tokens, norm.credentials, " ".join(sorted(tokens)), weight)
            for t in tokens:
                self._index[t].append(len(self._phrasings))
            self._phrasings.append(p)

    def is_off_topic(self, norm: Normalized, need_anchor: bool = True) -> bool:
        """About something else: an out-of-scope word; or, naming no credential, (with need_anchor) no domain
        word at all, or no strong domain word and mostly words the knowledge base does not know."""
        tokens = set(norm.tokens)
        if tokens & self.out_of_scope:
            return True
        if norm.credentials:
            return False
        if need_anchor and not tokens & self.anchors:
            return True  # nothing in it is about credentials at all
        if not tokens or tokens & self.strong_anchors:
            return False
        weights = [self._idf.get(t, self._unknown_idf) for t in tokens]
        unknown = sum(w for t, w in zip(tokens, weights, strict=False) if t not in self._domain)
        return unknown / sum(weights) > UNKNOWN_SHARE

    def idf(self, token: str) -> float:
        return self._idf.get(token, UNKNOWN_WEIGHT)

    def rank(self, norm: Normalized, enough: int | None = None) -> list[Scored]:
        """Entries sharing a word with the question, best first: all of them, or (with `enough`) at least the
        best `enough`, skipping the fuzzy score of phrasings whose overlap alone rules them out."""
        weights = {t: self.idf(t) for t in norm.tokens}
        q_weight = sum(weights.values())
        q_text = " ".join(sorted(weights))
        overlap: dict[int, float] = defaultdict(float)
        for token, weight in weights.items():  # walk the index once instead of intersecting every phrasing
            for pi in self._index.get(token, ()):
                overlap[pi] += weight
        per_entry: dict[int, list[tuple[float, _Phrasing]]] = defaultdict(list)
        for pi, shared in overlap.items():
            p = self._phrasings[pi]
            if p.credentials & norm.credentials:
                shared += CREDENTIAL_WORD
                q_cov = shared / (q_weight + CREDENTIAL_WORD)
            else:
                q_cov = shared / q_weight
            p_cov = shared / p.weight
            per_entry[p.entry_index].append((100 * OVERLAP_WEIGHT * 2 * q_cov * p_cov / (q_cov + p_cov), p))
        # The fuzzy part adds at most FUZZY_MAX: an entry whose best overlap plus that cannot reach the
        # `enough`-th best exact score found so far is left unscored (what keeps a large knowledge base fast).
        bounds = []
        for index, found in per_entry.items():
            factor = _credential_factor(self.entries[index].credentials, norm.credentials)
            found.sort(key=lambda f: -f[0])
            bounds.append(((found[0][0] + FUZZY_MAX) * factor, factor, index, found))
        bounds.sort(key=lambda b: -b[0])
        best: dict[int, float] = {}
        top: list[float] = []  # min-heap of the best `enough` exact scores
        for bound, factor, index, found in bounds:
            if enough and len(top) >= enough and bound < top[0]:
                break
            score = 0.0
            for part, p in found:
                if part + FUZZY_MAX <= score:
                    break
                score = max(score, part + FUZZY_MAX * fuzz.token_sort_ratio(q_text, p.text) / 100)
            best[index] = score * factor
            heapq.heappush(top, best[index])
            if enough and len(top) > enough:
                heapq.heappop(top)
        ranked = [Scored(self.entries[i], s) for i, s in best.items()]
        ranked.sort(key=lambda s: (-s.score, s.entry.id))
        return ranked

    def decide(self, norm: Normalized) -> Decision:
        """Answer, merge, clarify or decline a normalised question."""
        if not norm.tokens:
            return self._credential_only(norm)
        ranking = tuple(self.rank(norm, enough=RANKED))
        top = ranking[0] if ranking else None
        if top is None or top.score < DECLINE_BELOW or self.is_off_topic(norm) or top.entry.decline:
            # When the closest entry is a known out-of-scope topic, its answer says where to ask instead.
            pointer = top.entry if top and top.entry.decline and top.score >= ANSWER_AT else None
            return Declined(top.score if top else 0.0, pointer, ranking)

        merged = self._merge(top, ranking, norm)
        if merged:
            topic, members = merged
            return Merged(topic, members, top.score, ranking)
        if _sure(top.score, ranking, norm):
            return Answered(top.entry, top.score, ranking)
        options = tuple(s.entry for s in ranking if not s.entry.decline)[:SUGGESTIONS]
        return Unsure(options, top.score, ranking)

    def _merge(self, top: Scored, ranking: tuple[Scored, ...],
               norm: Normalized) -> tuple[str, tuple[Entry, ...]] | None:
        """Entries of several credentials that fit one topic, answered together: when the question names none
        of them and they score close, or when it names two or more ("cma or ccma, which needs more ceus")."""
        if len(norm.credentials) == 1 or not top.entry.topics or top.entry.decline:
            return None
        for topic in top.entry.topics:
            if norm.credentials:
                members = tuple(e for e in self.topic_entries(topic) if set(e.credentials) & norm.credentials)
                if len({c for e in members for c in e.credentials}) >= 2:
                    return topic, members
                continue
            close = [s for s in ranking[1:] if s.score >= top.score - MERGE_GAP]
            if any(topic in s.entry.topics and set(s.entry.credentials) != set(top.entry.credentials) for s in close):
                return topic, self.topic_entries(topic)
        return None

    def topic_entries(self, topic: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if topic in e.topics)

    def _credential_only(self, norm: Normalized) -> Decision:
        """A bare "cma?" or "ccma": offer that credential's main topics."""
        if not norm.credentials:
            return Declined(0.0)
        picks = tuple(
            e for e in self.entries if e.topics and set(e.credentials) & norm.credentials and not e.decline
        )[:SUGGESTIONS]
        return Unsure(picks, 0.0)

    @property
    def phrasing_count(self) -> int:
        return len(self._phrasings)


def _sure(top: float, ranking: tuple[Scored, ...], norm: Normalized) -> bool:
    lead = top - (ranking[1].score if len(ranking) > 1 else 0.0)
    if len(norm.tokens) == 1 and not norm.credentials:
        # One word ("exam?") is too little to be sure of, unless it is exactly one entry's whole phrasing.
        return top >= ONE_WORD_AT and lead >= CLEAR_MARGIN
    return (top >= ANSWER_AT and lead >= MARGIN) or (top >= CLEAR_WINNER_AT and lead >= CLEAR_MARGIN)


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
