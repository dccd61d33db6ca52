"""How matcher latency grows with the knowledge base: the real entries copied, each copy made distinct."""

from __future__ import annotations

import dataclasses
import statistics
import time
from types import MappingProxyType

from faq.kb import KnowledgeBase
from faq.matcher import Matcher

SIZES = (100, 1_000, 10_000)


def grown(kb: KnowledgeBase, size: int) -> KnowledgeBase:
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


def latency_us(matcher: Matcher, questions: list[str], repeats: int = 3) -> tuple[float, float]:
    """Normalising and deciding, as the dialogue does for each question."""
    for q in questions:
        matcher.decide(matcher.normalize(q))
    times = []
    for _ in range(repeats):
        for q in questions:
            t = time.perf_counter()
            matcher.decide(matcher.normalize(q))
            times.append((time.perf_counter() - t) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def run(kb: KnowledgeBase, questions: list[str]) -> list[dict]:
    rows = []
    base_p50 = None
    for size in (len(kb.entries), *SIZES):
        started = time.perf_counter()
        matcher = Matcher(grown(kb, size))
        build_s = time.perf_counter() - started
        p50, p99 = latency_us(matcher, questions, repeats=3 if size <= 1000 else 1)
        base_p50 = base_p50 or p50
        rows.append({"entries": size, "phrasings": matcher.phrasing_count, "build_s": round(build_s, 2),
                     "p50_us": round(p50, 1), "p99_us": round(p99, 1), "p50_ratio": round(p50 / base_p50, 2)})
    return rows
