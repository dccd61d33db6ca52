"""Choosing the matcher's gate by procedure: thresholds searched on a tuning set, reported on a held-out one.

    python -m bench.gate [--tune tests/data/fresh_tune.yaml] [--holdout tests/data/fresh_holdout.yaml]

Each candidate `Gate` replays the tuning questions through the whole dialogue and scores right answers and
right declines, with a wrong answer (or an answered out-of-scope question) costing twice a right one: a wrong
answer is worse than a question back. The search moves one threshold at a time over its values (the others
held), keeps a change only when it scores better, and sweeps again until a sweep changes nothing: the full
grid of seven thresholds would be thousands of replays. The gate it ends on is then measured, once, on the
held-out set: answer precision, the clarify rate and the decline rate on out-of-scope questions.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.contracts import ReplyKind
from bot.dialogue import Dialogue
from bot.evaluate import EvalCase, judge, load_cases
from faq.matcher import GATE, Gate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
WRONG_COSTS = 2

GRID = {
    "answer_at": (50.0, 55.0, 60.0, 65.0),
    "margin": (4.0, 7.0, 10.0),
    "clear_winner_at": (40.0, 45.0, 50.0),
    "clear_margin": (12.0, 18.0),
    "lead_at": (40.0, 45.0, 50.0, 55.0),
    "lead_margin": (3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 14.0),
    "decline_below": (35.0, 38.0, 42.0, 46.0),
}
MAX_SWEEPS = 4


@dataclass(frozen=True)
class Score:
    right: int  # answerable questions answered right
    wrong: int  # answerable questions answered wrongly
    clarified: int
    declined: int  # answerable questions declined
    answerable: int
    oos_declined: int  # out-of-scope questions declined
    oos: int

    @property
    def objective(self) -> int:
        return self.right + self.oos_declined - WRONG_COSTS * (self.wrong + self.oos - self.oos_declined)

    def report(self) -> dict[str, object]:
        given = self.right + self.wrong
        return {
            "answer_precision": round(self.right / given, 3) if given else None,
            "answered_right": f"{self.right}/{self.answerable}",
            "clarify_rate": round(self.clarified / self.answerable, 3) if self.answerable else None,
            "declined_answerable": self.declined,
            "oos_decline_rate": round(self.oos_declined / self.oos, 3) if self.oos else None,
        }


def score(dialogue: Dialogue, cases: list[EvalCase]) -> Score:
    right = wrong = clarified = declined = oos_declined = oos = 0
    for case in cases:
        reply = dialogue.reply(case.q)
        if case.decline:
            oos += 1
            oos_declined += reply.kind == ReplyKind.DECLINE
        elif reply.kind == ReplyKind.CLARIFY:
            clarified += 1
        elif reply.kind == ReplyKind.DECLINE:
            declined += 1
        elif judge(case, reply)[0]:
            right += 1
        else:
            wrong += 1
    return Score(right, wrong, clarified, declined, len(cases) - oos, oos_declined, oos)


def search(objective: Callable[[Gate], int], start: Gate = GATE) -> Gate:
    """The gate a threshold-at-a-time search ends on, from `start`; a tie keeps the gate it has."""
    best, best_score = start, objective(start)
    for _ in range(MAX_SWEEPS):
        moved = False
        for name, values in GRID.items():
            for value in values:
                candidate = dataclasses.replace(best, **{name: value})
                if candidate != best and (found := objective(candidate)) > best_score:
                    best, best_score, moved = candidate, found, True
        if not moved:
            break
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gate", description=__doc__)
    parser.add_argument("--tune", type=Path, default=DATA / "fresh_tune.yaml")
    parser.add_argument("--holdout", type=Path, default=DATA / "fresh_holdout.yaml")
    args = parser.parse_args(argv)
    dialogue = Dialogue()
    tune, holdout = load_cases(args.tune), load_cases(args.holdout)
    seen: dict[Gate, int] = {}

    def objective(gate: Gate) -> int:
        if gate not in seen:
            dialogue.matcher.gate = gate
            seen[gate] = score(dialogue, tune).objective
        return seen[gate]

    best = search(objective)
    report = {}
    for name, gate in (("in use", GATE), ("best on tune", best)):
        dialogue.matcher.gate = gate
        report[name] = {"gate": dataclasses.asdict(gate), "tune": score(dialogue, tune).report(),
                        "holdout": score(dialogue, holdout).report()}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
