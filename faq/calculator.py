"""The eligibility calculator: pure functions from a user's numbers and the rules data to a verdict.

Every figure comes from the rules (faq/data/rules.yaml) passed in; each verdict lists the fact ids it applied.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

# Sanity bounds on what a person can have earned: not rules, just where a number stops being believable.
MAX_POINTS = 500
MAX_HOURS = 1000
MAX_EXPIRED_MONTHS = 600

Rules = Mapping[str, Mapping[str, Any]]


class Status(StrEnum):
    READY = "ready"  # every condition is known and met
    TOTALS_MET = "totals_met"  # the amounts are met; something else (categories, expiry, cycle) is still unknown
    NOT_YET = "not_yet"
    EXAM_REQUIRED = "exam_required"
    LAPSED = "lapsed"  # an NHA or AMT credential past its date: reinstatement / reactivation, never CE alone
    NEED_INFO = "need_info"
    CANNOT_CHECK = "cannot_check"


class Standing(StrEnum):
    """Where the credential stands in time, as far as the user's words tell."""

    CURRENT = "current"
    IN_WINDOW = "in_window"  # a CMA expired no more than 90 days ago: CE still open (CMA-CE-EXPIRED)
    PAST_WINDOW = "past_window"
    LAPSED = "lapsed"
    EXPIRED_UNKNOWN = "expired_unknown"  # said to have expired, not when
    UNKNOWN = "unknown"


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
    over: bool = False  # "over / more than N ago"

    @classmethod
    def of(cls, amount: float, unit: str, over: bool = False) -> Expiry:
        unit = unit.rstrip("s")
        if amount < 0:
            raise InputError("negative", field="expired")
        if unit == "week":
            return cls(amount * 7, "days", over)
        if unit == "year":
            amount, unit = amount * 12, "month"
        if unit not in ("day", "month"):
            raise InputError("unknown_unit", unit=unit)
        months = amount if unit == "month" else amount / 30
        if months > MAX_EXPIRED_MONTHS:
            raise InputError("expired_too_long", amount=amount, unit=unit)
        return cls(amount, unit + "s", over)

    @property
    def months(self) -> float:
        return self.amount if self.unit == "months" else self.amount / 30


@dataclass(frozen=True)
class When:
    """What the user said about the credential's expiry (any of it may be missing)."""

    expired: Expiry | None = None  # how long ago it expired
    expires_in: Expiry | None = None  # how long until it expires
    expires_on: date | None = None  # the expiry date
    exact: bool = False  # expires_on names the day, not just the month
    year: int | None = None  # only the year of expiry
    past: bool | None = None  # the tense: True it expired, False not yet, None not said
    certified_ago: Expiry | None = None  # "certified / passed the exam N months ago"
    certified_year: int | None = None  # only the year of (re)certification
    certified_on: date | None = None  # the month of (re)certification, for the bodies whose cycle it starts
    lapsed: bool = False  # decertified, or the cycle ended without the points
    unsure: bool = False  # conflicting statements, or "is it too late?" with nothing to go by


@dataclass(frozen=True)
class CmaDates:
    certified: date  # first day of the month of certification or last recertification
    current_until: date
    ce_open_until: date
    exam_pass_by: date
    exam_apply_by: date
    days_past: int  # 0 while current
    exam_pass_by_gone: bool = False  # the last day to pass the exam with no lapse is already past


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
    standing: Standing = Standing.UNKNOWN
    unconfirmed: tuple[str, ...] = ()  # with TOTALS_MET: what is still to confirm (categories, expiry, cycle)
    edge: bool = False  # "3 months ago" with no exact date: the 90th day decides

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
    start = certified.replace(day=1)
    if start > today:
        raise InputError("future_date")
    return cma_dates_until(end_of_month(add_months(start, rules["cma"]["cycle_months"])), today, rules)


def cma_dates_until(current_until: date, today: date, rules: Rules) -> CmaDates:
    """Dates for a CMA (AAMA) current until `current_until` (the expiry date the user gave, or CMA-CYCLE's)."""
    cma = rules["cma"]
    if current_until > end_of_month(add_months(today, cma["cycle_months"])):
        raise InputError("expiry_too_far", months=cma["cycle_months"])
    # Three months or 90 days, whichever ends first: a wrong date here costs a lapsed credential.
    ce_open_until = min(end_of_month(add_months(current_until, cma["expired_ce_limit_months"])),
                        current_until + timedelta(days=cma["expired_ce_limit_days"]))
    return CmaDates(
        certified=add_months(current_until, -cma["cycle_months"]).replace(day=1),
        current_until=current_until,
        ce_open_until=ce_open_until,
        # CMA-EXAM-TIMING: pass at least two months before the expiration date, and the application received
        # at least 30 days before that same expiration date.
        exam_pass_by=add_months(current_until, -cma["exam_pass_before_months"]),
        exam_apply_by=current_until - timedelta(days=cma["exam_apply_before_days"]),
        days_past=max(0, (today - current_until).days),
        exam_pass_by_gone=today > add_months(current_until, -cma["exam_pass_before_months"]),
    )


def cma_standing(when: When, dates: CmaDates | None, today: date, rules: Rules) -> tuple[Standing, bool]:
    """Where a CMA (AAMA) stands, and whether the 90-day edge leaves it to the exact day (CMA-CE-EXPIRED)."""
    cma = rules["cma"]
    limit_months, limit_days = cma["expired_ce_limit_months"], cma["expired_ce_limit_days"]
    if dates is not None:
        if not dates.days_past:
            return Standing.CURRENT, False
        return (Standing.PAST_WINDOW if today > dates.ce_open_until else Standing.IN_WINDOW), False
    if when.expires_in is not None:
        if when.expires_in.months > cma["cycle_months"]:
            raise InputError("expiry_too_far", months=cma["cycle_months"])
        return Standing.CURRENT, False
    if when.expired is not None:
        e = when.expired
        if e.amount == 0:
            return Standing.CURRENT, False
        limit = limit_months if e.unit == "months" else limit_days
        if e.amount > limit or (e.over and e.amount >= limit):
            return Standing.PAST_WINDOW, False
        return Standing.IN_WINDOW, (e.unit == "months" and e.amount == limit_months) or e.over
    if when.year is not None:
        if when.year > today.year or (when.year == today.year and when.past is False):
            if when.year > today.year + cma["cycle_years"]:
                raise InputError("expiry_too_far", months=cma["cycle_months"])
            return Standing.CURRENT, False
        if (today - date(when.year, 12, 31)).days > limit_days:
            return Standing.PAST_WINDOW, False
        return Standing.EXPIRED_UNKNOWN, False
    if when.certified_ago is not None:
        if when.certified_ago.months < cma["cycle_months"]:
            return Standing.CURRENT, False
        return Standing.EXPIRED_UNKNOWN, False
    if when.past is True:
        return Standing.EXPIRED_UNKNOWN, False
    if when.past is False:
        return Standing.CURRENT, False
    return Standing.UNKNOWN, False


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
    when: When | None = None,
    college: float | None = None,
    cpr: float | None = None,
    before_period: bool = False,
) -> Verdict:
    """The CMA (AAMA) verdict. `college` credits count as non-AAMA points and `cpr` cards as clinical AAMA
    points (CMA-CE-NONAAMA, CMA-CPR); `before_period` says they were earned before the current period."""
    cma = rules["cma"]
    today = today or date.today()
    when = when or When(expired=expired)
    if expired is not None and when.expired is None:
        when = replace(when, expired=expired)
    total = check_amount("total", total)
    aama = check_amount("aama", aama)
    college = check_amount("college", college)
    cpr = check_amount("cpr", cpr)
    cats = {k: check_amount(k, v) for k, v in (("admin", admin), ("clinical", clinical), ("general", general))}
    if total is not None and aama is not None and aama > total:
        raise InputError("aama_over_total", aama=aama, total=total)
    given = {k: v for k, v in cats.items() if v is not None}
    if total is not None and sum(given.values()) > total:
        raise InputError("categories_over_total")

    if certified is not None:
        dates: CmaDates | None = cma_dates(certified, today, rules)
    elif when.expires_on is not None:
        dates = cma_dates_until(when.expires_on, today, rules)
    else:
        dates = None
    standing, edge = cma_standing(when, dates, today, rules)
    if when.unsure:
        standing, edge = Standing.UNKNOWN, False
    notes: list[str] = []
    # College credits and CPR cards, converted by the rules (only those earned within the current period).
    college_points = college * cma["college_credit_points"] if college else 0.0
    cards = min(cpr, cma["cpr_max_cards"]) if cpr else 0.0
    cpr_points = cards * cma["cpr_card_points"]
    if college_points:
        notes.append("college")
    if cpr:
        notes.append("cpr" if cards == cpr else "cpr_capped")
    if before_period:
        notes.append("before_period")
    if college_points or cpr_points:
        # A stated total may already include the college points; the cards are counted on top.
        total = max(total or 0.0, (aama or 0.0) + college_points) + cpr_points
        aama = (aama or 0.0) + cpr_points
        if cpr_points and cats["clinical"] is not None:
            cats["clinical"] = given["clinical"] = cats["clinical"] + cpr_points
    have: dict[str, Any] = {"total": total, "aama": aama, **cats, "expired": when.expired, "when": when,
                            "certified_year": when.certified_year,
                            "cycle_ended": bool(when.certified_year and
                                                when.certified_year + cma["cycle_years"] < today.year),
                            "cycle_ends_this_year": bool(when.certified_year and
                                                         when.certified_year + cma["cycle_years"] == today.year),
                            "college_points": college_points, "cpr_points": cpr_points}
    facts = (["CMA-CYCLE"] if dates else []) + ["CMA-CE-EXPIRED"]
    if college_points or "before_period" in notes:
        facts.append("CMA-CE-NONAAMA")
    if cpr_points:
        facts.append("CMA-CPR")
    if "before_period" in notes:
        facts.append("CMA-CE-WINDOW")
    common: dict[str, Any] = {"have": have, "dates": None if when.unsure else dates, "standing": standing,
                              "edge": edge}
    if when.unsure:
        return Verdict("CMA", Status.NEED_INFO, ask="expiry", notes=tuple(notes),
                       facts=(*facts, "CMA-CYCLE", "CMA-CURRENT"), **common)
    if standing == Standing.PAST_WINDOW:
        return Verdict("CMA", Status.EXAM_REQUIRED, notes=tuple(notes),
                       facts=(*facts, "CMA-EXAM-FEE", "CMA-CURRENT"), **common)
    if standing == Standing.EXPIRED_UNKNOWN or when.unsure:
        return Verdict("CMA", Status.NEED_INFO, ask="expiry", notes=tuple(notes),
                       facts=(*facts, "CMA-CYCLE", "CMA-CURRENT"), **common)
    ask_month = when.certified_year is not None and dates is None and standing == Standing.UNKNOWN

    if total is None and aama is None:
        return Verdict("CMA", Status.NEED_INFO, ask="month" if ask_month else "have", notes=tuple(notes),
                       facts=(*facts, "CMA-CE-TOTAL", "CMA-CE-AAMA"), **common)
    if total is None:
        return Verdict("CMA", Status.NEED_INFO, ask="total", facts=tuple(facts), **common)

    missing: dict[str, float] = {}
    if aama is None:
        if total >= cma["ce_total"]:
            return Verdict("CMA", Status.NEED_INFO, ask="aama", facts=tuple(facts), **common)
        # Whatever the split, at least this many more are needed.
        missing["total"] = cma["ce_total"] - total
        notes.append("aama_unknown")
        aama_known = False
        counted = non_aama = counted_non_aama = total
    else:
        aama_known = True
        non_aama = total - aama
        counted_non_aama = min(non_aama, cma["ce_non_aama_max"])
        counted = aama + counted_non_aama
        if counted < cma["ce_total"]:
            missing["total"] = cma["ce_total"] - counted
        if aama < cma["ce_aama_min"]:
            missing["aama"] = cma["ce_aama_min"] - aama
        if non_aama > cma["ce_non_aama_max"]:
            notes.append("non_aama_capped")
    for name, value in given.items():
        if value < cma["category_min"]:
            missing[name] = cma["category_min"] - value
    if len(given) < 3:
        notes.append("categories_not_checked" if not given else "some_categories_not_checked")
    have.update(counted=counted, non_aama=non_aama, counted_non_aama=counted_non_aama,
                uncounted_non_aama=non_aama - counted_non_aama if aama_known else 0)
    facts = ["CMA-CE-TOTAL", "CMA-CE-AAMA", "CMA-CE-CATEGORIES", *facts]
    if standing == Standing.IN_WINDOW:
        facts.append("CMA-CURRENT")
    if ask_month:
        return Verdict("CMA", Status.NEED_INFO, missing=missing, ask="month", notes=tuple(notes), facts=tuple(facts),
                       **common)
    if missing:
        return Verdict("CMA", Status.NOT_YET, missing=missing, notes=tuple(notes), facts=tuple(facts), **common)
    unconfirmed = (("categories",) if len(given) < 3 else ()) + (("expiry",) if standing == Standing.UNKNOWN else ())
    status = Status.TOTALS_MET if unconfirmed else Status.READY
    return Verdict("CMA", status, notes=tuple(notes), facts=tuple(facts), unconfirmed=unconfirmed, **common)


def _simple_standing(when: When, today: date, cycle_months: int) -> Standing:
    """NHA and AMT: any expiry already past is a lapse (no grace period is verified)."""
    if when.lapsed or (when.expired is not None and when.expired.amount > 0):
        return Standing.LAPSED
    if when.expires_on is not None:
        return Standing.LAPSED if when.expires_on < today else Standing.CURRENT
    if when.expires_in is not None:
        return Standing.CURRENT
    if when.certified_on is not None:
        # "ccma certified june 2024": current until two years on; past that, renewed since or not, we can't tell
        return Standing.UNKNOWN if end_of_month(add_months(when.certified_on, cycle_months)) < today \
            else Standing.CURRENT
    if when.year is not None:
        return Standing.CURRENT if when.year >= today.year and when.past is not True else Standing.LAPSED
    if when.certified_ago is not None and when.certified_ago.months < cycle_months:
        return Standing.CURRENT
    if when.past is True:
        return Standing.EXPIRED_UNKNOWN
    if when.certified_year is not None and when.certified_year * 12 + cycle_months >= today.year * 12 + 12:
        return Standing.CURRENT
    if when.past is False:
        return Standing.CURRENT
    return Standing.UNKNOWN


def check_nha(rules: Rules, *, credits: float | None = None, hours: float | None = None, when: When | None = None,
              today: date | None = None) -> Verdict:
    nha = rules["nha"]
    when = when or When()
    today = today or date.today()
    credits = check_amount("credits", credits)
    hours = check_amount("hours", hours)
    standing = _simple_standing(when, today, nha["cycle_years"] * 12)
    renew_year = when.certified_year + nha["cycle_years"] if when.certified_year else None
    if standing == Standing.LAPSED:
        return Verdict("NHA", Status.LAPSED, have={"credits": credits, "hours": hours}, standing=standing,
                       facts=("NHA-LAPSE", "NHA-GRACE", "NHA-HOW"))
    if standing == Standing.EXPIRED_UNKNOWN or when.unsure:
        return Verdict("NHA", Status.NEED_INFO, ask="expiry", standing=standing, facts=("NHA-LAPSE", "NHA-CYCLE"))
    if credits is None and hours is None:
        return Verdict("NHA", Status.NEED_INFO, ask="have" if standing == Standing.CURRENT else "credits",
                       standing=standing, have={"hours_needed": nha["ce_credits"] * nha["hours_per_credit"]},
                       facts=("NHA-CE",))
    from_hours = (hours or 0) / nha["hours_per_credit"]
    total = (credits or 0) + from_hours
    missing = {"credits": nha["ce_credits"] - total} if total < nha["ce_credits"] else {}
    have = {"credits": credits, "hours": hours, "from_hours": from_hours, "counted": total,
            "missing_hours": missing.get("credits", 0) * nha["hours_per_credit"], "renew_year": renew_year}
    unconfirmed = ("expiry",) if standing != Standing.CURRENT else ()
    status = Status.NOT_YET if missing else Status.TOTALS_MET if unconfirmed else Status.READY
    return Verdict("NHA", status, missing=missing, have=have, notes=("fee_unverified",), standing=standing,
                   unconfirmed=unconfirmed, facts=("NHA-CE", "NHA-CYCLE", "NHA-HOW", "NHA-FEE"))


def check_rma(rules: Rules, *, points: float | None = None, when: When | None = None, today: date | None = None,
              certified_year: int | None = None, employment: float | None = None) -> Verdict:
    rma = rules["rma"]
    when = when or When()
    today = today or date.today()
    points = check_amount("points", points)
    if certified_year is not None and certified_year < int(str(rma["ccp_applies_from"]).split()[-1]):
        return Verdict("RMA", Status.CANNOT_CHECK, have={"points": points, "certified_year": certified_year},
                       notes=("pre2006",), facts=("AMT-PRE2006", "AMT-LAPSE"))
    standing = _simple_standing(when, today, rma["ccp_cycle_years"] * 12)
    if standing == Standing.LAPSED:
        long_ago = when.expired is not None and when.expired.months >= rma["react_exam_only_years"] * 12
        return Verdict("RMA", Status.LAPSED, have={"points": points}, standing=standing,
                       notes=("react_10y",) if long_ago else (),
                       facts=("AMT-LAPSE", "AMT-REACT-CCP", "AMT-REACT-EXAM",
                              *(("AMT-REACT-10Y",) if long_ago else ())))
    if standing == Standing.EXPIRED_UNKNOWN or when.unsure:
        return Verdict("RMA", Status.NEED_INFO, ask="expiry", standing=standing, facts=("AMT-CCP", "AMT-LAPSE"))
    if points is None:
        return Verdict("RMA", Status.NEED_INFO, ask="have" if standing == Standing.CURRENT else "points",
                       standing=standing, facts=("AMT-CCP",))
    notes = ["annual_fee"] + (["employment"] if employment else [])
    missing = {"points": rma["ccp_points"] - points} if points < rma["ccp_points"] else {}
    unconfirmed = ("cycle",) if standing != Standing.CURRENT else ()
    status = Status.NOT_YET if missing else Status.TOTALS_MET if unconfirmed else Status.READY
    return Verdict("RMA", status, missing=missing, have={"points": points, "employment": employment},
                   notes=tuple(notes), standing=standing, unconfirmed=unconfirmed,
                   facts=("AMT-CCP", "AMT-CCP-WINDOW", "AMT-FEE") + (("AMT-CCP-WORK",) if employment else ()))


def check_ncma(rules: Rules | None = None, *, certified_year: int | None = None) -> Verdict:
    valid_until = certified_year + rules["ncct"]["valid_years"] if rules and certified_year else None
    return Verdict("NCMA", Status.CANNOT_CHECK, have={"valid_until_year": valid_until},
                   facts=("NCCT-LAPSE", "NCCT-HOURS"))
