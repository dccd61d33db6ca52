"""One place per credential for the eligibility check: what a guided check asks, what bare numbers after
`/check` mean, which amount the user's "points" or "credits" stand for, and the calculator that decides.
Adding a credential to the check means adding one `CheckSpec` here (its labels come from credentials.yaml)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
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


def _when(v: Values) -> calc.When:
    when = v.get("when")
    if isinstance(when, calc.When):
        return when
    expired = v.get("expired")
    if expired is not None and expired.amount == 0:
        return calc.When(past=False)
    return calc.When(expired=expired)


def _period_start(v: Values, when: calc.When, cycle_months: int) -> int | None:
    """The year the current period began, when the user's dates tell it."""
    if v.get("cycle_start"):
        return int(v["cycle_start"])
    if v.get("certified"):
        return int(v["certified"].year)
    if when.expires_on is not None:
        return calc.add_months(when.expires_on, -cycle_months).year
    return None


def _cma(rules: calc.Rules, v: Values, today: date) -> calc.Verdict:
    when = _when(v)
    start = _period_start(v, when, rules["cma"]["cycle_months"])
    college, cpr, before = v.get("college"), v.get("cpr"), False
    if college and start and v.get("college_year") and v["college_year"] < start:
        college, before = None, True
    years = v.get("cpr_years") or ()
    if cpr and start and years:
        in_period = sum(1 for y in years if y >= start)
        before = before or in_period < len(years)
        cpr = float(in_period) if len(years) >= cpr else cpr - (len(years) - in_period)
    return calc.check_cma(
        rules, total=v.get("total"), aama=v.get("aama"), admin=v.get("admin"), clinical=v.get("clinical"),
        general=v.get("general"), when=when, certified=v.get("certified"), today=today, college=college,
        cpr=cpr, before_period=before)


def _nha(rules: calc.Rules, v: Values, today: date) -> calc.Verdict:
    when = _when(v)
    if _certified_year(v) and when.year is None and when.expires_on is None and when.expires_in is None:
        when = replace(when, certified_year=_certified_year(v))
    return calc.check_nha(rules, credits=v.get("credits"), hours=v.get("hours"), when=when, today=today)


def _rma(rules: calc.Rules, v: Values, today: date) -> calc.Verdict:
    return calc.check_rma(rules, points=v.get("points"), when=_when(v), today=today,
                          certified_year=_certified_year(v), employment=v.get("employment"))


def _ncma(rules: calc.Rules, v: Values, today: date) -> calc.Verdict:
    return calc.check_ncma(rules, certified_year=_certified_year(v))


def _certified_year(v: Values) -> int | None:
    if v.get("certified_year"):
        return int(v["certified_year"])
    return int(v["certified"].year) if v.get("certified") else None


CHECKS: Mapping[str, CheckSpec] = {
    "CMA": CheckSpec(("total", "aama", "categories", "expired"), frozenset({"total", "aama"}),
                     ("total", "aama", "admin", "clinical", "general"), "total", _cma),
    "NHA": CheckSpec(("credits", "expired"), frozenset({"credits"}), ("credits",), "credits", _nha),
    "RMA": CheckSpec(("points", "expired"), frozenset({"points"}), ("points",), "points", _rma),
    "NCMA": CheckSpec((), frozenset(), (), None, _ncma),
}
