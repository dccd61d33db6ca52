"""The eligibility check as a conversation: `/check` in one line, `/check` step by step, and personal questions
("I have 45 points, 20 AAMA-approved") in free text. Transport-neutral, like the dialogue that calls it.

Every function returns a new `CheckState`; none changes the one it was given."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from bot.contracts import CheckState
from faq import calculator as calc
from faq.checks import CHECKS
from faq.extract import NUM, Numbers, prepare
from faq.turn import Turn

CANCEL = re.compile(r"^\s*/?(cancel|stop|quit|exit|nevermind|never mind|abort)\b", re.I)
SKIP = re.compile(r"^\s*/?(skip|pass|dont know|don'?t know|idk|not sure|unknown|n/?a)\b", re.I)
NO = re.compile(r"^\s*(no|nope|nah|not expired|hasn'?t|it hasn'?t|still current|current|active|0)\b", re.I)

KEYS = {
    "total": "total", "points": "total", "aama": "aama", "approved": "aama", "nonaama": "non_aama",
    "non_aama": "non_aama", "admin": "admin", "administrative": "admin", "clinical": "clinical",
    "general": "general", "expired": "expired", "certified": "certified", "recertified": "certified",
    "credits": "credits", "ce": "credits", "hours": "hours", "ccp": "points",
}
AMOUNTS = frozenset({"total", "aama", "non_aama", "admin", "clinical", "general", "credits", "hours", "points"})
CREDENTIAL_ONLY = frozenset({"aama", "non_aama", "admin", "clinical", "general"})  # only the CMA (AAMA) has these
UNITS = {"d": "day", "w": "week", "m": "month", "mo": "month", "y": "year", "yr": "year"}


class CheckInputError(calc.InputError):
    """A `/check` argument or a reply the check cannot read."""


@dataclass(frozen=True)
class Problem:
    """What was wrong with the input: a code, and the numbers the template words it with."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, exc: calc.InputError) -> Problem:
        return cls(exc.code, exc.params)


@dataclass(frozen=True)
class Asked:
    """Ask `state.asking` next (again, with `problem`, when the last reply would not do)."""

    state: CheckState
    problem: Problem | None = None


@dataclass(frozen=True)
class Checked:
    verdict: calc.Verdict
    state: CheckState


@dataclass(frozen=True)
class Invalid:
    """The input cannot be checked; the check ends."""

    problem: Problem


@dataclass(frozen=True)
class Cancelled:
    pass


Outcome = Asked | Checked | Invalid | Cancelled


def parse_command(args: str, detect_credentials: Callable[[str], frozenset[str]]) -> CheckState:
    """`/check cma total=45 aama=20 clinical=5 expired=2`, `/check cma 45 20`, `/check ccma 7`."""
    credential = None
    words = args.split()
    if words:
        creds = detect_credentials(words[0])
        if len(creds) == 1:
            credential = next(iter(creds))
            words = words[1:]
    values: dict[str, Any] = {}
    positional: list[float] = []
    for word in words:
        if "=" in word or ":" in word:
            key, _, value = re.split(r"([=:])", word, maxsplit=1)
            field_name = KEYS.get(key.lower().replace("-", "_"))
            if field_name is None:
                raise CheckInputError("unknown_name", name=key)
            values[field_name] = _parse_value(field_name, value)
        else:
            positional.append(_parse_number(word))
    if positional:
        slots = CHECKS[credential].positional if credential else ()
        if not slots:
            raise CheckInputError("credential_first")
        if len(positional) > len(slots):
            raise CheckInputError("too_many_numbers", credential=credential, slots=slots)
        for slot, number in zip(slots, positional, strict=False):
            values.setdefault(slot, number)
    # "/check" or "/check cma" asks everything; numbers given mean "check now"
    return _normalised(CheckState(credential, values, guided=not values))


def from_turn(turn: Turn, credentials: frozenset[str]) -> CheckState | None:
    """A personal question as a check, or None when the message holds none of the user's own numbers."""
    numbers = turn.numbers
    own = numbers.personal or numbers.expired or numbers.certified or re.match(r"\s*\d", turn.raw)
    if not numbers.any or not own:
        return None
    values: dict[str, Any] = dict(numbers.values)
    credential = next(iter(credentials)) if len(credentials) == 1 else None
    if credential is None and (CREDENTIAL_ONLY & values.keys() or numbers.certified or numbers.expired):
        credential = "CMA"
    if credential is None and re.search(r"\bccp\b", turn.raw, re.I):
        credential = "RMA"
    if numbers.expired:
        values["expired"] = numbers.expired
    elif numbers.not_expired:
        values["expired"] = (0, "month")
    if numbers.certified:
        values["certified"] = numbers.certified
    return _normalised(CheckState(credential, values))


def follow_up(previous: CheckState, numbers: Numbers) -> CheckState | None:
    """"clinical 12, admin 10" right after a verdict: the same check again with these numbers added."""
    if not numbers.values:
        return None
    return _normalised(CheckState(previous.credential, {**previous.values, **numbers.values}))


def _normalised(state: CheckState) -> CheckState:
    values = dict(_renamed_for(state.credential, state.values))
    if "non_aama" in values and "total" not in values and "aama" in values:
        values["total"] = values["aama"] + values["non_aama"]
    if isinstance(values.get("expired"), tuple):
        amount, unit = values["expired"]
        values["expired"] = calc.Expiry.of(amount, unit)
    return replace(state, values=values)


def _parse_number(text: str) -> float:
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*", prepare(text))
    if not match:
        raise CheckInputError("not_a_number", text=text[:40])
    return float(match.group(1))


def _parse_value(field_name: str, value: str) -> Any:
    if field_name == "certified":
        match = re.fullmatch(r"(\d{4})-(\d{1,2})|(\d{1,2})/(\d{4})", value.strip())
        if not match:
            raise CheckInputError("month_format")
        year, month = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        if not 1 <= int(month) <= 12:
            raise CheckInputError("not_a_month", month=month)
        return date(int(year), int(month), 1)
    if field_name == "expired":
        match = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*(d|days?|w|weeks?|m|mo|months?|y|years?)?", value.strip().lower())
        if not match:
            raise CheckInputError("expired_format")
        unit = match.group(2) or "month"
        return (float(match.group(1)), UNITS.get(unit, unit))
    return _parse_number(value)


def step(state: CheckState, rules: calc.Rules, today: date) -> Outcome:
    """Compute a verdict from what the state holds, or say what to ask next."""
    try:
        _check_amounts(state.values)
    except calc.InputError as exc:
        return Invalid(Problem.of(exc))
    if state.credential is None:
        return Asked(replace(state, asking="credential"))
    spec = CHECKS[state.credential]
    pending = [s for s in spec.steps if s not in state.skipped and not _has(state, s)]
    if state.guided:
        nxt = pending[0] if pending else None
    else:
        nxt = next((s for s in pending if s in spec.essential), None) if _needs_amounts(state) else None
    if nxt is not None:
        return Asked(replace(state, asking=nxt))
    try:
        return Checked(spec.run(rules, state.values, today), replace(state, asking=None))
    except calc.InputError as exc:
        return Invalid(Problem.of(exc))


def _check_amounts(values: Mapping[str, Any]) -> None:
    """Bounds that hold whatever the credential, checked before asking the user anything more."""
    for name, value in values.items():
        if name in AMOUNTS:
            calc.check_amount(name, value)


def _has(state: CheckState, slot: str) -> bool:
    if slot == "categories":
        return any(k in state.values for k in ("admin", "clinical", "general"))
    if slot == "credits":
        return "credits" in state.values or "hours" in state.values
    return slot in state.values


def _needs_amounts(state: CheckState) -> bool:
    # An expiry or a date alone is a question about time, not points: answer it without asking for points.
    about_time = state.credential == "CMA" and ("expired" in state.values or "certified" in state.values)
    return not about_time or bool({"total", "aama"} & state.values.keys())


def answer(state: CheckState, turn: Turn, rules: calc.Rules, today: date) -> Outcome | None:
    """Take the user's reply to the question the state is asking. None: the reply is not an answer at all."""
    text = turn.raw
    if CANCEL.match(text):
        return Cancelled()
    slot = state.asking
    if SKIP.match(text):
        essential = slot == "credential" or (state.credential and slot in CHECKS[state.credential].essential)
        if essential:
            return Asked(state, Problem("essential"))
        return step(replace(state, skipped=state.skipped | {slot or ""}), rules, today)
    try:
        if slot == "credential":
            new = _credential_answer(state, turn)
        elif slot == "expired":
            new = _expiry_answer(state, turn)
        elif slot == "categories":
            new = _categories_answer(state, turn)
        else:
            new = _amount_answer(state, turn)
        if new is None:
            return _not_an_answer(turn, state, Problem("three_numbers") if slot == "categories" else None)
        # Validate as soon as a number arrives, so the user fixes it at the question that asked for it.
        if new.credential and slot != "credential":
            CHECKS[new.credential].run(rules, new.values, today)
    except calc.InputError as exc:
        return Asked(state, Problem.of(exc))
    return step(new, rules, today)


def _credential_answer(state: CheckState, turn: Turn) -> CheckState | None:
    creds = turn.norm.credentials
    choice = turn.raw.strip()
    choices = tuple(CHECKS)
    if re.fullmatch(r"[0-9]+", choice) and 1 <= int(choice) <= len(choices):
        creds = frozenset({choices[int(choice) - 1]})
    if len(creds) != 1:
        return None
    credential = next(iter(creds))
    return replace(state, credential=credential, values=_renamed_for(credential, state.values))


def _expiry_answer(state: CheckState, turn: Turn) -> CheckState | None:
    if NO.match(turn.raw):
        return _with(state, expired=calc.Expiry(0, "months"))
    found = re.search(rf"{NUM}\s*(d|day|w|week|m|mo|month|y|yr|year)?s?\b", turn.prepared)
    if not found:
        return None
    unit = found.group(2) or "month"
    return _with(state, expired=calc.Expiry.of(float(found.group(1)), UNITS.get(unit, unit)))


def _categories_answer(state: CheckState, turn: Turn) -> CheckState | None:
    named = {k: turn.numbers.values[k] for k in ("admin", "clinical", "general") if k in turn.numbers.values}
    bare = [float(n) for n in re.findall(NUM, turn.prepared)]
    if named:
        return _with(state, **named)
    if len(bare) == 3:
        return _with(state, **dict(zip(("admin", "clinical", "general"), bare, strict=True)))
    return None


def _amount_answer(state: CheckState, turn: Turn) -> CheckState | None:
    numbers = re.findall(NUM, turn.prepared)
    if len(numbers) != 1:
        return None
    slot = state.asking or ""
    if slot == "credits" and re.search(r"\b(hours?|hrs?)\b", turn.raw, re.I):
        slot = "hours"
    return _with(state, **{slot: calc.check_amount(slot, float(numbers[0]))})


def _with(state: CheckState, **values: Any) -> CheckState:
    return replace(state, values={**state.values, **values})


def _not_an_answer(turn: Turn, state: CheckState, problem: Problem | None) -> Outcome | None:
    # Three or more words with no number: a new question, not an answer; the check steps aside.
    if len(turn.raw.split()) >= 3 and not re.search(r"\d", turn.prepared):
        return None
    return Asked(state, problem or Problem("reply_number"))


def _renamed_for(credential: str | None, values: Mapping[str, Any]) -> Mapping[str, Any]:
    """One amount, named for its credential: CMA points, NHA credits, AMT CCP points, however the user put it."""
    name = CHECKS[credential].amount if credential else None
    if not name or name in values:
        return values
    renamed = dict(values)
    for other in ("total", "credits", "points"):
        if other != name and other in renamed:
            renamed[name] = renamed.pop(other)
            break
    return renamed

