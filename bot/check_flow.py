"""The eligibility check as a conversation: `/check` in one line, `/check` step by step, and personal questions
("I have 45 points, 20 AAMA-approved") in free text. Transport-neutral, like the dialogue that calls it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from faq import calculator as calc
from faq.extract import NUM, Numbers, extract, prepare

CANCEL = re.compile(r"^\s*/?(cancel|stop|quit|exit|nevermind|never mind|abort)\b", re.I)
SKIP = re.compile(r"^\s*/?(skip|pass|dont know|don'?t know|idk|not sure|unknown|n/?a)\b", re.I)
NO = re.compile(r"^\s*(no|nope|nah|not expired|hasn'?t|it hasn'?t|still current|current|active|0)\b", re.I)

# What a guided check asks, in order; the first ones of each credential are needed for any verdict.
STEPS = {"CMA": ("total", "aama", "categories", "expired"), "NHA": ("credits",), "RMA": ("points",), "NCMA": ()}
ESSENTIAL = {"total", "aama", "credits", "points"}
KEYS = {
    "total": "total", "points": "total", "aama": "aama", "approved": "aama", "nonaama": "non_aama",
    "non_aama": "non_aama", "admin": "admin", "administrative": "admin", "clinical": "clinical",
    "general": "general", "expired": "expired", "certified": "certified", "recertified": "certified",
    "credits": "credits", "ce": "credits", "hours": "hours", "ccp": "points",
}
CREDENTIAL_CHOICES = ("CMA", "NHA", "RMA", "NCMA")
LABELS = {"total": "points", "aama": "AAMA-approved points", "non_aama": "non-AAMA points",
          "admin": "administrative points", "clinical": "clinical points", "general": "general points",
          "credits": "CE credits", "hours": "hours", "points": "CCP points"}


class CheckInputError(ValueError):
    pass


@dataclass
class CheckState:
    credential: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    asking: str | None = None
    guided: bool = False  # /check step by step asks the optional questions too
    skipped: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class CheckOutcome:
    """Either a verdict, a question to ask next, or an input problem."""

    verdict: calc.Verdict | None = None
    ask: str | None = None
    error: str | None = None
    cancelled: bool = False
    state: CheckState | None = None  # still to be kept, when a question is asked


def parse_command(args: str, detect_credentials: Callable[[str], frozenset]) -> CheckState:
    """`/check cma total=45 aama=20 clinical=5 expired=2`, `/check cma 45 20`, `/check ccma 7`."""
    state = CheckState()
    words = args.split()
    if words:
        creds = detect_credentials(words[0])
        if len(creds) == 1:
            state.credential = next(iter(creds))
            words = words[1:]
    positional: list[float] = []
    for word in words:
        if "=" in word or ":" in word:
            key, _, value = re.split(r"([=:])", word, maxsplit=1)
            field_name = KEYS.get(key.lower().replace("-", "_"))
            if field_name is None:
                raise CheckInputError(f"I don't know '{key}'. Use total, aama, admin, clinical, general, "
                                      "expired, certified, credits, hours or points.")
            state.values[field_name] = _parse_value(field_name, value)
        else:
            positional.append(_parse_number(word))
    if positional:
        slots = {"CMA": ("total", "aama", "admin", "clinical", "general"), "NHA": ("credits",),
                 "RMA": ("points",)}.get(state.credential or "", ())
        if len(positional) > len(slots):
            raise CheckInputError("Tell me which credential first, e.g. /check cma 45 20 or /check ccma 7."
                                  if not slots else f"Too many numbers for {state.credential}: "
                                  f"give {', '.join(slots)} in that order, or use names like total=45.")
        for slot, number in zip(slots, positional):
            state.values.setdefault(slot, number)
    _normalise(state)
    state.guided = not state.values  # "/check" or "/check cma" asks everything; numbers given mean "check now"
    return state


def from_message(text: str, numbers: Numbers, credentials: frozenset) -> CheckState | None:
    """A personal question as a check, or None when the message holds none of the user's own numbers."""
    own = numbers.personal or numbers.expired or numbers.certified or re.match(r"\s*\d", text)
    if not numbers.any or not own:
        return None
    values = dict(numbers.values)
    credential = next(iter(credentials)) if len(credentials) == 1 else None
    if credential is None and ({"aama", "non_aama", "admin", "clinical", "general"} & values.keys()
                               or numbers.certified or numbers.expired):
        credential = "CMA"  # only the CMA (AAMA) has these
    if credential is None and re.search(r"\bccp\b", text, re.I):
        credential = "RMA"
    state = CheckState(credential=credential, values=values)
    if numbers.expired:
        state.values["expired"] = numbers.expired
    elif numbers.not_expired:
        state.values["expired"] = (0, "month")
    if numbers.certified:
        state.values["certified"] = numbers.certified
    _normalise(state)
    return state


def follow_up(previous: CheckState, numbers: Numbers) -> CheckState | None:
    """"clinical 12, admin 10" right after a verdict: the same check again with these numbers added."""
    if not numbers.values:
        return None
    state = CheckState(previous.credential, {**previous.values, **numbers.values})
    _normalise(state)
    return state


def _normalise(state: CheckState) -> None:
    _rename_for(state)
    values = state.values
    if "non_aama" in values and "total" not in values and "aama" in values:
        values["total"] = values["aama"] + values["non_aama"]
    if isinstance(values.get("expired"), tuple):
        amount, unit = values["expired"]
        values["expired"] = calc.Expiry.of(amount, unit)


def _parse_number(text: str) -> float:
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*", prepare(text))
    if not match:
        raise CheckInputError(f"'{text[:40]}' is not a number.")
    return float(match.group(1))


def _parse_value(field_name: str, value: str) -> Any:
    if field_name == "certified":
        match = re.fullmatch(r"(\d{4})-(\d{1,2})|(\d{1,2})/(\d{4})", value.strip())
        if not match:
            raise CheckInputError("Give the certification month as YYYY-MM or MM/YYYY, e.g. certified=2022-03.")
        year, month = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        if not 1 <= int(month) <= 12:
            raise CheckInputError(f"{month} is not a month.")
        return date(int(year), int(month), 1)
    if field_name == "expired":
        match = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*(d|days?|w|weeks?|m|mo|months?|y|years?)?", value.strip().lower())
        if not match:
            raise CheckInputError("Give how long ago it expired as months (expired=2) or days (expired=60d).")
        unit = {"d": "day", "w": "week", "y": "year", "m": "month", "mo": "month"}.get(match.group(2) or "m",
                                                                                   match.group(2) or "month")
        return (float(match.group(1)), unit)
    return _parse_number(value)


def step(state: CheckState, rules, today: date) -> CheckOutcome:
    """Compute a verdict from what the state holds, or say what to ask next."""
    try:
        _check_amounts(state.values)
    except calc.InputError as exc:
        return CheckOutcome(error=str(exc))
    if state.credential is None:
        state.asking = "credential"
        return CheckOutcome(ask="credential", state=state)
    pending = [s for s in STEPS[state.credential] if s not in state.skipped and not _has(state, s)]
    if state.guided:
        nxt = pending[0] if pending else None
    else:
        nxt = next((s for s in pending if s in ESSENTIAL), None) if _needs_amounts(state) else None
    if nxt is not None:
        state.asking = nxt
        return CheckOutcome(ask=nxt, state=state)
    try:
        return CheckOutcome(verdict=verdict(state, rules, today))
    except calc.InputError as exc:
        return CheckOutcome(error=str(exc))


def _check_amounts(values: dict[str, Any]) -> None:
    """Bounds that hold whatever the credential, checked before asking the user anything more."""
    for name, value in values.items():
        if isinstance(value, float):
            calc.check_amount(LABELS[name], value, calc.MAX_HOURS if name == "hours" else calc.MAX_POINTS)


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


def verdict(state: CheckState, rules, today: date) -> calc.Verdict:
    v = state.values
    if state.credential == "CMA":
        expired = v.get("expired")
        return calc.check_cma(
            rules, total=v.get("total"), aama=v.get("aama"), admin=v.get("admin"), clinical=v.get("clinical"),
            general=v.get("general"), expired=expired if expired and expired.amount > 0 else None,
            certified=v.get("certified"), today=today)
    if state.credential == "NHA":
        return calc.check_nha(rules, credits=v.get("credits"), hours=v.get("hours"))
    if state.credential == "RMA":
        return calc.check_rma(rules, points=v.get("points"))
    return calc.check_ncma()


def answer(state: CheckState, text: str, detect_credentials: Callable[[str], frozenset], rules,
           today: date) -> CheckOutcome | None:
    """Take the user's reply to the question the state is asking. None: the reply is not an answer at all."""
    if CANCEL.match(text):
        return CheckOutcome(cancelled=True)
    slot = state.asking
    if SKIP.match(text):
        if slot in ESSENTIAL or slot == "credential":
            return CheckOutcome(error="I need this one to check anything: reply with a number, or 'cancel'.",
                                ask=slot, state=state)
        state.skipped.add(slot)
        return CheckOutcome(state=state)
    try:
        if slot == "credential":
            creds = detect_credentials(text)
            choice = text.strip()
            if re.fullmatch(r"[0-9]+", choice) and 1 <= int(choice) <= len(CREDENTIAL_CHOICES):
                creds = frozenset({CREDENTIAL_CHOICES[int(choice) - 1]})
            if len(creds) != 1:
                return _not_an_answer(text, slot, state)
            state.credential = next(iter(creds))
            _rename_for(state)
        elif slot == "expired":
            if NO.match(text):
                state.values["expired"] = calc.Expiry(0, "months")
            else:
                found = re.search(rf"{NUM}\s*(d|day|w|week|m|mo|month|y|yr|year)?s?\b", prepare(text))
                if not found:
                    return _not_an_answer(text, slot, state)
                unit = {"d": "day", "w": "week", "m": "month", "mo": "month", "y": "year", "yr": "year"}.get(
                    found.group(2) or "month", found.group(2) or "month")
                state.values["expired"] = calc.Expiry.of(float(found.group(1)), unit)
        elif slot == "categories":
            numbers = extract(text)
            named = {k: numbers.values[k] for k in ("admin", "clinical", "general") if k in numbers.values}
            bare = [float(n) for n in re.findall(NUM, prepare(text))]
            if named:
                state.values.update(named)
            elif len(bare) == 3:
                state.values.update(zip(("admin", "clinical", "general"), bare))
            else:
                return _not_an_answer(text, slot, state, "Give three numbers: administrative, clinical, general "
                                      "(e.g. 10 12 15), or 'skip'.")
        else:
            numbers = re.findall(NUM, prepare(text))
            if len(numbers) != 1:
                return _not_an_answer(text, slot, state)
            value = float(numbers[0])
            if slot == "credits" and re.search(r"\b(hours?|hrs?)\b", text, re.I):
                state.values["hours"] = value
            else:
                state.values[slot] = value
        # Validate as soon as a number arrives, so the user fixes it at the question that asked for it.
        if state.credential and slot != "credential":
            verdict(CheckState(state.credential, dict(state.values)), rules, today)
    except (calc.InputError, CheckInputError) as exc:
        state.values.pop(slot, None)
        return CheckOutcome(error=str(exc), ask=slot, state=state)
    return CheckOutcome(state=state)


def _not_an_answer(text: str, slot: str, state: CheckState, hint: str | None = None) -> CheckOutcome | None:
    # Three or more words with no number: a new question, not an answer; the check steps aside.
    if len(text.split()) >= 3 and not re.search(r"\d", prepare(text)):
        return None
    return CheckOutcome(error=hint or "Please reply with a number, 'skip' or 'cancel'.", ask=slot, state=state)


# One amount, named for its credential: CMA points, NHA credits, AMT CCP points, however the user put it.
_AMOUNT = {"CMA": "total", "NHA": "credits", "RMA": "points"}


def _rename_for(state: CheckState) -> None:
    name = _AMOUNT.get(state.credential or "")
    for other in ("total", "credits", "points"):
        if name and other != name and other in state.values and name not in state.values:
            state.values[name] = state.values.pop(other)
