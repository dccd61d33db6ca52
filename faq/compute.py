"""Answers that compute: when a question gives the number ("how many hours is 10 NHA credits", "what is a
3-credit college class worth", "how many points do 2 CPR cards give"), the answer states the result, worked
out from the same rules the calculator uses. Pure: the prepared text (numbers as digits) and the rules in, a
`Computed` (what was converted, the result, and any cap that applies) out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from faq.extract import NUM

Rules = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Computed:
    kind: str  # nha_hours | nha_credits | college_points | cpr_points
    amount: float  # what the question gave
    result: float  # what it converts to
    counted: float | None = None  # what of the result counts, where a cap applies
    cap: float | None = None


_HOURS = re.compile(rf"{NUM}\s*(?:contact\s+)?(?:hours?|hrs?)\b")
_CREDITS = re.compile(rf"{NUM}\s*(?:nha\s+)?(?:ce\s+)?(?:credits?|ceus?)\b")
_COLLEGE = re.compile(rf"{NUM}\s*[- ]?(?:college\s+|semester\s+|quarter\s+)?(?:credit|cr)s?\b(?:\s*(?:hour|hr)s?)?")
_CARDS = re.compile(rf"{NUM}\s+(?:(?:\d+|two)[- ]?year\s+)?(?:cpr|bls)?\s*cards?\b")


def _nha(prepared: str, rules: Rules) -> Computed | None:
    per_credit = float(rules["nha"]["hours_per_credit"])
    if hours := _HOURS.search(prepared):
        amount = float(hours.group(1))
        return Computed("nha_hours", amount, amount / per_credit)
    if credits := _CREDITS.search(prepared):
        amount = float(credits.group(1))
        return Computed("nha_credits", amount, amount * per_credit)
    return None


def _capped(kind: str, found: re.Match[str] | None, per_one: Any, cap: Any) -> Computed | None:
    """`found`'s amount times `per_one` points, of which at most `cap` count."""
    if not found:
        return None
    amount = float(found.group(1))
    points = amount * float(per_one)
    return Computed(kind, amount, points, min(points, float(cap)), float(cap))


def _college(prepared: str, rules: Rules) -> Computed | None:
    cma = rules["cma"]
    return _capped("college_points", _COLLEGE.search(prepared), cma["college_credit_points"], cma["ce_non_aama_max"])


def _cpr(prepared: str, rules: Rules) -> Computed | None:
    cma = rules["cma"]
    return _capped("cpr_points", _CARDS.search(prepared), cma["cpr_card_points"], cma["cpr_max_points"])


# Which entries' questions can be computed, and how.
COMPUTES: Mapping[str, Callable[[str, Rules], Computed | None]] = {
    "nha-ce": _nha,
    "cma-college-credit": _college,
    "cma-cpr": _cpr,
}


def compute(entry_id: str, prepared: str, rules: Rules) -> Computed | None:
    """The result the question asks for, when `entry_id` answers a conversion and the question gives a
    believable amount; None otherwise."""
    convert = COMPUTES.get(entry_id)
    found = convert(prepared, rules) if convert else None
    if found is None or not 0 < found.amount <= 1000:
        return None
    return found
