"""How matcher latency grows with the knowledge base, on two kinds of grown knowledge base:

- realistic: each synthetic entry is one of the real entries rewritten with words of its own (made-up words
  unique to it, plus a couple from a shared Zipf-distributed pool of topic words), keeping the real entry's
  stop words and credential names: distinct entries, a vocabulary that grows with the knowledge base;
- worst case: the real entries copied, each copy tagged with one word (every copy of an entry shares all its
  other words with the original and with each other copy, so pruning can rule little out).

For each size: `decide` (normalise + rank + decide, as the dialogue does) and the inline query's ranking, each
timed per question over several passes (p50 and p99 per pass; the row gives the median pass, with min and max),
and the pre-issue-17 ranking (bench/reference.py) against the vectorised one on a sample of the questions.
Each knowledge base is built, then `gc.freeze()`d, as the running bot does after a load."""

from __future__ import annotations

import dataclasses
import gc
import random
import statistics
import time
from collections.abc import Callable
from types import MappingProxyType

from bench import reference
from faq.kb import KnowledgeBase
from faq.matcher import RANKED, Matcher

SIZES = (100, 1_000, 10_000)
PASSES = 5
REFERENCE_SAMPLE = 40  # questions the old ranking is timed on (it takes up to a second each at 10,000)
REFERENCE_ROUNDS = 3
SYNTHETIC_QUESTIONS = 100
_CONSONANTS = "bdfgklmnprtvz"
_VOWELS = "aeiou"
_TOPIC_POOL = 2_000
_OWN_WORDS = 4
KEEP_REAL_WORD = 0.3  # the share of a template's content words a synthetic entry keeps (shared with the real ones)


def _word(n: int, syllables: int = 3) -> str:
    """The n-th made-up word: consonant-vowel syllables, never ending in s (no plural folding); neighbours
    scattered, so consecutive entries' words do not differ by one letter."""
    space = (len(_CONSONANTS) * len(_VOWELS)) ** syllables
    n = (n * 2_654_435_761) % space  # a bijection: the multiplier is prime to the space
    out = []
    for _ in range(syllables):
        n, r = divmod(n, len(_CONSONANTS) * len(_VOWELS))
        out.append(_CONSONANTS[r // len(_VOWELS)] + _VOWELS[r % len(_VOWELS)])
    return "".join(out)


def _kept_words(kb: KnowledgeBase) -> frozenset[str]:
    """Words a synthetic entry keeps as they are: stop words and the words of credential names."""
    markers = {w for spec in kb.credentials.values() for m in spec.markers for w in m.lower().split()}
    return frozenset(kb.stopwords) | markers


def realistic(kb: KnowledgeBase, size: int, seed: int = 17) -> KnowledgeBase:
    base = list(kb.entries.values())
    keep = _kept_words(kb)
    avoid = keep | set(kb.synonyms.words)
    pool = [w for w in (_word(i, 2) + "r" for i in range(_TOPIC_POOL * 2)) if w not in avoid][:_TOPIC_POOL]
    zipf = [1 / (rank + 1) for rank in range(len(pool))]
    entries = {e.id: e for e in base}
    k = 0
    while len(entries) < size:
        rng = random.Random(seed * 1_000_003 + k)  # entry k is the same at every size
        template = base[k % len(base)]
        own = [w for w in (_word(k * _OWN_WORDS + j + 5_000) for j in range(_OWN_WORDS)) if w not in avoid]
        vocab = own + rng.choices(pool, weights=zipf, k=2)
        swap: dict[str, str] = {}  # each content word of the template, kept or replaced the same way throughout

        def rewrite(text: str, rng: random.Random = rng, own: list[str] = own, vocab: list[str] = vocab,
                    swap: dict[str, str] = swap) -> str:
            words = []
            for w in text.split():
                if w.lower() not in keep and w not in swap:
                    swap[w] = w if rng.random() < KEEP_REAL_WORD else rng.choice(vocab)
                words.append(swap.get(w, w))
            if not set(words) & set(own):
                words.append(rng.choice(own))  # one word of its own at least: no other entry's phrasing
            return " ".join(words)

        eid = f"syn{k}-{template.id}"[:40]
        entries[eid] = dataclasses.replace(
            template, id=eid, related=(), question=rewrite(template.question),
            phrasings=tuple(rewrite(p) for p in template.phrasings))
        k += 1
    return dataclasses.replace(kb, entries=MappingProxyType(entries))


def tagged(kb: KnowledgeBase, size: int) -> KnowledgeBase:
    base = list(kb.entries.values())
    entries = {e.id: e for e in base}
    copy = 0
    while len(entries) < size:
        copy += 1
        for e in base:
            if len(entries) >= size:
                break
            tag = f"variant{copy}x"  # a word of its own, so no copy's phrasing equals another entry's
            entries[f"{e.id}-{copy}"] = dataclasses.replace(
                e, id=f"{e.id}-{copy}", related=(), phrasings=tuple(f"{p} {tag}" for p in e.phrasings),
                question=f"{e.question} {tag}")
    return dataclasses.replace(kb, entries=MappingProxyType(entries))


def synthetic_questions(kb: KnowledgeBase, n: int = SYNTHETIC_QUESTIONS, seed: int = 17) -> list[str]:
    """Questions about the first synthetic entries (present at every grown size): a phrasing less a word."""
    rng = random.Random(seed)
    grown = list(realistic(kb, len(kb.entries) + n, seed).entries.values())[len(kb.entries):]
    questions = []
    for e in grown:
        words = rng.choice(e.phrasings).split()
        if len(words) > 2:
            words.pop(rng.randrange(len(words)))
        questions.append(" ".join(words))
    return questions


def _pass_times(fn: Callable[[str], object], questions: list[str]) -> list[float]:
    times = []
    for q in questions:
        t = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t) * 1e6)
    return times


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _timed(fn: Callable[[str], object], questions: list[str], passes: int) -> dict[str, float]:
    for q in questions:  # warm caches
        fn(q)
    runs = [_pass_times(fn, questions) for _ in range(passes)]
    p50s = [statistics.median(r) for r in runs]
    p99s = [_p(r, 0.99) for r in runs]
    # Each question's best pass: what the question costs when the shared machine did not preempt it.
    floor = [min(times) for times in zip(*runs, strict=True)]
    return {"p50_us": round(statistics.median(p50s), 1), "p99_us": round(statistics.median(p99s), 1),
            "p99_min_us": round(min(p99s), 1), "p99_max_us": round(max(p99s), 1),
            "p99_best_pass_us": round(_p(floor, 0.99), 1)}


def _inline(matcher: Matcher) -> Callable[[str], object]:
    from bot.telegram.handlers import inline_entries

    return lambda q: inline_entries(matcher, q)


def measure(kb: KnowledgeBase, kind: str, questions: list[str], passes: int = PASSES) -> dict:
    gc.collect()
    started = time.perf_counter()
    matcher = Matcher(kb)
    build_s = time.perf_counter() - started
    gc.freeze()
    decide = _timed(lambda q: matcher.decide(matcher.normalize(q)), questions, passes)
    inline = _timed(_inline(matcher), questions, passes)
    sample = questions[:: max(1, len(questions) // REFERENCE_SAMPLE)][:REFERENCE_SAMPLE]
    norms = [matcher.normalize(q) for q in sample]
    index = reference.build_index(matcher)
    old, new = [], []
    for _ in range(REFERENCE_ROUNDS):  # alternating, the best round of each: the machine is shared
        started = time.perf_counter()
        for n in norms:
            reference.rank(matcher, n, RANKED, index)
        old.append(time.perf_counter() - started)
        started = time.perf_counter()
        for n in norms:
            matcher.rank(n, RANKED)
        new.append(time.perf_counter() - started)
    old_s, new_s = min(old), min(new)
    gc.unfreeze()
    return {"kind": kind, "entries": len(kb.entries), "phrasings": matcher.phrasing_count,
            "build_s": round(build_s, 2), **decide,
            "inline_p50_us": inline["p50_us"], "inline_p99_us": inline["p99_us"],
            "inline_p99_min_us": inline["p99_min_us"], "inline_p99_best_pass_us": inline["p99_best_pass_us"],
            "rank_old_us": round(old_s / len(norms) * 1e6, 1), "rank_new_us": round(new_s / len(norms) * 1e6, 1),
            "rank_speedup": round(old_s / new_s, 1)}


def run(kb: KnowledgeBase, questions: list[str], sizes: tuple[int, ...] = SIZES) -> list[dict]:
    questions = questions + synthetic_questions(kb)
    rows = [measure(kb, "real", questions)]
    for kind, grow in (("realistic", realistic), ("worst case (tagged copies)", tagged)):
        for size in sizes:
            rows.append(measure(grow(kb, size), kind, questions))
    base = rows[0]["p50_us"]
    for row in rows:
        row["p50_ratio"] = round(row["p50_us"] / base, 2)
    return rows
