"""One place per credential for the eligibility check: what a guided check asks, what bare numbers after
`/check` mean, which amount the user's "points" or "credits" stand for, and the calculator that decides.
Adding a credential to the check means adding one `CheckSpec` here (its labels come from credentials.yaml)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from faq import calculator as calc

Values = Mapping[str, Any]


@dataclass(frozen=True)
class CheckSpec:
    steps: tuple[str, ...]  # what a guided check asks, in order
    essential: frozenset[str]  # the steps no verdict can do without
    positional: tuple[str, ...]  # what bare numbers after `/check <credential>` mean, in order
    amount: str | None  # the one amount that "points", "credits" or "total" stand for with this credential
    run: Callable[[calc.Rules, Values, date], calc.Verdict]


def _cma(rules: calc.Rules, v: Values, today: date) -> calc.Verdict:
    expired = v.get("expired")
    return calc.check_cma(
        rules, total=v.get("total"), aama=v.get("aama"), admin=v.get("admin"), clinical=v.get("clinical"),
        general=v.get("general"), expired=expired if expired and expired.amount > 0 else None,
        certified=v.get("certified"), today=today)


def _nha(rules: calc.Rules, v: Values, today: date) -> calc.Verdict:
    return calc.check_nha(rules, credits=v.get("credits"), hours=v.get("hours"))


def _rma(rules: calc.Rules, v: Values, today: date) -> calc.Verdict:
    return calc.check_rma(rules, points=v.get("points"))


def _ncma(rules: calc.Rules, v: Values, today: date) -> calc.Verdict:
    return calc.check_ncma()


CHECKS: Mapping[str, CheckSpec] = {
    "CMA": CheckSpec(("total", "aama", "categories", "expired"), frozenset({"total", "aama"}),
                     ("total", "aama", "admin", "clinical", "general"), "total", _cma),
    "NHA": CheckSpec(("credits",), frozenset({"credits"}), ("credits",), "credits", _nha),
    "RMA": CheckSpec(("points",), frozenset({"points"}), ("points",), "points", _rma),
    "NCMA": CheckSpec((), frozenset(), (), None, _ncma),
}
