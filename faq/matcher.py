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
import re
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from rapidfuzz import fuzz, process

from faq.kb import Entry, KnowledgeBase, KnowledgeBaseError, OtherBody
from faq.normalize import Normalized, Normalizer, fold

OVERLAP_WEIGHT = 0.8  # the rest is token_sort_ratio
FUZZY_MAX = 100 * (1 - OVERLAP_WEIGHT)
# A credential named in a phrasing counts as one more word of this weight: a question that names none
# covers less of "what is on the cma exam" than one that does.
CREDENTIAL_WORD = 1.5


@dataclass(frozen=True)
class Gate:
    """Where a ranking becomes an answer, a question back, or a decline. The values are chosen by
    `python -m bench gate` on the tuning half of the fresh questions and reported on the held-out half."""

    answer_at: float = 60.0  # a top score from here, with `margin` over the next entry, is answered
    margin: float = 7.0
    clear_winner_at: float = 50.0  # a middling top score is still answered when it leads by `clear_margin`
    clear_margin: float = 18.0
    lead_at: float = 50.0  # from here, a lead of `lead_margin` answers and offers the runners-up
    lead_margin: float = 10.0
    one_word_at: float = 95.0  # a one-word question is answered only when it is one entry's whole phrasing
    decline_below: float = 42.0  # under this nothing fits


GATE = Gate()
MARGIN = GATE.margin  # what `faq lint` calls confusable
UNKNOWN_SHARE = 0.35  # see strong_anchors in synonyms.yaml
# A word the knowledge base never uses weighs this much when scoring ("my boss says I need to recertify"):
# it cannot match anything, so at full weight it would only drown the words that can. Deciding whether a
# question is off-topic still weighs it in full (UNKNOWN_SHARE).
UNKNOWN_WEIGHT = 1.5
MERGE_GAP = 14.0  # entries of other credentials this close on a shared topic are answered together
SUGGESTIONS = 3
MAX_ANSWERS = 2  # a message asking more than this many things gets the first two answered
LONG_MESSAGE = 12  # content words past which a message with one asking sentence is read by that sentence
# A part that is only a question word ("who's right?", "which one?") asks nothing of its own: given the
# message's credentials it would read as "who is the AAMA?".
QUESTION_WORDS = frozenset({"who", "what", "when", "where", "why", "how", "which", "quien", "que", "cuando", "donde",
                            "como", "cual"})
RANKED = 6  # entries a decision looks at: the suggestions, the runner-up, and those a merge may join

# How a question's credentials scale an entry's score (entry credentials vs credentials named).
SAME_CREDENTIAL = 1.0
GENERAL_ENTRY = 0.97
PARTIAL_CREDENTIAL = 0.9
OTHER_CREDENTIAL = 0.45

# rank's vectorised arithmetic (issue 17)
if TYPE_CHECKING:  # numpy itself is imported by `import_numpy`: `recertbot ask` and the first answer do without
    import numpy as np
    import numpy.typing as npt

    _Ints = npt.NDArray[np.integer[Any]]
    _Floats = npt.NDArray[np.float64]
_F1_SCALE = 100 * OVERLAP_WEIGHT * 2  # the constant part of the overlap score, folded as it always was
_CHARS = b"abcdefghijklmnopqrstuvwxyz0123456789 "  # what phrasings' texts are made of; the rest is one column
_CHAR_COLUMNS = len(_CHARS) + 1
_CHAR_COLUMN: Any = None  # byte -> column, a numpy array once numpy is imported
_numpy_ready = False  # read unlocked by the event loop while import_numpy runs in a thread: so it is set last
DECISION_CACHE_RANKED = 200_000  # ranked entries the decision cache may hold in all (some 30 MB)
_FIRST_CHUNK = 32  # entries scored exactly in the first chunk of a pruned ranking; each next chunk _CHUNK_GROWTH times
_CHUNK_GROWTH = 3
_RATIO_SLACK = 1e-6  # rounding room for the length bound of token_sort_ratio: a phrasing too many is harmless
# A top-k ranking of many phrasings scores this many of the best-bounded entries exactly, for a floor (_top_bounded).
_CONTENDERS_FROM = 32
_COLUMN_BY_COLUMN_FROM = 1_000  # phrasings from which _char_ceiling counts one character at a time
_PRESENCE_FIRST_FROM = 1_000  # phrasings from which _top_bounded bounds by _presence_ceiling before counting characters
_CREDENTIAL_SETS_KEPT = 8  # sets of credentials asked whose Dice terms are kept (two arrays of phrasings each)
_BOUND_SLACK = 1e-9  # rounding room for the entry-level bound, computed in another order than the exact parts
_UNKNOWN_CREDENTIAL = 1 << 62  # a credential the knowledge base does not define: matches no entry


@dataclass(frozen=True)
class Scored:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Answered:
    entry: Entry
    score: float
    ranking: tuple[Scored, ...] = field(default=(), repr=False)
    # When the entry only leads (not sure enough to answer alone): the runners-up, offered as "not what you asked?"
    alternatives: tuple[Entry, ...] = ()


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


@dataclass(frozen=True)
class Several:
    """A message that asks two things: the answers in the order asked, and for a part not answered with
    confidence, the closest entries to offer."""

    answers: tuple[Answered, ...]
    score: float
    ranking: tuple[Scored, ...] = field(default=(), repr=False)
    offers: tuple[Entry, ...] = ()


Decision = Answered | Merged | Unsure | Declined | Several


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    tokens: frozenset[str]
    credentials: frozenset[str]
    text: str
    weight: float


def import_numpy() -> None:
    """The vectorised ranking's numpy (a tenth of a second to import). Until this has run, a knowledge base of
    fewer than `Matcher._eager_arrays_from` phrasings is ranked in Python, with the same results."""
    global np, _CHAR_COLUMN, _numpy_ready
    if _numpy_ready:
        return
    import numpy as np

    column = np.full(256, _CHAR_COLUMNS - 1, dtype=np.intp)
    column[np.frombuffer(_CHARS, dtype=np.uint8)] = np.arange(len(_CHARS))
    _CHAR_COLUMN = column
    _numpy_ready = True


class Matcher:
    def __init__(self, kb: KnowledgeBase, gate: Gate = GATE):
        self.kb = kb
        self._gate = gate
        self.entries: tuple[Entry, ...] = tuple(kb.entries.values())
        raw_vocab = frozenset(w for e in self.entries for p in (e.question, *e.phrasings) for w in p.lower().split())
        self.normalize = Normalizer(kb, raw_vocab)
        self.anchors = frozenset(kb.synonyms.anchors)
        self.strong_anchors = frozenset(kb.synonyms.strong_anchors)
        self.out_of_scope = frozenset(kb.synonyms.out_of_scope)
        self._bodies = [(b, _words_re(b.names), _words_re(b.shared), _words_re(b.senses)) for b in kb.other_bodies]
        self._our_names = _words_re(tuple(m for spec in kb.credentials.values() for m in spec.markers))

        normalized: list[tuple[int, Normalized]] = []
        seen: dict[tuple[tuple[str, ...], frozenset[str]], str] = {}
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
        for words in entry_tokens.values():
            for token in words:
                doc_freq[token] += 1
        n = len(self.entries)
        self._idf = {t: math.log((n + 1) / (df + 0.5)) for t, df in doc_freq.items()}
        self._unknown_idf = math.log((n + 1) / 0.5)
        # Words our answers use are the domain's too ("anatomy"), even when no phrasing has them yet.
        answer_words = {t for e in self.entries if not e.decline
                        for line in e.answer.splitlines() for t in self.normalize(line).tokens}
        self._domain = frozenset(self._idf) | answer_words

        by_topic: dict[str, list[Entry]] = defaultdict(list)
        for entry in self.entries:  # a merge asks for a topic's entries: a scan of 10,000 would cost 0.5 ms
            for topic in entry.topics:
                by_topic[topic].append(entry)
        self._topics = {topic: tuple(found) for topic, found in by_topic.items()}

        self._phrasings: list[_Phrasing] = []
        for i, norm in normalized:
            tokens = frozenset(norm.tokens)
            weight = sum(self._idf[t] for t in tokens) + (CREDENTIAL_WORD if norm.credentials else 0.0)
            self._phrasings.append(_Phrasing(i, tokens, norm.credentials, " ".join(sorted(tokens)), weight))
        self._build_rank_index()

    def other_body(self, folded: str, asking: Sequence[str] | None = None) -> OtherBody | None:
        """The body we don't cover that a (folded) message is about: named outright, or by a name it shares
        with ours next to a word that tells its sense ("cma" + "accounting"). With `asking` (the asking parts
        of a message that names a credential of ours), a body that shares no name with ours and is named only
        in the story is not what it asks about ("for my old CNA license...; now as a CCMA, do my CE credits
        have to be in certain topics?")."""
        for body, names, shared, senses in self._bodies:
            if (names and names.search(folded)) or (shared and senses and shared.search(folded)
                                                     and senses.search(folded)):
                if asking and names and not shared and not any(names.search(part) and not self._ours_after(names, part)
                                                               for part in asking):
                    continue
                return body
        return None

    def _ours_after(self, names: re.Pattern[str], part: str) -> bool:
        """Whether one of our credentials is named after the other body's last mention: "I'm a CMA and now an
        EMT too, can I keep my CMA?" asks about ours; "my CPhT through NHA" names only who issues theirs."""
        if self._our_names is None:
            return False
        last = max(m.end() for m in names.finditer(part))
        return any(not _ISSUED_BY.search(part, 0, m.start()) for m in self._our_names.finditer(part, last))

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
        best `enough`, skipping the fuzzy score of entries whose overlap alone rules them out.

        What it returns is exactly what scoring entry by entry returned before issue 17 (bench/reference.py
        keeps that implementation; tests/test_rank_equivalence.py compares the two on random questions and
        grown knowledge bases): sums are added in the question's token order, so the floats are bit-identical.
        See "Ranking, vectorised" further down for the index and the helpers."""
        return self._rank(norm, enough, answerable_only=False, top_only=False)

    def top(self, norm: Normalized, k: int) -> list[Scored]:
        """The best `k` of `rank(norm)`: the same entries, order (ties by id) and scores, and nothing past
        them, so the entries that only tie far below the k-th (thousands, when one common word ties a grown
        knowledge base) are neither scored nor built."""
        return self._rank(norm, k, answerable_only=False, top_only=True)

    def decide(self, norm: Normalized) -> Decision:
        """Answer, merge, clarify or decline a normalised question."""
        if not norm.tokens:
            return self._credential_only(norm)
        ranking = tuple(self.top(norm, RANKED))
        top = ranking[0] if ranking else None
        gate = self.gate
        if top is None or top.score < gate.decline_below or self.is_off_topic(norm) or top.entry.decline:
            # When the closest entry is a known out-of-scope topic, its answer says where to ask instead.
            pointer = top.entry if top and top.entry.decline and top.score >= gate.answer_at else None
            return Declined(top.score if top else 0.0, pointer, ranking)

        merged = self._merge(top, ranking, norm)
        if merged:
            topic, members = merged
            return Merged(topic, members, top.score, ranking)
        if _sure(top.score, ranking, norm, gate):
            return Answered(top.entry, top.score, ranking)
        options = tuple(s.entry for s in ranking if not s.entry.decline)[:SUGGESTIONS]
        if _leads(top.score, ranking, norm, gate) and options and options[0] == top.entry:
            return Answered(top.entry, top.score, ranking, alternatives=options[1:])
        return Unsure(options, top.score, ranking)

    def decide_parts(self, whole: Normalized, parts: list[Normalized], named: frozenset[str] = frozenset()) -> Decision:
        """A message read in its asking parts (faq.segment): each part decided on its own, so a story around
        the question cannot drown it, and two questions get two answers. A part that names no credential
        takes those the whole message names (`named`: also those named inside a phrase, as "aama" in "aama
        approved ceus"). A short message with one asking part is decided whole, or by that part when the part
        alone answers and the whole is declined (a story outweighing its question) or unsure with that same
        entry first."""
        named = whole.credentials or named
        if not parts or (len(parts) == 1 and len(whole.tokens) <= LONG_MESSAGE):
            decided = self.decision(whole)
            # "renew my kids' medicaid?" stays declined whatever its asking part says
            declined = isinstance(decided, Declined) and decided.pointer is None \
                and not set(whole.tokens) & self.out_of_scope
            if parts and (declined or isinstance(decided, Unsure)):
                alone = self.decide_part(parts[0], named)
                # unsure of the whole, the part decides only when it answers with the whole's own first guess
                if isinstance(alone, Answered) and (declined or (
                        bool(decided.ranking) and decided.ranking[0].entry == alone.entry)):
                    return alone
            return decided
        whole_decision = self.decision(whole)
        decisions = [self.decide_part(p, named) for p in parts]
        if whole_decision.ranking and not self.is_off_topic(whole):
            decisions = [_corroborated(d, whole_decision.ranking, len(parts) > 1, self.gate.clear_margin)
                         for d in decisions]
        answered: list[Answered] = []
        for d in decisions:
            if isinstance(d, Answered) and answered and any(a.entry == d.entry for a in answered):
                d = self._next_answer(d, answered, whole_decision.ranking)
            if isinstance(d, Answered) and all(a.entry.id != d.entry.id for a in answered):
                answered.append(d)
        if len(answered) >= 2:
            return Several(tuple(answered[:MAX_ANSWERS]), min(a.score for a in answered), answered[0].ranking)
        # One answer at most: the whole message, when it is answered, may hold what one part alone misses.
        if isinstance(whole_decision, Answered) and not (answered and whole_decision.entry == answered[0].entry):
            gap = next((i for i, d in enumerate(decisions)
                        if isinstance(d, Unsure) and whole_decision.entry in d.options), None)
            if answered and gap is not None:  # the whole answers the part that was unsure: both answered, in order
                pair = (whole_decision, answered[0])
                if decisions.index(answered[0]) < gap:
                    pair = pair[::-1]
                return Several(pair, min(a.score for a in pair), pair[0].ranking)
            return whole_decision
        unsure = [d for d in decisions if isinstance(d, Unsure) and d.options]
        if answered:
            offers = tuple(e for d in unsure for e in d.options if e != answered[0].entry)[:SUGGESTIONS]
            return Several((answered[0],), answered[0].score, answered[0].ranking, offers) if offers else answered[0]
        merged = [d for d in decisions if isinstance(d, Merged)]
        if merged:
            return merged[0]
        pointed = [d for d in decisions if isinstance(d, Declined) and d.pointer]
        if pointed:  # nothing of ours answered, and one part is plainly about something else: say where to ask
            return pointed[0]
        if not isinstance(whole_decision, Declined):
            return whole_decision
        return max(unsure, key=lambda d: d.score) if unsure else whole_decision

    def _next_answer(self, decided: Answered, answered: list[Answered], whole: tuple[Scored, ...]) -> Decision:
        """A second question whose best entry is the one the first already got ("how many admin points do i
        need, and can my 3 cpr cards cover the clinical minimum?"): it may ask something else, answered by its
        next entry when that scores as an answer would, close behind, and the whole message puts it first."""
        taken = {a.entry for a in answered}
        rest = [s for s in decided.ranking if s.entry not in taken and not s.entry.decline]
        if rest and whole and rest[0].entry == whole[0].entry and rest[0].score >= self.gate.answer_at \
                and decided.score - rest[0].score < self.gate.clear_margin:
            return Answered(rest[0].entry, rest[0].score, decided.ranking)
        return decided

    def decide_part(self, part: Normalized, named: frozenset[str]) -> Decision:
        """A part decided with the credentials the message names when it names none itself. Borrowed
        credentials only rank: a part that did not name two credentials is not comparing them (no merge, and
        no entry comparing credentials as its answer: "...my CMA... what is each credit worth?")."""
        if part.credentials or not named or set(part.tokens) <= QUESTION_WORDS:
            return self.decision(part)
        borrowed = self.decision(replace(part, credentials=named))
        if isinstance(borrowed, Merged):
            return self.decision(part)
        if isinstance(borrowed, Answered) and len(named) == 1 and len(borrowed.entry.credentials) > 1:
            options = tuple(s.entry for s in borrowed.ranking
                            if len(s.entry.credentials) <= 1 and not s.entry.decline)[:SUGGESTIONS]
            return Unsure(options, borrowed.score, borrowed.ranking)
        return borrowed

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
        return self._topics.get(topic, ())

    def _credential_only(self, norm: Normalized) -> Decision:
        """A bare "cma?" or "ccma": offer that credential's main topics."""
        if not norm.credentials:
            return Declined(0.0)
        picks = tuple(
            e for e in self.entries if e.topics and set(e.credentials) & norm.credentials and not e.decline
        )[:SUGGESTIONS]
        return Unsure(picks, 0.0)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._arrays_built:  # read back with numpy's arrays (bot/kb_cache.py): this module's `np` uses them
            import_numpy()

    @property
    def phrasing_count(self) -> int:
        return len(self._phrasings)


    # --- Ranking, vectorised (issue 17): the index built once per load, and rank's helpers ---------------
    # Postings are int32 arrays of phrasing numbers, per-phrasing weights and credential bitmasks are arrays,
    # phrasings are numbered entry by entry (so an entry's phrasings are one run, for np.maximum.reduceat).

    def _rank(self, norm: Normalized, enough: int | None, answerable_only: bool, top_only: bool) -> list[Scored]:
        weights = {t: self.idf(t) for t in norm.tokens}
        postings = sum(len(self._index.get(t, ())) for t in weights)
        if not _numpy_ready or postings <= self._python_up_to:
            # Pruned by the old stopping rule, whose first `enough` are the full ranking's first `enough`.
            ranked = self._rank_python(norm, weights, enough, answerable_only)
            return ranked[:enough] if top_only else ranked
        if not self._arrays_built:
            self._build_arrays()
        q_text = " ".join(sorted(weights))
        if top_only and enough and postings > self._bound_entries_from:
            bounded = self._top_bounded(q_text, weights, norm.credentials, enough, answerable_only)
            if bounded is not None:
                return self._best(*bounded, enough)
        touched = self._touched(weights, norm.credentials, answerable_only)
        if touched is None:
            return []
        idx, part, entry_of = touched
        starts = np.flatnonzero(np.concatenate(([True], entry_of[1:] != entry_of[:-1])))
        entries = entry_of[starts]
        factor = self._factors(entries, norm.credentials)
        # The fuzzy part adds at most FUZZY_MAX: an entry whose best overlap plus that cannot reach the
        # `enough`-th best exact score is left unscored (what keeps a large knowledge base fast).
        best_part = np.maximum.reduceat(part, starts)
        bound = (best_part + FUZZY_MAX) * factor
        chosen: _Ints
        if not enough or len(entries) <= enough:
            chosen = np.arange(len(entries))
            scores = self._exact(q_text, chosen, starts, part, idx, factor)
        elif top_only:  # only the best `enough` are wanted: a tighter bound, and no stopping rule to keep
            tight = self._tighten(q_text, enough, bound, best_part * factor, starts, part, idx, factor)
            chosen, scores = self._score_in_order(q_text, enough, tight, best_part * factor, starts, part, idx, factor)
        else:
            chosen, scores = self._prune(q_text, enough, bound, best_part * factor, starts, part, idx, factor)
        return self._best(entries[chosen], scores, enough if top_only else None)

    def _best(self, entries: _Ints, scores: _Floats, top: int | None) -> list[Scored]:
        """The scored entries by score, best first, then by id; with `top`, that many."""
        order = np.lexsort((self._id_rank[entries], -scores))
        if top is not None:
            order = order[:top]
        found = self.entries
        return [Scored(found[i], s) for i, s in zip(entries[order].tolist(), scores[order].tolist(), strict=True)]

    # Up to this many postings for the question's words, numpy's fixed cost per call outweighs what it saves:
    # the entry-by-entry ranking runs instead. Measured on 68 entries and 1,661 phrasings: decide's mean 190 µs
    # and p99 325 µs at 150, against 237 and 484 µs at 600 (python -m bench, matcher alone).
    _python_up_to = 150
    # From this many phrasings the Python ranking is too slow: numpy is imported and its arrays are built with
    # the load. Below, questions are ranked in Python until `import_numpy` has run (the running bot runs it in a
    # thread once its first answer is out), and the arrays are built with the first question that needs them.
    _eager_arrays_from = 5_000
    # From this many postings for the question's words, a top-k ranking bounds entries before the exact arithmetic
    # (_top_bounded). Below, its fixed costs (a floor scored exactly, passes over every phrasing) outweigh what it
    # saves: at 1,000 entries (24,000 phrasings) it would cost a fifth more; at 10,000, a third less (bench growth).
    _bound_entries_from = 20_000

    @property
    def gate(self) -> Gate:
        return self._gate

    @gate.setter
    def gate(self, gate: Gate) -> None:
        """Another gate (`python -m bench.gate` tries many): decisions made under the old one are forgotten."""
        self._gate = gate
        self._decisions.clear()
        self._decisions_held = 0

    def decision(self, norm: Normalized) -> Decision:
        """`decide(norm)`, remembered: the same normalised question (a common one, or the same one typed with
        other stop words or typos) is decided once per knowledge base. The cache lives on this Matcher, so a
        reload, which builds a new Matcher, starts an empty one. Least recently used decisions go first, within
        a budget of ranked entries held (a ranking of a large knowledge base can hold thousands)."""
        cache = self._decisions
        found = cache.get(norm)
        if found is not None:
            cache.move_to_end(norm)
            return found
        made = cache[norm] = self.decide(norm)
        self._decisions_held += 1 + len(made.ranking)
        while self._decisions_held > DECISION_CACHE_RANKED and len(cache) > 1:
            _, old = cache.popitem(last=False)
            self._decisions_held -= 1 + len(old.ranking)
        return made

    def _build_rank_index(self) -> None:
        self._decisions: OrderedDict[Normalized, Decision] = OrderedDict()
        self._decisions_held = 0
        index: dict[str, list[int]] = defaultdict(list)
        for pi, p in enumerate(self._phrasings):
            for t in p.tokens:
                index[t].append(pi)
        self._index = dict(index)
        self._arrays_built = False
        if len(self._phrasings) > self._eager_arrays_from:  # numpy will be needed often: built with the load
            self._build_arrays()

    def _build_arrays(self) -> None:
        import_numpy()
        index = self._index
        self._postings: dict[str, npt.NDArray[np.int32]] = {
            t: np.array(pis, dtype=np.int32) for t, pis in index.items()}
        credentials = sorted({c for p in self._phrasings for c in p.credentials}
                             | {c for e in self.entries for c in e.credentials} | set(self.kb.credentials))
        self._credential_bit = {c: 1 << b for b, c in enumerate(credentials)}
        self._p_entry = np.array([p.entry_index for p in self._phrasings], dtype=np.int32)
        self._p_weight = np.array([p.weight for p in self._phrasings], dtype=np.float64)
        self._p_credentials = np.array([self._credential_mask(p.credentials) for p in self._phrasings],
                                       dtype=np.int64)
        self._p_text = np.array([p.text for p in self._phrasings], dtype=object)
        self._p_answerable = np.array([not self.entries[p.entry_index].decline for p in self._phrasings], dtype=bool)
        self._p_length = np.array([len(p.text) for p in self._phrasings], dtype=np.int64)
        # Each phrasing's letters counted (a-z, 0-9, space, anything else): a bound of fuzz.ratio's common part.
        codes = _CHAR_COLUMN[np.frombuffer("".join(p.text for p in self._phrasings).encode("ascii", "replace"),
                                           dtype=np.uint8)]
        rows = np.repeat(np.arange(len(self._phrasings)), self._p_length)
        counts = np.bincount(codes * len(self._phrasings) + rows, minlength=len(self._phrasings) * _CHAR_COLUMNS)
        dtype = np.uint8 if counts.max(initial=0) <= 255 else np.uint16
        self._p_chars = counts.reshape(_CHAR_COLUMNS, len(self._phrasings)).astype(dtype)  # a row per character
        self._p_chars_max = int(np.iinfo(dtype).max)
        self._p_once = np.zeros(len(self._phrasings), dtype=np.uint64)  # the columns held at least once, as bits
        self._p_twice = np.zeros(len(self._phrasings), dtype=np.uint64)  # and at least twice
        for column, counted in enumerate(counts.reshape(_CHAR_COLUMNS, len(self._phrasings))):
            self._p_once |= (counted >= 1).astype(np.uint64) << np.uint64(column)
            self._p_twice |= (counted >= 2).astype(np.uint64) << np.uint64(column)
        by_id = sorted(range(len(self.entries)), key=lambda i: self.entries[i].id)
        self._id_rank = np.empty(len(self.entries), dtype=np.int64)
        self._id_rank[by_id] = np.arange(len(self.entries))
        self._e_credentials = np.array([self._credential_mask(e.credentials) for e in self.entries], dtype=np.int64)
        self._e_answerable = np.array([not e.decline for e in self.entries], dtype=bool)
        self._e_first = np.searchsorted(self._p_entry, np.arange(len(self.entries)))  # each entry's phrasings begin
        self._credential_cache: dict[int, tuple[_Floats, _Floats]] = {}
        # each word's entries (its phrasings' entries, which are ascending): the entries a question touches
        self._entry_postings = {t: np.unique(self._p_entry[p]) for t, p in self._postings.items()}
        self._arrays_built = True  # last: a build cut short leaves none of the arrays in use

    def _credential_mask(self, credentials: Iterable[str]) -> int:
        mask = 0
        for c in credentials:
            mask |= self._credential_bit.get(c, _UNKNOWN_CREDENTIAL)
        return mask

    def _rank_python(self, norm: Normalized, weights: dict[str, float], enough: int | None,
                     answerable_only: bool) -> list[Scored]:
        """The ranking entry by entry, as it was before numpy: for the few phrasings of a small index."""
        q_weight = sum(weights.values())
        q_text = " ".join(sorted(weights))
        overlap: dict[int, float] = defaultdict(float)
        for token, weight in weights.items():  # walk the index once instead of intersecting every phrasing
            for pi in self._index.get(token, ()):
                overlap[pi] += weight
        per_entry: dict[int, list[tuple[float, _Phrasing]]] = defaultdict(list)
        for pi, shared in overlap.items():
            p = self._phrasings[pi]
            if answerable_only and self.entries[p.entry_index].decline:
                continue
            if p.credentials & norm.credentials:
                shared += CREDENTIAL_WORD
                q_cov = shared / (q_weight + CREDENTIAL_WORD)
            else:
                q_cov = shared / q_weight
            p_cov = shared / p.weight
            per_entry[p.entry_index].append((100 * OVERLAP_WEIGHT * 2 * q_cov * p_cov / (q_cov + p_cov), p))
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
                score = max(score, part + FUZZY_MAX * fuzz.ratio(q_text, p.text) / 100)
            best[index] = score * factor
            heapq.heappush(top, best[index])
            if enough and len(top) > enough:
                heapq.heappop(top)
        ranked = [Scored(self.entries[i], s) for i, s in best.items()]
        ranked.sort(key=lambda s: (-s.score, s.entry.id))
        return ranked

    def rank_answerable(self, norm: Normalized, enough: int | None = None) -> list[Scored]:
        """`rank` with the out-of-scope (decline) entries left out: what an inline query offers. The same
        entries, order and scores as `[s for s in rank(norm) if not s.entry.decline]`: with `enough`, the best
        that many and no more."""
        return self._rank(norm, enough, answerable_only=True, top_only=bool(enough))

    def _touched(self, weights: dict[str, float], asked: frozenset[str],
                 answerable_only: bool = False) -> tuple[_Ints, _Floats, _Ints] | None:
        """The phrasings sharing a word with the question (ascending), their overlap parts, their entries."""
        postings = [(self._postings[t], w) for t, w in weights.items() if t in self._postings]
        if not postings:
            return None
        idx: _Ints
        if len(postings) == 1:
            idx = postings[0][0]
            shared = np.full(len(idx), postings[0][1])
        else:  # dense over all phrasings: a pass over a few hundred kilobytes beats sorting the postings
            total = np.zeros(len(self._phrasings))
            seen = np.zeros(len(self._phrasings), dtype=bool)
            for p, w in postings:  # in the question's token order, as the sums were always added
                total[p] += w
                seen[p] = True
            idx = np.flatnonzero(seen)
            shared = total[idx]
        if answerable_only:
            answerable = self._p_answerable[idx]
            idx, shared = idx[answerable], shared[answerable]
            if not len(idx):
                return None
        q_weight = sum(weights.values())
        return idx, self._parts(idx, shared, q_weight, self._credential_mask(asked)), self._p_entry[idx]

    def _top_bounded(self, q_text: str, weights: dict[str, float], asked: frozenset[str], enough: int,
                     answerable_only: bool) -> tuple[_Ints, _Floats] | None:
        """A top-k ranking of many touched phrasings, bounded before the exact arithmetic: the entries scored
        (every one that can be among the best `enough`) and their scores; None when few entries are touched.

        A phrasing's overlap part is the F1 of the two coverages, a Dice coefficient: 160 * shared / (question
        weight + phrasing weight), with the credential word added to the shared weight and both weights. That
        form costs three passes over the phrasings (the exact one, nine over those touched); with the whole
        fuzzy part it bounds each entry. The best-bounded entries scored exactly give a floor the `enough`-th
        best reaches, which rules out the entries bounded under it; then the phrasings whose bound with the
        presence, then the character ceiling of the fuzzy part stays under it. What is left (the copies of the
        best entry, in the worst case) is scored in order of bound, as _score_in_order does."""
        postings = [(self._postings[t], w) for t, w in weights.items() if t in self._postings]
        if not postings:
            return None
        # bincount adds each phrasing's weights in the order given, the question's token order: the same sums,
        # bit for bit, as adding posting by posting
        total = cast("_Floats", np.bincount(  # with weights, float64 (numpy's stubs say integers)
            np.concatenate([p for p, _ in postings]), minlength=len(self._phrasings),
            weights=np.repeat([w for _, w in postings], [len(p) for p, _ in postings])))
        q_weight = sum(weights.values())
        mask = self._credential_mask(asked)
        gain, p_weight = self._credential_terms(mask)
        # (an untouched phrasing naming an asked credential gets a share too: a looser bound, still a bound)
        share = (total + gain if gain is not None else total) / (p_weight + q_weight)
        hit = np.zeros(len(self.entries), dtype=bool)
        for t in weights:
            if t in self._entry_postings:
                hit[self._entry_postings[t]] = True
        touched = np.flatnonzero(hit)
        if answerable_only:
            touched = touched[self._e_answerable[touched]]
        first = max(enough, _CONTENDERS_FROM)
        if len(touched) <= first:
            return None
        best = np.minimum(_F1_SCALE * np.maximum.reduceat(share, self._e_first)[touched], _F1_SCALE / 2)
        factor_of = np.zeros(len(self.entries))
        factor_of[touched] = self._factors(touched, asked)
        ceiling = (best * (1 + _BOUND_SLACK) + _BOUND_SLACK + FUZZY_MAX) * factor_of[touched]

        def scored(idx: _Ints, reach: _Floats | None) -> tuple[_Ints, _Ints, _Floats, _Floats, _Floats]:
            """Phrasings' entries, where each entry's run begins, exact parts, factors, and entries' bounds."""
            part = self._parts(idx, total[idx], q_weight, mask)
            entry_of = self._p_entry[idx]
            starts = np.flatnonzero(np.concatenate(([True], entry_of[1:] != entry_of[:-1])))
            factor = factor_of[entry_of[starts]]
            return entry_of[starts], starts, part, factor, np.maximum.reduceat(
                part if reach is None else part + reach, starts) * factor

        idx = self._phrasings_of(np.sort(touched[np.argpartition(-ceiling, first)[:first]]), total)
        entries, starts, part, factor, _ = scored(idx, None)
        scores = self._exact(q_text, np.arange(len(entries)), starts, part, idx, factor)
        floor = float(np.partition(scores, len(scores) - enough)[len(scores) - enough])

        idx = self._phrasings_of(touched[ceiling >= floor], total)
        reach = _F1_SCALE * share[idx] * (1 + _BOUND_SLACK) + _BOUND_SLACK
        fuzzy = np.zeros(0)
        for fuzzy_ceiling in (self._presence_ceiling, self._char_ceiling):
            if fuzzy_ceiling == self._presence_ceiling and len(idx) < _PRESENCE_FIRST_FROM:
                continue
            fuzzy = FUZZY_MAX * fuzzy_ceiling(q_text, idx) / 100
            kept = (reach + fuzzy) * factor_of[self._p_entry[idx]] >= floor
            idx, reach, fuzzy = idx[kept], reach[kept], fuzzy[kept]
        entries, starts, part, factor, tight = scored(idx, fuzzy)
        chosen, scores = self._score_in_order(q_text, enough, tight, np.maximum.reduceat(part, starts) * factor,
                                              starts, part, idx, factor, floor)
        return entries[chosen], scores

    def _phrasings_of(self, entries: _Ints, total: _Floats) -> _Ints:
        """The phrasings of these entries (ascending) that share a word with the question (`total` above 0)."""
        idx, _, _ = _runs(entries, self._e_first, len(self._phrasings))
        found: _Ints = idx[total[idx] > 0]
        return found

    def _credential_terms(self, asked: int) -> tuple[_Floats | None, _Floats]:
        """What the question's credentials add to each phrasing's shared weight and to its weight, for the Dice
        bound: CREDENTIAL_WORD where the phrasing names one of them (remembered per set of credentials asked)."""
        if not asked:
            return None, self._p_weight
        found = self._credential_cache.get(asked)
        if found is None:
            if len(self._credential_cache) >= _CREDENTIAL_SETS_KEPT:
                self._credential_cache.clear()
            gain = np.where((self._p_credentials & asked) != 0, CREDENTIAL_WORD, 0.0)
            found = self._credential_cache[asked] = (gain, self._p_weight + gain)
        return found

    def _parts(self, idx: _Ints, shared: _Floats, q_weight: float, asked: int) -> _Floats:
        """The overlap score of each phrasing: F1 of query coverage and phrasing coverage."""
        if asked:
            hit = (self._p_credentials[idx] & asked) != 0
            shared = np.where(hit, shared + CREDENTIAL_WORD, shared)
            q_cov = np.where(hit, shared / (q_weight + CREDENTIAL_WORD), shared / q_weight)
        else:
            q_cov = shared / q_weight
        p_cov = shared / self._p_weight[idx]
        result: _Floats = _F1_SCALE * q_cov * p_cov / (q_cov + p_cov)
        return result

    def _factors(self, entries: _Ints, asked: frozenset[str]) -> _Floats:
        """_credential_factor for each entry, from bitmasks."""
        if not asked:
            return np.full(len(entries), SAME_CREDENTIAL)
        mask = self._credential_mask(asked)
        own = self._e_credentials[entries]
        return np.where(own == 0, GENERAL_ENTRY,
                        np.where(own == mask, SAME_CREDENTIAL,
                                 np.where((own & mask) != 0, PARTIAL_CREDENTIAL, OTHER_CREDENTIAL)))

    def _exact(self, q_text: str, chosen: _Ints, starts: _Ints, part: _Floats, idx: _Ints,
               factor: _Floats) -> _Floats:
        """The exact scores of the chosen entries (positions among the touched ones, whose phrasings begin at
        `starts`): best phrasing with its fuzzy part, times the credential factor.

        Round one: each entry's phrasing of best overlap, fuzzy-scored, gives a floor for the entry's score.
        Round two: only the phrasings that could pass it, judged by an upper bound of the fuzzy ratio."""
        if not len(chosen):
            return np.zeros(0)
        where, heads, lengths = _runs(chosen, starts, len(part))
        parts = part[where]
        first = heads + _first_max(parts, heads)
        floor = parts[first] + FUZZY_MAX * self._ratios(q_text, idx[where[first]]) / 100
        rows = np.repeat(np.arange(len(chosen)), lengths)
        ceiling = self._ratio_ceiling(q_text, idx[where])
        second = parts + FUZZY_MAX * ceiling / 100 > floor[rows]
        second[first] = False
        if second.any():
            values = parts[second] + FUZZY_MAX * self._ratios(q_text, idx[where[second]]) / 100
            np.maximum.at(floor, rows[second], values)
        result: _Floats = np.maximum(floor, 0.0) * factor[chosen]
        return result

    def _tighten(self, q_text: str, enough: int, bound: _Floats, lower: _Floats, starts: _Ints, part: _Floats,
                 idx: _Ints, factor: _Floats) -> _Floats:
        """`bound` tightened by the character-count bound of the fuzzy ratio (_char_ceiling), for the entries
        that `bound` alone does not rule out (under the `enough`-th best lower bound: see _score_in_order);
        counting characters for every touched phrasing would cost more than it saves."""
        floor = np.partition(lower, len(lower) - enough)[len(lower) - enough]
        kept = np.flatnonzero(bound >= floor)
        where, heads, _ = _runs(kept, starts, len(part))
        fuzzy = FUZZY_MAX * self._char_ceiling(q_text, idx[where]) / 100
        tight = bound.copy()
        tight[kept] = np.maximum.reduceat(part[where] + fuzzy, heads) * factor[kept]
        return tight

    def _ratio_ceiling(self, q_text: str, phrasings: _Ints) -> _Floats:
        """An upper bound of fuzz.ratio for each phrasing from the lengths alone (an Indel distance is at least
        the difference of the lengths), with room for rounding."""
        q_len = len(q_text)
        p_len = self._p_length[phrasings]
        ceiling: _Floats = 100 * 2 * np.minimum(q_len, p_len) / np.maximum(q_len + p_len, 1) + _RATIO_SLACK
        return ceiling

    def _presence_ceiling(self, q_text: str, phrasings: _Ints) -> _Floats:
        """A looser bound of fuzz.ratio than _char_ceiling, from which characters each text holds at least once
        and at least twice (bitmasks, _CHARS' columns): a character one text holds and the other lacks, or holds
        twice where the other holds it once, is one more the common subsequence cannot take from the first. Four
        passes however many characters the question has, and it leaves few phrasings for _char_ceiling."""
        q_chars = np.bincount(_CHAR_COLUMN[np.frombuffer(q_text.encode("ascii", "replace"), dtype=np.uint8)],
                              minlength=_CHAR_COLUMNS)
        q_once, q_twice = (np.uint64(sum(1 << c for c in np.flatnonzero(q_chars >= n).tolist())) for n in (1, 2))
        once, twice = self._p_once[phrasings], self._p_twice[phrasings]
        p_len = self._p_length[phrasings]
        common = np.minimum(p_len - np.bitwise_count(once & ~q_once) - np.bitwise_count(twice & ~q_twice),
                            len(q_text) - np.bitwise_count(q_once & ~once) - np.bitwise_count(q_twice & ~twice))
        ceiling: _Floats = 200 * common / np.maximum(len(q_text) + p_len, 1) + _RATIO_SLACK
        return ceiling

    def _char_ceiling(self, q_text: str, phrasings: _Ints) -> _Floats:
        """A tighter upper bound of fuzz.ratio, 200 * LCS / (sum of lengths): a longest common subsequence has
        at most as many of each character as the scarcer of the two texts (only the question's count)."""
        q_chars = np.bincount(_CHAR_COLUMN[np.frombuffer(q_text.encode("ascii", "replace"), dtype=np.uint8)],
                              minlength=_CHAR_COLUMNS)
        # in the counts' own small type (a question's count capped at its largest: a phrasing's is no larger)
        columns = np.flatnonzero(q_chars)
        q_chars = np.minimum(q_chars[columns], self._p_chars_max).astype(self._p_chars.dtype)
        common: _Ints
        if len(phrasings) < _COLUMN_BY_COLUMN_FROM:  # one gather of every column: fewer calls
            common = np.minimum(self._p_chars[columns[:, None], phrasings], q_chars[:, None]).sum(axis=0, dtype=np.int32)
        else:  # column by column: each row read in one sweep
            common = np.zeros(len(phrasings), dtype=np.int32)
            for column, most in zip(columns.tolist(), q_chars, strict=True):
                common += np.minimum(self._p_chars[column].take(phrasings), most)
        ceiling: _Floats = 200 * common / np.maximum(len(q_text) + self._p_length[phrasings], 1) + _RATIO_SLACK
        return ceiling

    def _ratios(self, q_text: str, phrasings: _Ints) -> _Floats:
        """fuzz.token_sort_ratio of the question and each phrasing: both texts are already their sorted words
        joined by single spaces, which is what token_sort_ratio compares with fuzz.ratio, so fuzz.ratio itself."""
        texts = self._p_text[phrasings].tolist()
        ratios: _Floats = process.cdist([q_text], texts, scorer=fuzz.ratio, dtype=np.float64)[0]
        return ratios

    def _score_in_order(self, q_text: str, enough: int, bound: _Floats, lower: _Floats, starts: _Ints,
                        part: _Floats, idx: _Ints, factor: _Floats, at_least: float = -math.inf) -> tuple[_Ints, _Floats]:
        """Entries in order of bound, with their exact scores, up to (at least) where the next bound falls below
        the `enough`-th best score so far: they include every entry that can be among the best `enough`.

        No entry whose bound is under the `enough`-th best lower bound (best overlap alone, no fuzzy part) is
        ever needed: the entries holding those lower bounds come before it and already score that much. The
        rest is scored in chunks of doubling size, in order of bound."""
        floor = max(np.partition(lower, len(lower) - enough)[len(lower) - enough], at_least)
        candidates = np.flatnonzero(bound >= floor)  # sorting only these, stably, keeps the ties' order
        order = candidates[np.argsort(-bound[candidates], kind="stable")]
        done = 0
        size = max(enough, _FIRST_CHUNK)
        scores = np.zeros(0)
        while done < len(order):
            chunk = order[done: done + size]
            scores = np.concatenate((scores, self._exact(q_text, chunk, starts, part, idx, factor)))
            done += len(chunk)
            if done < len(order) and len(scores) >= enough:
                kth = np.partition(scores, len(scores) - enough)[len(scores) - enough]
                if bound[order[done]] < kth:
                    break
            size *= _CHUNK_GROWTH
        return order[:done], scores

    def _prune(self, q_text: str, enough: int, bound: _Floats, lower: _Floats, starts: _Ints, part: _Floats,
               idx: _Ints, factor: _Floats) -> tuple[_Ints, _Floats]:
        """The entries that scoring in order of bound, until a bound falls below the `enough`-th best exact
        score so far, would score; and their scores."""
        chosen, scores = self._score_in_order(q_text, enough, bound, lower, starts, part, idx, factor)
        # Bounds only fall and the `enough`-th best score only rises along the order, so the first entry that
        # scoring would skip is found by bisection.
        bounds = bound[chosen]
        lo, hi = enough, len(chosen)  # the first `enough` are always scored; `hi`: all of them are
        while lo < hi:
            mid = (lo + hi) // 2
            if bounds[mid] < np.partition(scores[:mid], mid - enough)[mid - enough]:
                hi = mid
            else:
                lo = mid + 1
        return chosen[:lo], scores[:lo]

def _runs(chosen: _Ints, starts: _Ints, total: int) -> tuple[_Ints, _Ints, _Ints]:
    """The chosen entries' phrasings (positions among the touched ones, each entry's a run beginning at
    `starts`): their positions one run after another, where each run begins in that list, and its length."""
    lo = starts[chosen]
    lengths = np.append(starts, total)[chosen + 1] - lo
    heads = np.cumsum(lengths) - lengths
    where = np.arange(int(lengths.sum())) + np.repeat(lo - heads, lengths)
    return where, heads, lengths


def _first_max(values: _Floats, starts: _Ints) -> _Ints:
    """For each run of `values` beginning at `starts`, the offset of its first maximum."""
    lengths = np.diff(np.append(starts, len(values)))
    maxima = np.repeat(np.maximum.reduceat(values, starts), lengths)
    offsets = np.arange(len(values)) - np.repeat(starts, lengths)
    at_max = np.where(values == maxima, offsets, len(values))
    result: _Ints = np.minimum.reduceat(at_max, starts)
    return result


_ISSUED_BY = re.compile(r"\b(?:through|thru|from|with|via|by|at|con|de|por)\s+(?:the\s+|la\s+|el\s+)?$")


def _words_re(words: tuple[str, ...]) -> re.Pattern[str] | None:
    folded = sorted({fold(w) for w in words if fold(w)}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in folded) + r")\b") if folded else None


def _lead(top: float, ranking: tuple[Scored, ...], norm: Normalized) -> float:
    """How far the top entry is ahead of its rivals. A question naming one credential compares nothing: an
    entry comparing credentials is no rival to one about that credential ("does NHA charge more if…")."""
    one = len(norm.credentials) == 1
    rivals = [s for s in ranking[1:] if not (one and len(s.entry.credentials) > 1)]
    return top - (rivals[0].score if rivals else 0.0)


def _sure(top: float, ranking: tuple[Scored, ...], norm: Normalized, gate: Gate) -> bool:
    lead = _lead(top, ranking, norm)
    if len(norm.tokens) == 1 and not norm.credentials:
        # One word ("exam?") is too little to be sure of, unless it is exactly one entry's whole phrasing.
        return top >= gate.one_word_at and lead >= gate.clear_margin
    return ((top >= gate.answer_at and lead >= gate.margin)
            or (top >= gate.clear_winner_at and lead >= gate.clear_margin))


def _leads(top: float, ranking: tuple[Scored, ...], norm: Normalized, gate: Gate) -> bool:
    """Not sure, but the first option leads clearly enough to answer it and offer the others beside it."""
    lead = _lead(top, ranking, norm)
    return len(norm.tokens) > 1 and top >= gate.lead_at and lead >= gate.lead_margin


def _corroborated(decision: Decision, whole: tuple[Scored, ...], several: bool, clear_lead: float) -> Decision:
    """An unsure part answered when the whole message, read with its story, agrees on its first option: two
    readings agree where either alone only leads a little, or the whole, long, scores low ("...my CEUs from
    2019, before my cycle started... can I use those old ones?"). Beside another question (`several`), the
    whole's first place belongs to that one: second place will do, when the part's runner-up is not first.
    And when the whole leads clearly with one of the part's options, the story has said which one it means
    ("...biology and anatomy, 4 credits each... what is each credit worth?")."""
    if not isinstance(decision, Unsure) or not decision.options:
        return decision
    first, *others = decision.options
    order = [s.entry for s in whole[:2]]
    if order[0] == first or (several and first in order and order[0] not in others):
        return Answered(first, decision.score, decision.ranking, alternatives=tuple(others))
    lead = whole[0].score - (whole[1].score if len(whole) > 1 else 0.0)
    if order[0] in others and lead >= clear_lead:
        rest = tuple(e for e in decision.options if e != order[0])
        return Answered(order[0], decision.score, decision.ranking, alternatives=rest)
    return decision


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
