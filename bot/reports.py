"""Curator reports from the store: unanswered questions grouped, suggested phrasings, usage statistics."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.store import Miss, Store
from faq.matcher import Answered, Matcher
from faq.normalize import fold

SAME_GROUP_AT = 72  # token_sort_ratio between two misses asked the same way
NEAR_ENTRY_AT = 40.0  # a miss whose best guess scored this much is evidence for that entry
EXAMPLES = 3


@dataclass
class MissGroup:
    leader: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    guesses: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {"count": self.count, "examples": self.examples,
                "best_guess": self.guesses.most_common(1)[0][0] if self.guesses else None}


def group_misses(misses: list[Miss]) -> list[MissGroup]:
    """Misses asked alike grouped together (rapidfuzz token_sort_ratio), largest groups first."""
    groups: list[MissGroup] = []
    leaders: list[str] = []
    for miss in misses:
        text = fold(miss.text)
        if not text:
            continue
        found = process.extractOne(text, leaders, scorer=fuzz.token_sort_ratio, score_cutoff=SAME_GROUP_AT)
        group = groups[found[2]] if found else None
        if group is None:
            group = MissGroup(text)
            groups.append(group)
            leaders.append(text)
        group.count += 1
        if miss.text not in group.examples and len(group.examples) < EXAMPLES:
            group.examples.append(miss.text)
        if miss.guesses:
            group.guesses[miss.guesses[0][0]] += 1
    return sorted(groups, key=lambda g: (-g.count, g.leader))


@dataclass
class Suggestion:
    entry: str
    file: str
    phrasings: dict[str, Counter] = field(default_factory=dict)  # phrasing -> {"picks": n, "misses": n}

    def as_dict(self) -> dict:
        return {"entry": self.entry, "file": self.file,
                "phrasings": [{"text": t, **c} for t, c in self.phrasings.items()]}


def suggest(store: Store, matcher: Matcher, since_days: float | None = None) -> list[Suggestion]:
    """New phrasings per entry, from what users picked after a clarify and from misses close to an entry.
    Only phrasings the matcher does not already answer with that entry are suggested."""
    entries = {e.id: e for e in matcher.entries}
    found: dict[str, Suggestion] = {}

    def add(entry_id: str, question: str, evidence: str) -> None:
        entry = entries.get(entry_id)
        text = fold(question)
        if entry is None or entry.decline or not text:
            return
        decision = matcher.decide(matcher.normalize(question))
        if isinstance(decision, Answered) and decision.entry.id == entry_id:
            return
        suggestion = found.setdefault(entry_id, Suggestion(entry_id, entry.file))
        suggestion.phrasings.setdefault(text, Counter({"picks": 0, "misses": 0}))[evidence] += 1

    for question, entry_id in store.picks(since_days):
        add(entry_id, question, "picks")
    for miss in store.misses(since_days):
        if miss.guesses and miss.guesses[0][1] >= NEAR_ENTRY_AT:
            add(miss.guesses[0][0], miss.text, "misses")
    for suggestion in found.values():
        suggestion.phrasings = dict(sorted(suggestion.phrasings.items(),
                                           key=lambda kv: (-kv[1]["picks"], -kv[1]["misses"], kv[0])))
    return sorted(found.values(), key=lambda s: -sum(sum(c.values()) for c in s.phrasings.values()))


def suggestions_yaml(suggestions: list[Suggestion]) -> str:
    lines = []
    for s in suggestions:
        lines.append(f"# {s.entry} ({s.file}): add under its phrasings")
        for text, counts in s.phrasings.items():
            lines.append(f"    - {text}  # picked {counts['picks']}, near misses {counts['misses']}")
    return "\n".join(lines)


def stats(store: Store, since_days: float | None = None) -> dict:
    feedback: dict[str, dict[str, int]] = {}
    for entry, up, down in store.feedback_by_entry(since_days):
        feedback[entry] = {"up": int(up or 0), "down": int(down or 0)}
    return {"kinds": store.reply_kinds(since_days), "top_entries": dict(store.top_entries(since_days)),
            "feedback": dict(feedback)}


def misses_table(groups: list[MissGroup], limit: int | None = None) -> str:
    rows = [f"{'count':>5}  {'best guess':<24}  examples"]
    for g in groups[:limit]:
        guess = g.as_dict()["best_guess"] or "-"
        rows.append(f"{g.count:>5}  {guess:<24}  " + " | ".join(g.examples))
    return "\n".join(rows) if groups else "No unanswered questions recorded."


def stats_table(data: dict, limit: int | None = None) -> str:
    out = ["Replies by kind:"]
    out += [f"  {kind:<10} {n:>6}" for kind, n in data["kinds"].items()] or ["  (none yet)"]
    out.append("Top answered entries:")
    out += [f"  {entry:<28} {n:>6}" for entry, n in list(data["top_entries"].items())[:limit]] or ["  (none yet)"]
    out.append("Feedback (👍 / 👎):")
    out += [f"  {entry:<28} {f['up']:>3} / {f['down']:<3}" for entry, f in data["feedback"].items()] \
        or ["  (none yet)"]
    return "\n".join(out)
