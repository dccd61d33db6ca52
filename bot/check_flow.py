"""The eligibility check as a conversation: `/check` in one line, `/check` step by step, and personal questions
("I have 45 points, 20 AAMA-approved") in free text. Transport-neutral, like the dialogue that calls it.

Every function returns a new `CheckState`; none changes the one it was given."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from bot.contracts import CheckState, CheckSummary
from faq import calculator as calc
from faq.checks import CHECKS, CheckSpec
from faq.extract import ASKS_HAVE, ASKS_LATE, NUM, Numbers, extract, prepare
from faq.normalize import fold
from faq.turn import Turn

CANCEL = re.compile(r"^\s*/?(cancel|stop|quit|exit|nevermind|never mind|abort|cancelar|parar|salir|olvidalo)\b", re.I)
SKIP = re.compile(r"^\s*/?(skip|pass|dont know|don'?t know|idk|not sure|unknown|n/?a|saltar|omitir|no s[eé]|"
                  r"ni idea)\b", re.I)
NO = re.compile(r"^\s*(no|nope|nah|not expired|hasn'?t|it hasn'?t|still current|current|active|0|todav[ií]a no|"
                r"vigente|sigue vigente|activa|activo)\b", re.I)

KEYS = {
    "total": "total", "points": "total", "aama": "aama", "approved": "aama", "nonaama": "non_aama",
    "non_aama": "non_aama", "admin": "admin", "administrative": "admin", "clinical": "clinical",
    "general": "general", "expired": "expired", "certified": "certified", "recertified": "certified",
    "credits": "credits", "ce": "credits", "hours": "hours", "ccp": "points", "college": "college", "cpr": "cpr",
    "cards": "cpr",
}
AMOUNTS = frozenset({"total", "aama", "non_aama", "admin", "clinical", "general", "credits", "hours", "points",
                     "college", "cpr"})
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
    credential: str | None = None


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


# "ncma expired 6 years ago what now": a message that opens with a credential and its expiry speaks of the user's
_OWN = re.compile(r"\b(my|mine|i|i'?m|im|i'?ve|our|me)\b|^\s*\d|^\s*(?:cma|ccma|rma|ncma|cmaa|cpt|cet|cbcs)\b"
                  r"(?:\s+\(?\w+\)?)?\s+(?:expired|expires|expiring|exp|lapsed|ran\s+out)\b")
_HYPOTHETICAL = re.compile(r"\bif\s+(?:a|ur|your|you|someone|they)\b|\bheard\s+(?:that|if|it|u|you|ur)\b|"
                           r"\bwhat\s+happens\b|\bcan\s+a\b|"
                           r"\bif\s+they\b|\bhow\s+many\s+hours\s+is\s+\d|\bhow\s+many\s+(?:recert\s+points|"
                           r"ccp\s+points\s+does)\b|\basking\s+for\b")
_NOT_A_CHECK = re.compile(r"\bgraduated\b.*\b(?:never\s+(?:took|tested|taken)|sit\s+for|take\s+the)\b|"
                          r"\bfinishing\s+my\s+(?:ma\s+)?program\b|\b(?:retest|retake|(?:taking|take|sit\s+for)\s+the\s+(?:\w+\s+)?exam|"
                          r"by\s+exam)\b")
# An NHA credential the user holds, not NHA as where CE came from ("20 CEUs from NHA courses for my CMA")
_NHA_HELD = re.compile(r"\b(?:ccma|cmaa|cpt|cet|cbcs|cpht|excpt)\b|\bnha\b(?!(?:'s|s)?\s+(?:own\s+)?(?:courses?|classes|"
                       r"ceus?|ce\b|webinars?|modules?|trainings?|learning|library))(?<!from nha)(?<!through nha)"
                       r"(?<!thru nha)(?<!via nha)")
_CLAUSE = re.compile(r"\s*(?:[.;!?]+|,|\band\b|\bbut\b|\bplus\b|\+)\s*")
# What asks the calculator for a verdict on the user's own numbers, in a part of the message that asks (folded).
_VERDICT = re.compile(
    rf"\b(?:{ASKS_HAVE.pattern}|{ASKS_LATE.pattern})|"
    r"\b(?:can|could|will|would|cn)\s+i\s+(?:still\s+|even\s+|now\s+)?(?:re-?cert\w*|renew\w*|reactivat\w*|"
    r"make\s+it|submit|send|apply|qualify|pay|keep|use)|\bam\s+i\s+(?:\w+\s+)?(?:eligible|ready|good|ok|okay|set|covered|"
    r"done|on\s+track|late|expired|current|short|close)|\bwill\s+i\s+have\s+enough|\b(?:is|are)\s+(?:that|this|it|"
    r"those|these|they)\s+enough|\benough\b|\bhow\s+many\s+left|\bhow\s+(?:many|much)\b.*\b(?:i|me)\s+(?:still\s+)?"
    r"(?:need|short|missing|left)|\bwhat\s+(?:do\s+i|am\s+i)\s+(?:still\s+)?(?:need|missing|lacking)|"
    r"\b(?:i'?m|im|i\s+am)\s+(?:ok|okay|good|fine|set)|\bwhat\s+now\b|\bget\s+it\s+back|\bgrace\b|"
    r"\bbe\s+(?:renewed|recertified|ok|okay|fine)|\b(?:have|need)\s+to\s+(?:re-?test|retake|test\s+again)|"
    r"\bwhere\s+do\s+i\s+stand|\bhow\s+far|\bto\s+late|\bin\s+time\b|"
    r"\bwhat\s+(?:do|should|can|would|will)\s+i\s+(?:\w+\s+){0,3}do\b|\bmy\s+options|\bdeadline|"
    r"\bwhen\s+(?:do|should|must|will)\s+i\b|\bwhen\s+(?:is|does|will)\s+my\b|\bby\s+when|\bstill\s+(?:open|possible|"
    r"an?\s+option|valid|active)|\bstuck\b|\blose\b|\b(?:cover|make\s+up|count\s+for|fill)\s+the\s+rest\b|"
    r"\bdo\s+i\s+(?:still\s+)?(?:need|have)\s+(?:to\s+)?(?:\d|get|earn|do|re|take|pass|pay)|"
    # Spanish, folded
    r"\bpuedo\s+(?:todavia\s+|aun\s+|ya\s+)?(?:recertific|renovar|reactivar|aplicar)|\b(?:estoy|estare|llego)\s+"
    r"(?:a\s+tiempo|list[oa]|bien)|\bme\s+alcanza|\bsuficientes?\b|\bme\s+falta|\b(?:es|sera|ya\s+es)\s+(?:muy\s+)?"
    r"tarde|\bcalifico|\bque\s+(?:hago|(?:puedo|debo|tengo\s+que)\s+hacer)|\bcuando\s+(?:tengo|debo|se\s+me\s+vence|"
    r"me\s+toca|vence)|\bpierdo\b|\b(?:todavia|aun)\s+(?:puedo|alcanzo|llego|me\s+da\s+tiempo|estoy\s+a\s+tiempo)|"
    r"\balcanzo\s+a\b|\b(?:ya\s+)?cumplo\b|\bdo\s+i\s+(?:meet|qualify)\b|\bcuantos\s+puntos\s+(?:me\s+)?(?:dan|darian|daria|valen|cuentan|contarian)\b")
# Amounts the user has not earned yet ("i will have 10 credits by march") or doubts ("not sure all are in my
# period"): no ✅ on them.
_PLANNED = re.compile(r"\b(?:will\s+have|i'?ll\s+(?:have|get|do|finish)|gonna|going\s+to\s+(?:have|get|do|finish)|"
                      r"plan(?:ning)?\s+to|hop(?:e|ing)\s+to|by\s+the\s+time)\b")
_CREDENTIAL_DATE = re.compile(r"certif|expir|laps|renew|\bdue\b|graduat|passed|since|\bgot\s+my|venc|certifiqu")
_DOUBTED = re.compile(r"\bnot\s+sure\b[^.?!]*\b(?:period|cycle|window|time\s*frame|count)|\b(?:rejected|denied|"
                      r"disallowed|not\s+accepted|(?:didn'?t|don'?t|doesn'?t|won'?t)\s+(?:count|accept)|thrown\s+out|"
                      r"rechaz|no\s+(?:me\s+)?(?:cuentan|contaron|aceptaron))|\bi\s+had\b")
AMOUNT_KEYS = frozenset({"total", "aama", "non_aama", "admin", "clinical", "general", "hours", "college", "cpr",
                         "from"})


# "can i still just do my ceus?" after "it expired at the end of september" asks whether it is too late; without
# an expiry gone by, "can i still put my work hours down?" asks whether the rule still allows it
_STILL = re.compile(r"\bcan\s+i\s+still\b")


# "I want to check if I can recertify my CMA", "am I eligible to renew?", "quiero saber si puedo renovar": the
# guided check, when the message brings no numbers of its own
_CHECK_INTENT = re.compile(
    r"\b(?:check|see|know|find\s+out|figure\s+out|verify|tell\s+me|saber|revisar|ver)\s+(?:if|whether|si)\s+"
    r"(?:i\s+(?:can|could|am\s+(?:eligible|ready|able)|qualify)|(?:yo\s+)?(?:puedo|califico))\s+(?:to\s+)?"
    r"(?:re-?cert\w*|renew\w*|recertific\w*|renovar\w*)|\bam\s+i\s+eligible\s+to\s+(?:re-?cert\w*|renew\w*)\b|"
    r"\bcheck\s+my\s+eligibility\b")


def wants_a_check(folded: str) -> bool:
    return bool(_CHECK_INTENT.search(folded))


def asks_for_verdict(part: str, numbers: Numbers | None = None) -> bool:
    """Whether an asking part of a message asks about the user's own standing (not how a rule goes)."""
    folded = fold(part)
    expired = numbers is not None and bool(numbers.expired or numbers.expiry_past)
    return bool(_VERDICT.search(folded) or (expired and _STILL.search(folded)))


def tells_enough(numbers: Numbers) -> bool:
    """Whether a message gives enough of the user's standing that a verdict is what they came for, whatever
    else they ask: two amounts or more, an amount and its expiry, or two statements that disagree."""
    told = len(AMOUNT_KEYS & numbers.values.keys()) + numbers.time_known
    return told >= 2 or numbers.conflict or numbers.amount_conflict


def from_turn(turn: Turn, credentials: frozenset[str], today: date,
              detect: Callable[[str], frozenset[str]]) -> tuple[CheckState, ...]:
    """A personal question as checks, one per credential it names; () when it holds none of the user's own
    numbers or dates."""
    text = turn.prepared
    if len(credentials) > 1 and "NHA" in credentials and not _NHA_HELD.search(text):
        credentials = credentials - {"NHA"}  # "20 CEUs from NHA courses ... for my CMA": NHA is where they came from
    if len(credentials) > 1:
        segments = _segments(text, detect)
        if len(segments) > 1:
            own = not _HYPOTHETICAL.search(text)  # naming two credentials with numbers for each: the user's own
            found = [_state_for(credential, part, today, own) for credential, part in segments.items()]
            states = tuple(s for s in found if s is not None)
            return states if states else ()
    credential = next(iter(credentials)) if len(credentials) == 1 else None
    state = _state_for(credential, text, today, numbers=turn.numbers if turn.today == today else None)
    return (state,) if state is not None else ()


def _segments(text: str, detect: Callable[[str], frozenset[str]]) -> dict[str, str]:
    """The message's clauses grouped by the credential each names (a clause naming none goes with the last one
    named, or the next one when none was named yet)."""
    parts: dict[str, list[str]] = {}
    pending: list[str] = []
    current: str | None = None
    for clause in _CLAUSE.split(text):
        if not clause:
            continue
        named = detect(clause)
        if len(named) == 1:
            current = next(iter(named))
            parts.setdefault(current, []).extend([*pending, clause])
            pending = []
        elif len(named) > 1:
            continue
        elif current is None:
            pending.append(clause)
        else:
            parts[current].append(clause)
    return {credential: " , ".join(clauses) for credential, clauses in parts.items()}


def _state_for(credential: str | None, text: str, today: date, own_message: bool = False,
               numbers: Numbers | None = None) -> CheckState | None:
    """The check one credential's part of a message asks for (`numbers`: that part already read), or None."""
    numbers = numbers or extract(text, is_prepared=True, today=today)
    values: dict[str, Any] = dict(numbers.values)
    amounts = AMOUNT_KEYS & values.keys()
    own = own_message or (bool(_OWN.search(text)) and not _HYPOTHETICAL.search(text))
    if _NOT_A_CHECK.search(text) and not amounts:
        return None
    if _HYPOTHETICAL.search(text) and not own_message and not re.search(r"\bmy\b", text):
        return None
    # "expired" with no when is a check only with the user's amounts ("can I ... if my credential is expired?" is not)
    past = numbers.expired is not None or numbers.lapsed or (numbers.expiry_past is True and bool(
        numbers.expiry or numbers.expiry_year))
    dated = "bad_date" in values or numbers.certified is not None or (
        numbers.certified_year is not None and numbers.personal)
    late = (numbers.other_ago or past) and numbers.asks_late
    # "my cma expires in 3 weeks": when to act, and what it takes (not an exam question: that is the FAQ's)
    ahead = own and numbers.expiry_past is False and bool(numbers.expires_in or numbers.expiry)
    asks_have = numbers.asks_have and (numbers.needs_given or numbers.time_known) and own
    if not (amounts and (numbers.personal or own or numbers.time_known or dated)) \
            and not (own and (past or dated or late)) \
            and not asks_have and not (own and numbers.conflict and numbers.time_known) and not ahead:
        return None
    if credential is None and (amounts & {"aama", "non_aama", "admin", "clinical", "general", "college", "cpr"}
                               or numbers.certified or (past and credential is None and not amounts)):
        credential = "CMA"
    if credential is None and re.search(r"\bccp\b", text):
        credential = "RMA"
    try:
        values["when"] = _when(numbers, credential, today)
        if values.pop("bad_date", None):
            raise calc.InputError("bad_date")
    except calc.InputError as exc:
        return CheckState(credential, {"error": exc})
    if numbers.certified:
        values["certified"] = numbers.certified
    if numbers.certified_year:
        values["certified_year"] = numbers.certified_year
    elif numbers.certified:
        values["certified_year"] = numbers.certified.year
    start = numbers.cycle_start or (numbers.certified.year if numbers.certified else numbers.certified_year)
    earlier = sum(amount for amount, year in numbers.dated_parts if start and year < start)
    if earlier:  # "40 points but 12 are from 2021", the cycle begun in 2023: the 12 don't count
        values["before_period"] = values.get("before_period", 0) + earlier
    if numbers.cycle_start and numbers.dated_amounts:
        # only what was earned within the cycle counts (AMT-CCP-WINDOW, CMA-CE-WINDOW)
        values["total"] = sum(a for a, year in numbers.dated_amounts if year >= numbers.cycle_start)
    flags = _flags(numbers, text) | ({"doubted"} if _PLANNED.search(text) or _DOUBTED.search(text) else set())
    values.update(flags=frozenset(flags), stray_year=_stray_year(numbers, text), cpr_years=tuple(numbers.cpr_years),
                  college_year=numbers.college_year, cycle_start=numbers.cycle_start)
    return _normalised(CheckState(credential, values))


def _when(numbers: Numbers, credential: str | None, today: date) -> calc.When:
    expired = calc.Expiry.of(*numbers.expired, over=numbers.expired_over) if numbers.expired else None
    expires_in = None
    if numbers.expires_in:
        amount, unit = numbers.expires_in
        if amount < 0:
            raise calc.InputError("negative", field="expired")
        expires_in = calc.Expiry(amount * 7, "days") if unit == "week" else \
            calc.Expiry(amount * (12 if unit == "year" else 1), "months" if unit in ("month", "year") else "days")
    certified_ago = None
    if numbers.certified_ago:
        amount, unit = numbers.certified_ago
        certified_ago = calc.Expiry.of(amount, unit)
    unsure = numbers.conflict or (numbers.asks_late and not numbers.time_known) or \
        (numbers.other_ago and numbers.asks_late and numbers.expired is None and numbers.expiry is None)
    past = numbers.expiry_past
    if numbers.not_expired and numbers.expired is None and past is None:
        past = False
    return calc.When(expired=expired, expires_in=expires_in, expires_on=numbers.expiry, exact=numbers.expiry_exact,
                     year=numbers.expiry_year, past=past, certified_ago=certified_ago,
                     certified_year=numbers.certified_year if numbers.certified is None else None,
                     certified_on=numbers.certified if credential in ("NHA", "RMA") else None,
                     lapsed=numbers.lapsed, unsure=unsure)


def _stray_year(numbers: Numbers, text: str) -> int | None:
    """The oldest year named in a clause about the amounts, not about a date of the credential ("10 credits but
    they're from 2021", not "initially certified oct 2016"): the amounts may be from an earlier cycle."""
    dates = {numbers.expiry_year, numbers.certified_year, numbers.expiry.year if numbers.expiry else None,
             numbers.certified.year if numbers.certified else None}
    years = {int(year) for clause in _CLAUSE.split(text) if not _CREDENTIAL_DATE.search(clause)
             for year in re.findall(r"\b((?:19|20)\d\d)\b", clause)}
    return min(years - dates, default=None)


def _flags(numbers: Numbers, text: str) -> frozenset[str]:
    flags = set()
    if numbers.needs_given:
        flags.add("needs_given")
    if numbers.vague_extra:
        flags.add("vague_extra")
    if numbers.amount_conflict:
        flags.add("amount_conflict")
    if re.search(r"\b(?:idk|not\s+sure|prob(?:ably)?|don'?t\s+know|dunno|didn'?t\s+track)\b", text):
        flags.add("rest_unknown")
    return frozenset(flags)


def follow_up(previous: CheckState, numbers: Numbers) -> CheckState | None:
    """"clinical 12, admin 10" right after a verdict: the same check again with these numbers added."""
    amounts = {k: v for k, v in numbers.values.items() if k in AMOUNT_KEYS}
    if not amounts:
        return None
    return _normalised(CheckState(previous.credential, {**previous.values, **amounts}))


def _normalised(state: CheckState) -> CheckState:
    """The user's amounts as the calculator takes them: parts summed into a total, "all aama" applied, what was
    earned before the period taken off, a third category found from the total and the other two."""
    values = dict(state.values)
    if "total" not in values:  # one name for the one amount while the parts are summed; the credential's at the end
        for other in ("credits", "points"):
            if other in values:
                values["total"] = values.pop(other)
                break
    flags = values.get("flags", frozenset())
    cma = state.credential in ("CMA", None)
    if "from" in values:
        if cma and state.credential == "CMA":
            values["non_aama"] = values.get("non_aama", 0) + values.pop("from")
        elif state.credential is not None:
            values["total"] = values.get("total", 0) + values.pop("from")
    if not cma and "total" not in values and ("aama" in values or "non_aama" in values):
        values["total"] = values.pop("aama", 0) + values.pop("non_aama", 0)
    for excluded in ("before_period", "employment_part"):  # inside the total, and not counting
        if excluded in values:
            left_out = values.pop(excluded)
            for key in ("aama", "total") if {"aama", "total"} & values.keys() else ("hours",):
                if key in values:
                    values[key] = max(0, values[key] - left_out)
    cats = [k for k in ("admin", "clinical", "general") if k in values]
    if "vague_extra" in flags and "total" in values and "aama" not in values and "non_aama" not in values:
        values["aama"] = values.pop("total")  # "50 points plus some non aama": the 50 are the AAMA ones
    if values.get("total") == 0 and cma:
        values.update(aama=0, **{k: 0 for k in ("admin", "clinical", "general") if k not in values})
        cats = ["admin", "clinical", "general"]
    if values.pop("no_aama", None) and "aama" not in values:
        values["aama"] = 0
        if "total" not in values and "non_aama" in values:
            values["total"] = values["non_aama"]
        elif "total" in values and "non_aama" not in values:
            values["non_aama"] = values["total"]
    if values.pop("all_aama", None):
        amount = values.get("total", values.get("aama", sum(values[k] for k in cats) if len(cats) == 3 else None))
        if amount is not None:
            values["total"] = values["aama"] = amount
    if "total" not in values:
        if "aama" in values and "non_aama" in values:
            values["total"] = values["aama"] + values["non_aama"]
        elif len(cats) == 3 and cma:
            values["total"] = sum(values[k] for k in cats)
            if "aama" not in values and "non_aama" in values:
                values["aama"] = values["total"] - values["non_aama"]
        elif "aama" in values and not flags & {"needs_given", "vague_extra"}:
            values["total"] = values["aama"]
    elif "aama" not in values and "non_aama" in values and values["total"] >= values["non_aama"]:
        values["aama"] = values["total"] - values["non_aama"]
    if "total" in values and len(cats) == 2 and "rest_unknown" not in flags and cma:
        rest = values["total"] - sum(values[k] for k in cats)
        if rest >= 0:
            (third,) = {"admin", "clinical", "general"} - set(cats)
            values[third] = rest
    values = dict(_renamed_for(state.credential, values))  # the parts above may have made a total
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
    if isinstance(state.values.get("error"), calc.InputError):
        return Invalid(Problem.of(state.values["error"]), state.credential)
    try:
        _check_amounts(state.values)
    except calc.InputError as exc:
        return Invalid(Problem.of(exc), state.credential)
    if state.credential is None:
        return Asked(replace(state, asking="credential"))
    spec = CHECKS[state.credential]
    pending = [s for s in spec.steps if s not in state.skipped and not _has(state, s)]
    if state.guided:
        nxt = pending[0] if pending else None
        if nxt == "expired" and state.credential != "CMA" and _short(spec, state, rules, today):
            nxt = None  # short of credits or points: the expiry changes nothing of what to do next
    else:
        nxt = next((s for s in pending if s in spec.essential), None) if _needs_amounts(state) else None
    if nxt is not None:
        return Asked(replace(state, asking=nxt))
    if "amount_conflict" in state.values.get("flags", ()):
        return Asked(replace(state, asking=spec.amount, values={k: v for k, v in state.values.items()
                                                                 if k != "flags"}), Problem("conflict"))
    try:
        verdict = spec.run(rules, state.values, today)
    except calc.InputError as exc:
        if exc.code == "categories_over_total" and not state.guided:
            # Two statements that can't both be right: ask rather than guess.
            rest = {k: v for k, v in state.values.items() if k not in ("total", "aama")}
            return Asked(replace(state, asking="total", values=rest), Problem.of(exc))
        return Invalid(Problem.of(exc), state.credential)
    if verdict.status == calc.Status.NEED_INFO and verdict.ask in spec.steps and not verdict.dates:
        return Asked(replace(state, asking=verdict.ask))
    if verdict.ready and _doubtful(state, rules, today):
        verdict = replace(verdict, status=calc.Status.TOTALS_MET,
                          unconfirmed=("period",) if verdict.credential == "CMA" else ("cycle",))
    return Checked(verdict, replace(state, asking=None))


def _doubtful(state: CheckState, rules: calc.Rules, today: date) -> bool:
    """Amounts not yet earned, doubted, or dated before any current cycle of this credential could have begun."""
    if "doubted" in state.values.get("flags", ()):
        return True
    year = state.values.get("stray_year")
    cycle = {"CMA": rules["cma"]["cycle_years"], "NHA": rules["nha"]["cycle_years"],
             "RMA": rules["rma"]["ccp_cycle_years"]}.get(state.credential or "")
    return year is not None and cycle is not None and year < today.year - cycle


def _short(spec: CheckSpec, state: CheckState, rules: calc.Rules, today: date) -> bool:
    try:
        return bool(spec.run(rules, state.values, today).missing)
    except calc.InputError:
        return False


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
    if slot in ("total", "aama") and ("college" in state.values or "cpr" in state.values):
        return True  # college credits and CPR cards are points of a known kind (CMA-CE-NONAAMA, CMA-CPR)
    return slot in state.values


def _needs_amounts(state: CheckState) -> bool:
    # An expiry or a date alone is a question about time, not points: answer it without asking for points.
    when = state.values.get("when")
    told_time = isinstance(when, calc.When) and when != calc.When()
    about_time = "expired" in state.values or "certified" in state.values or told_time or \
        "certified_year" in state.values
    return not about_time


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
    if slot == "credits" and re.search(r"\b(hours?|hrs?)\b", turn.prepared):
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


def summary(outcome: Outcome) -> CheckSummary | None:
    """The outcome in plain values (status, shortfalls, expiry), as the reply states it."""
    match outcome:
        case Checked(verdict, state):
            until = verdict.dates.current_until if verdict.dates else None
            return CheckSummary(verdict.credential, str(verdict.status), dict(verdict.missing),
                                _standing_word(verdict.standing), until, verdict.ask)
        case Asked(state, _):
            when = state.values.get("when")
            standing = "unknown"
            if isinstance(when, calc.When) and (when.expires_in or when.past is False):
                standing = "current"
            return CheckSummary(state.credential, "need_info", expiry=standing, asks=state.asking)
        case Invalid(_, credential):
            return CheckSummary(credential, "input_error")
    return None


def _standing_word(standing: calc.Standing) -> str:
    return "unknown" if standing == calc.Standing.EXPIRED_UNKNOWN else str(standing)
