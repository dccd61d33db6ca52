"""Reading a user's own numbers out of a message: points, AAMA-approved points, categories, credits, hours,
how long ago a credential expired, and when it was certified.

Numbers may be written as words ("forty five"); text_to_num turns them into digits first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from text_to_num import alpha2digit

NUM = r"(-?\d+(?:\.\d+)?)"
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MONTH_RE = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"

_APPROVED = r"(?:aama[\s-]*approved|aama|approved)"
_UNIT = (r"(?:points?|pts|ceus?|ces|ce(?:\s*credits?|\s*units?)?|credits?|units?|ccp(?:\s*points?)?"
         r"|recert(?:ification)?\s*points?)")
_CATEGORY = {"admin": r"admin(?:istrative)?", "clinical": r"clinical", "general": r"general"}

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # "20 of them are aama approved", "20 aama-approved", "20 are from aama"
    ("aama", re.compile(rf"{NUM}\s*(?:{_UNIT}\s*)?(?:(?:of\s+)?(?:them|those|which|these|it)\s*)?"
                        rf"(?:(?:are|is|were|was|r)\s+)?(?:from\s+(?:the\s+)?)?{_APPROVED}")),
    # "aama approved: 20", "aama=20", "approved 20"
    ("aama", re.compile(rf"{_APPROVED}\s*(?:{_UNIT}\s*)?(?:[:=]|is|are|of)?\s*{NUM}")),
    ("non_aama", re.compile(rf"{NUM}\s*(?:{_UNIT}\s*)?(?:from\s+)?(?:non[\s-]*aama|other|outside)")),
    *[(name, re.compile(rf"{NUM}\s*(?:{_UNIT}\s*)?(?:in\s+|of\s+)?{pat}")) for name, pat in _CATEGORY.items()],
    *[(name, re.compile(rf"\b{pat}\s*(?:{_UNIT}\s*)?[:=]?\s*{NUM}")) for name, pat in _CATEGORY.items()],
    ("hours", re.compile(rf"{NUM}\s*(?:contact\s+)?(?:hours?|hrs?)\b")),
    ("total", re.compile(rf"{NUM}\s*(?:total\s*)?{_UNIT}\b")),
    ("total", re.compile(rf"\btotal\s*(?:of\s*)?(?:{_UNIT}\s*)?[:=]?\s*{NUM}")),
]
_EXPIRY_WORD = re.compile(r"expir|laps|ran out|inactive|overdue|late")
_EXPIRED_AGO = re.compile(
    rf"(?:expired?d?|laps(?:ed|e)|ran out|inactive)\D{{0,20}}?{NUM}\s*(day|week|month|year|mo|yr)s?\b"
    rf"|{NUM}\s*(day|week|month|year|mo|yr)s?\s*(?:ago|past|since|overdue|late)")
_EXPIRED_WORDS = re.compile(r"(?:expired?d?|laps(?:ed|e))\s+(yesterday|last\s+week|last\s+month|last\s+year)")
_NOT_EXPIRED = re.compile(r"(?:has\s*n[o']?t|hasnt|not|never|didn'?t|hasn'?t)\s+(?:yet\s+)?(?:expired?|lapsed)"
                          r"|still\s+(?:current|active|valid)")
_CERTIFIED = re.compile(
    rf"(?:certified|recertified|certification|recert|passed|got\s+(?:my\s+)?(?:cma|cert\w*|credential))"
    rf"\D{{0,25}}?(?:{_MONTH_RE}\s*(?:of\s+)?(\d{{4}})|(\d{{1,2}})\s*[/-]\s*(\d{{4}})|(\d{{4}})\s*-\s*(\d{{1,2}}))")
# "I have 45 points" is about the user's own numbers; "do I need 10 ceus in each category" is not.
_PERSONAL = re.compile(r"\b(i|we|ive|weve)\s*(have|ve|got|did|earned|completed|finished|took|only have|already have|"
                       r"am at|m at|certified|recertified|passed)\b|\b(my|our) \d|\bso far\b|"
                       r"\b(got|have|did|earned|completed|finished)\s+(only\s+|about\s+|like\s+)?\d|"
                       r"\b(done|completed|earned|finished)\b")
_WORD_AGO = {"yesterday": (1, "day"), "last week": (7, "day"), "last month": (1, "month"), "last year": (12, "month")}
_SHORT_UNITS = {"mo": "month", "yr": "year"}


@dataclass
class Numbers:
    values: dict[str, float] = field(default_factory=dict)  # total, aama, non_aama, admin, clinical, general, hours
    expired: tuple[float, str] | None = None  # (amount, day|week|month|year)
    not_expired: bool = False
    certified: date | None = None
    personal: bool = False

    @property
    def any(self) -> bool:
        return bool(self.values or self.expired or self.certified)


def prepare(text: str) -> str:
    text = text.lower().replace("’", "'").replace(",", " , ")
    text = alpha2digit(text, "en", threshold=0)
    text = re.sub(r"(?<=\d)\s*,\s*(?=\d{3}\b)", "", text)  # "10,000" -> "10000"
    return re.sub(r"\s+", " ", text)


def extract(text: str, is_prepared: bool = False) -> Numbers:
    """The user's own numbers in `text` (already `prepare`d when `is_prepared`)."""
    prepared = text if is_prepared else prepare(text[:2000])
    found = Numbers(personal=bool(_PERSONAL.search(re.sub(r"'", "", prepared))))
    taken: list[tuple[int, int]] = []

    def free(span) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    for match in _CERTIFIED.finditer(prepared):
        month_name, year1, m2, year2, year3, m3 = match.groups()
        year, month = (int(year1), MONTHS[month_name[:3]]) if month_name else \
            (int(year2), int(m2)) if year2 else (int(year3), int(m3))
        if 1 <= month <= 12 and 1950 <= year <= 2200:
            found.certified = date(year, month, 1)
            taken.append(match.span())
            break
    for match in _EXPIRED_AGO.finditer(prepared if _EXPIRY_WORD.search(prepared) else ""):
        amount = match.group(1) or match.group(3)
        unit = match.group(2) or match.group(4)
        found.expired = (float(amount), _SHORT_UNITS.get(unit, unit))
        taken.append(match.span())
        break
    if found.expired is None:
        word = _EXPIRED_WORDS.search(prepared)
        if word:
            found.expired = _WORD_AGO[re.sub(r"\s+", " ", word.group(1))]
    found.not_expired = bool(_NOT_EXPIRED.search(prepared)) and found.expired is None

    for name, pattern in _PATTERNS:
        for match in pattern.finditer(prepared):
            span = match.span(1) if match.lastindex else match.span()
            if name in found.values or not free(match.span()) or not free(span):
                continue
            found.values[name] = float(match.group(1))
            taken.append(span)
    return found
