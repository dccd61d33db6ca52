"""The eligibility calculator: pure functions from a user's numbers and the rules data to a verdict.

Every figure comes from the rules (faq/data/rules.yaml) passed in; each verdict lists the fact ids it applied.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

# Sanity bounds on what a person can have earned: not rules, just where a number stops being believable.
MAX_POINTS = 500
MAX_HOURS = 1000
MAX_EXPIRED_MONTHS = 600

Rules = Mapping[str, Mapping[str, Any]]


class Status(StrEnum):
    READY = "ready"
    NOT_YET = "not_yet"
    EXAM_REQUIRED = "exam_required"
    NEED_INFO = "need_info"
    CANNOT_CHECK = "cannot_check"


class InputError(ValueError):
    """A number the calculator cannot use: a code, and the numbers a template needs to say why."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Expiry:
    """How long ago a credential expired, in the unit the user gave."""

    amount: float
    unit: str  # days | months

    @classmethod
    def of(cls, amount: float, unit: str) -> Expiry:
        unit = unit.rstrip("s")
        if amount < 0:
            raise InputError("negative", field="expired")
        if unit == "week":
            return cls(amount * 7, "days")
        if unit == "year":
            amount, unit = amount * 12, "month"
        if unit not in ("day", "month"):
            raise InputError("unknown_unit", unit=unit)
        months = amount if unit == "month" else amount / 30
        if months > MAX_EXPIRED_MONTHS:
            raise InputError("expired_too_long", amount=amount, unit=unit)
        return cls(amount, unit + "s")


@dataclass(frozen=True)
class CmaDates:
    certified: date  # first day of the month of certification or last recertification
    current_until: date
    ce_open_until: date
    exam_pass_by: date
    exam_apply_by: date
    days_past: int  # 0 while current


@dataclass(frozen=True)
class Verdict:
    credential: str
    status: Status
    missing: dict[str, float] = field(default_factory=dict)
    have: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    ask: str | None = None  # with Status.NEED_INFO: the number to ask for
    dates: CmaDates | None = None

    @property
    def ready(self) -> bool:
        return self.status == Status.READY


def check_amount(name: str, value: float | None) -> float | None:
    """`value` as a believable amount of `name` (total, aama, admin, clinical, general, credits, hours, points)."""
    if value is None:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError("not_a_number", field=name)
    if value < 0:
        raise InputError("negative", field=name)
    if value > (MAX_HOURS if name == "hours" else MAX_POINTS):
        raise InputError("too_many", field=name, value=value)
    return value


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def cma_dates(certified: date, today: date, rules: Rules) -> CmaDates:
    """Dates for a CMA (AAMA) certified or last recertified in `certified`'s month (CMA-CYCLE, CMA-CE-EXPIRED,
    CMA-EXAM-TIMING)."""
    cma = rules["cma"]
    start = certified.replace(day=1)
    if start > today:
        raise InputError("future_date")
    current_until = end_of_month(add_months(start, cma["cycle_months"]))
    # Three months or 90 days, whichever ends first: a wrong date here costs a lapsed credential.
    ce_open_until = min(end_of_month(add_months(current_until, cma["expired_ce_limit_months"])),
                        current_until + timedelta(days=cma["expired_ce_limit_days"]))
    return CmaDates(
        certified=start,
        current_until=current_until,
        ce_open_until=ce_open_until,
        exam_pass_by=end_of_month(add_months(current_until, -cma["exam_pass_before_months"])),
        # CMA-EXAM-TIMING says the application must arrive 30 days "before it"; counting back from the
        # pass-by date (not the expiry) is the reading that can never make the user late.
        exam_apply_by=end_of_month(add_months(current_until, -cma["exam_pass_before_months"]))
        - timedelta(days=cma["exam_apply_before_days"]),
        days_past=max(0, (today - current_until).days),
    )


def _expired_too_long(expiry: Expiry | None, dates: CmaDates | None, today: date, cma: Mapping[str, Any]) -> bool:
    if dates is not None and dates.days_past:
        return today > dates.ce_open_until
    if expiry is None:
        return False
    if expiry.unit == "months":
        return expiry.amount > cma["expired_ce_limit_months"]
    return expiry.amount > cma["expired_ce_limit_days"]


def check_cma(
    rules: Rules,
    *,
    total: float | None = None,
    aama: float | None = None,
    admin: float | None = None,
    clinical: float | None = None,
    general: float | None = None,
    expired: Expiry | None = None,
    certified: date | None = None,
    today: date | None = None,
) -> Verdict:
    cma = rules["cma"]
    today = today or date.today()
    total = check_amount("total", total)
    aama = check_amount("aama", aama)
    cats = {k: check_amount(k, v) for k, v in (("admin", admin), ("clinical", clinical), ("general", general))}
    if total is not None and aama is not None and aama > total:
        raise InputError("aama_over_total", aama=aama, total=total)
    given = {k: v for k, v in cats.items() if v is not None}
    if total is not None and sum(given.values()) > total:
        raise InputError("categories_over_total")

    dates = cma_dates(certified, today, rules) if certified else None
    have: dict[str, Any] = {"total": total, "aama": aama, **cats, "expired": expired}
    facts = (["CMA-CYCLE"] if dates else []) + ["CMA-CE-EXPIRED"]
    if _expired_too_long(expired, dates, today, cma):
        return Verdict("CMA", Status.EXAM_REQUIRED, have=have, facts=(*facts, "CMA-EXAM-FEE", "CMA-CURRENT"),
                       dates=dates)

    if total is None and aama is None:
        if dates is not None or expired is not None:
            return Verdict("CMA", Status.NEED_INFO, have=have, facts=(*facts, "CMA-CE-TOTAL", "CMA-CE-AAMA"),
                           dates=dates, ask=None)
        return Verdict("CMA", Status.NEED_INFO, have=have, ask="total", facts=tuple(facts))
    if total is None:
        return Verdict("CMA", Status.NEED_INFO, have=have, ask="total", facts=tuple(facts), dates=dates)
    if aama is None:
        return Verdict("CMA", Status.NEED_INFO, have=have, ask="aama", facts=tuple(facts), dates=dates)

    non_aama = total - aama
    counted_non_aama = min(non_aama, cma["ce_non_aama_max"])
    counted = aama + counted_non_aama
    missing: dict[str, float] = {}
    if counted < cma["ce_total"]:
        missing["total"] = cma["ce_total"] - counted
    if aama < cma["ce_aama_min"]:
        missing["aama"] = cma["ce_aama_min"] - aama
    for name, value in given.items():
        if value < cma["category_min"]:
            missing[name] = cma["category_min"] - value
    notes = []
    if non_aama > cma["ce_non_aama_max"]:
        notes.append("non_aama_capped")
    if len(given) < 3:
        notes.append("categories_not_checked" if not given else "some_categories_not_checked")
    have.update(counted=counted, non_aama=non_aama, counted_non_aama=counted_non_aama,
                uncounted_non_aama=non_aama - counted_non_aama)
    facts = ["CMA-CE-TOTAL", "CMA-CE-AAMA", "CMA-CE-CATEGORIES", *facts]
    return Verdict("CMA", Status.NOT_YET if missing else Status.READY, missing=missing, have=have, notes=tuple(notes),
                   facts=tuple(facts), dates=dates)


def check_nha(rules: Rules, *, credits: float | None = None, hours: float | None = None) -> Verdict:
    nha = rules["nha"]
    credits = check_amount("credits", credits)
    hours = check_amount("hours", hours)
    if credits is None and hours is None:
        return Verdict("NHA", Status.NEED_INFO, ask="credits", facts=("NHA-CE",))
    from_hours = (hours or 0) / nha["hours_per_credit"]
    total = (credits or 0) + from_hours
    missing = {"credits": nha["ce_credits"] - total} if total < nha["ce_credits"] else {}
    have = {"credits": credits, "hours": hours, "from_hours": from_hours, "counted": total,
            "missing_hours": missing.get("credits", 0) * nha["hours_per_credit"]}
    return Verdict("NHA", Status.NOT_YET if missing else Status.READY, missing=missing, have=have,
                   notes=("fee_unverified",), facts=("NHA-CE", "NHA-CYCLE", "NHA-HOW", "NHA-FEE"))


def check_rma(rules: Rules, *, points: float | None = None) -> Verdict:
    rma = rules["rma"]
    points = check_amount("points", points)
    if points is None:
        return Verdict("RMA", Status.NEED_INFO, ask="points", facts=("AMT-CCP",))
    missing = {"points": rma["ccp_points"] - points} if points < rma["ccp_points"] else {}
    return Verdict("RMA", Status.NOT_YET if missing else Status.READY, missing=missing, have={"points": points},
                   notes=("annual_fee",), facts=("AMT-CCP", "AMT-CCP-WINDOW", "AMT-FEE"))


def check_ncma() -> Verdict:
    return Verdict("NCMA", Status.CANNOT_CHECK, facts=("NCCT-LAPSE", "NCCT-HOURS"))
