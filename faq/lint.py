"""Knowledge-base checks beyond load-time validation: phrasings the matcher cannot tell apart."""

from __future__ import annotations

from dataclasses import dataclass

from faq.matcher import MARGIN, Matcher


@dataclass(frozen=True)
class Confusable:
    entry: str
    phrasing: str
    other: str
    own_score: float
    other_score: float


def confusable_pairs(matcher: Matcher) -> list[Confusable]:
    """Phrasings for which another entry scores within the answer margin of their own entry."""
    found: dict[tuple[str, str], Confusable] = {}
    for entry in matcher.entries:
        for text in entry.phrasings:
            ranking = matcher.rank(matcher.normalize(text))
            own = next((s.score for s in ranking if s.entry.id == entry.id), 0.0)
            for scored in ranking:
                if scored.entry.id == entry.id or scored.score <= own - MARGIN:
                    continue
                key = (min(entry.id, scored.entry.id), max(entry.id, scored.entry.id))
                if key not in found or scored.score > found[key].other_score:
                    found[key] = Confusable(entry.id, text, scored.entry.id, round(own, 1), round(scored.score, 1))
    return sorted(found.values(), key=lambda c: c.own_score - c.other_score)
