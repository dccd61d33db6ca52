"""Deadline reminders as pure data: from a credential and its date, when to remind and what each reminder says.

A CMA (AAMA) is given by the month of certification or last recertification; the calculator's rules turn it
into the expiry, the exam's received-by and pass-by dates and the end of the continuing-education window
(`calculator.cma_dates`). The other credentials are given by their expiry date, as the person's account shows
it. The schedule (how long before a date to write) is this bot's choice, not a rule of any certifying body, so
it lives here and not in rules.yaml; every date a reminder states comes from the rules.

Each reminder carries what its template needs (dates and which ones are still ahead), the fact ids it rests
on, and `useful_until`: a reminder that fell due while the bot was down is still sent after that time only
if it is before this (the next reminder, or the deadline it warns about)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from faq import calculator as calc

# Reminders go out at one time of day for everyone: the bot does not know the person's time zone, and
# 15:00 UTC is morning or midday across the United States.
SEND_AT = time(15, 0, tzinfo=UTC)
CREDENTIALS = ("CMA", "NHA", "RMA", "NCMA")

# Where the next step is taken, by credential: the source whose address a reminder gives.
NEXT_STEP_SOURCE = {"CMA": "AAMA-POL", "NHA": "NHA-RENEW", "RMA": "AMT-STAY", "NCMA": "NCCT-SUP"}


class Kind(StrEnum):
    BEFORE_6M = "before_6m"
    BEFORE_3M = "before_3m"
    BEFORE_1M = "before_1m"
    BEFORE_1W = "before_1w"
    EXPIRED = "expired"  # CMA: the day after expiry, continuing education still open
    WINDOW_1M = "window_1m"  # CMA: a month before continuing education closes
    WINDOW_1W = "window_1w"  # CMA: a week before it closes
    ANNUAL_FEE = "annual_fee"  # RMA: the anniversary month, when AMT's annual fee is due


# Before the expiry: (kind, months, days) back from it.
_BEFORE_CMA = ((Kind.BEFORE_6M, 6, 0), (Kind.BEFORE_3M, 3, 0), (Kind.BEFORE_1M, 1, 0), (Kind.BEFORE_1W, 0, 7))
_BEFORE_OTHER = ((Kind.BEFORE_3M, 3, 0), (Kind.BEFORE_1M, 1, 0), (Kind.BEFORE_1W, 0, 7))

FACTS = {
    "CMA": ("CMA-CYCLE", "CMA-CE-TOTAL", "CMA-CE-AAMA", "CMA-CE-CATEGORIES", "CMA-CE-APPLY", "CMA-EXAM-TIMING",
            "CMA-CE-EXPIRED"),
    "NHA": ("NHA-CE", "NHA-HOW", "NHA-LAPSE"),
    "RMA": ("AMT-CCP", "AMT-CCP-TRACK", "AMT-LAPSE"),
    "NCMA": ("NCCT-LAPSE",),
}


@dataclass(frozen=True)
class Deadline:
    """A credential's dates as the reminders use them."""

    credential: str  # CMA | NHA | RMA | NCMA
    given: date  # CMA: first day of the certification month; others: the expiry date
    expires: date  # the last day the credential is current
    ce_open_until: date | None = None  # CMA: the last day continuing education stays open after expiry
    exam_apply_by: date | None = None  # CMA: the exam application must arrive by this day ...
    exam_pass_by: date | None = None  # ... and the exam be passed by this one, for no lapse
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reminder:
    due: datetime
    kind: Kind
    credential: str
    useful_until: datetime
    dates: dict[str, date] = field(default_factory=dict)  # what the template states: expires, exam_apply_by, ...
    facts: tuple[str, ...] = ()


def deadline(credential: str, given: date, today: date, rules: calc.Rules) -> Deadline:
    """The dates of `credential` from the date the person gave (`calc.InputError` for one that cannot be)."""
    if credential not in CREDENTIALS:
        raise calc.InputError("unknown_credential", credential=credential)
    if credential == "CMA":
        dates = calc.cma_dates(given, today, rules)
        return Deadline("CMA", dates.certified, dates.current_until, dates.ce_open_until, dates.exam_apply_by,
                        dates.exam_pass_by, FACTS["CMA"])
    return Deadline(credential, given, given, facts=FACTS[credential])


def last_day(d: Deadline) -> date:
    """After this day there is nothing left to remind about."""
    return d.ce_open_until or d.expires


def schedule(d: Deadline, now: datetime) -> tuple[Reminder, ...]:
    """The reminders still ahead of `now`, in order of their due time."""
    plan: list[tuple[Kind, date]] = []
    for kind, months, days in _BEFORE_CMA if d.credential == "CMA" else _BEFORE_OTHER:
        plan.append((kind, calc.add_months(d.expires, -months) - timedelta(days=days)))
    if d.ce_open_until is not None:
        plan += [(Kind.EXPIRED, d.expires + timedelta(days=1)),
                 (Kind.WINDOW_1M, calc.add_months(d.ce_open_until, -1)),
                 (Kind.WINDOW_1W, d.ce_open_until - timedelta(days=7))]
    if d.credential == "RMA":
        plan += [(Kind.ANNUAL_FEE, date(year, d.expires.month, 1)) for year in range(now.year, d.expires.year)]
    plan.sort(key=lambda item: item[1])

    reminders: list[Reminder] = []
    for i, (kind, day) in enumerate(plan):
        due = at(day)
        if due <= now:
            continue
        # Useful until the next reminder takes over, and never past the day it warns about.
        until = at(plan[i + 1][1]) if i + 1 < len(plan) else at(last_day(d) + timedelta(days=1))
        reminders.append(Reminder(due, kind, d.credential, min(until, _warns_until(d, kind)),
                                  _dates(d, kind, day), d.facts))
    return tuple(reminders)


def at(day: date) -> datetime:
    return datetime.combine(day, SEND_AT)


def _warns_until(d: Deadline, kind: Kind) -> datetime:
    after = last_day(d) if kind in (Kind.EXPIRED, Kind.WINDOW_1M, Kind.WINDOW_1W) else d.expires
    return at(after + timedelta(days=1))


def _dates(d: Deadline, kind: Kind, day: date) -> dict[str, date]:
    """The dates one reminder states: the expiry always; the exam dates only while still ahead on its day."""
    dates = {"expires": d.expires}
    if d.ce_open_until is not None:
        dates["ce_open_until"] = d.ce_open_until
    # Only while both are ahead: the exam must be passed by one date and applied for by the other.
    if d.exam_apply_by is not None and d.exam_pass_by is not None and day <= min(d.exam_apply_by, d.exam_pass_by):
        dates["exam_apply_by"] = d.exam_apply_by
        dates["exam_pass_by"] = d.exam_pass_by
    if kind == Kind.ANNUAL_FEE:
        dates["fee_month"] = day
    return dates


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), 1)}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_PATTERNS = (
    (re.compile(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\b"), ("y", "m", "d")),  # 2027-05-31, 2022-03
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), ("m", "d", "y")),  # 5/31/2027 (US order)
    (re.compile(r"\b(\d{1,2})/(\d{4})\b"), ("m", "y")),  # 03/2022
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})\b"), ("d", "mn", "y")),  # 31 May 2027
    (re.compile(rf"\b{_MONTH}\s+(?:(\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(\d{{4}})\b"), ("mn", "d", "y")),  # May 31, 2027
)


def read_date(text: str) -> tuple[date, bool] | None:
    """The first date in `text` and whether it named a day (False: a month only, given as its first day, so a
    reminder built on it can only come early). `calc.InputError` for a date that does not exist."""
    lowered = text.lower()
    for pattern, order in _DATE_PATTERNS:
        match = pattern.search(lowered)
        if match is None:
            continue
        parts = dict(zip(order, match.groups()))
        month = _MONTHS[parts["mn"][:3]] if "mn" in parts else int(parts["m"])
        day = parts.get("d")
        try:
            return date(int(parts["y"]), month, int(day) if day else 1), day is not None
        except ValueError:
            raise calc.InputError("no_such_date", text=match.group(0)) from None
    return None
