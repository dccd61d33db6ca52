"""Reading a user's own numbers out of a message: points, AAMA-approved points, categories, credits, hours,
college credits and CPR cards; when the credential expires or expired, and when it was certified.

The message is read in steps, each with one job:
- numbers written as words become digits ("forty five" -> 45) and the text is folded (`prepare`);
- a correction ("sorry I mean", "wait no", "actually") splits it into parts, and what a later part says wins;
- what the user *needs*, earned in a *last cycle*, carries over, or earned by employment is masked out;
- dates and durations are read with the verb they belong to (expires / expired / certified / other events);
- labels (aama, admin, clinical, general, ...) bind to the nearest number on either side.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from text_to_num import alpha2digit

NUM = r"(-?\d+(?:\.\d+)?)"
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "wk": "week", "wks": "week",
          "month": "month", "months": "month", "mo": "month", "mos": "month", "year": "year", "years": "year",
          "yr": "year", "yrs": "year"}
_DURATION_UNIT = r"(days?|weeks?|wks?|months?|mos?|years?|yrs?)\b"

# --- what a date or duration belongs to: the nearest of these words before it ------------------------------
_FUTURE = (r"expires?|expiring|runs?\s+out\s+(?=in\b|on\b|next\b)|exp\b|will\s+(?:lapse|expire|run\s+out)|"
           r"(?:is\s+)?due|renews?|renewing|renewal|"
           r"good\s+(?:til+|until|thru|through|till|for)|valid\s+(?:until|thru|through|till)|up\s+in|is\s+up|"
           r"ends\b|ending|about\s+to\s+expire|not\s+expired\s+yet|isn'?t\s+expired\s+yet|expiration(?:\s+date)?|"
           r"deadline|before|by")
_PAST = (r"expired|lapsed|ran\s+out|run\s+out|ended|missed\s+(?:my\s+)?(?:deadline|renewal)|"
         r"decertified|been\s+expired|went\s+inactive")
# "recert in 2021" is when it was done, but "due for recert in 2028" is when it is due
_CERT = (r"certified|(?:my\s+)?last\s+renewal(?:\s+in)?|recertified|(?<!for\s)(?<!to\s)(?<!next\s)"
         r"recert(?:ified)?\s+(?:in|on)|"
         r"certification\s+date|cert\s+date|"
         r"got\s+(?:my\s+)?(?:cma|ccma|rma|ncma|cmaa|cert\w*|credential)|passed(?:\s+(?:my|the))?(?:\s+cma|\s+ccma|"
         r"\s+rma)?(?:\s+exam)?|since|(?:cma|ccma|rma|ncma|cmaa)\b(?=\s+(?:" + _MON + r"|\d{1,2}/\d{4}))")
_OTHER = (r"finished|completed|submitted|sent|renewed\s+my\s+(?:cpr|bls)|(?:cpr|bls)\s+card|card|paid|graduated|"
          r"took|did|class|course|ceu|retook|started|was\s+on|moved|working|worked")
_CORRECTION = re.compile(r"(?:sorry\s*,?\s*i\s+mean[t]?|\bi\s+mean[t]?\b|wait\s*,?\s*no\b|no\s*,?\s*wait\b|\bactually\b"
                         r"(?:\s*,?\s*no\b)?|scratch\s+that|oops\s*,?\s*no\b|\.\.\.\s*no\b|\bcorrection\b)")
# "march or was it april", "2021 or maybe 2022": two dates; "does that count or is it separate?" is no conflict
_CONFLICT = re.compile(r"\bor\s+(?:was\s+it|maybe|is\s+it|did\s+it)\s+(?:\w+\s+){0,2}?(?:\d|(?:jan(?:uary)?|feb(?:ruary)?|"
                       r"mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|"
                       r"dec(?:ember)?)\b)|"
                       r"expired\W+or\s+expires?|expires\W+or\s+expired")
_AMOUNT_CONFLICT = re.compile(r"\bsays\s+\d+\s+but\s+(?:i|we)\s+(?:counted|count|have|think)\b|"
                              r"\b\d+\s+(?:or|maybe)\s+\d+\s+(?:points?|pts|ceus?|credits?)")
_PERSONAL = re.compile(
    r"\b(i|we|ive|weve|im)\s*(have|ve|got|did|earned|completed|finished|took|only have|already have|am at|m at|"
    r"certified|recertified|passed|had|hit|logged|recounted|counted|m already at|m at)\b|\b(my|our) \d|\bso far\b|"
    r"\b(got|have|did|earned|completed|finished|logged|had)\s+(only\s+|about\s+|like\s+|all\s+)?\d|"
    r"\b(done|completed|earned|finished)\b|\b(tengo|llevo|hice|me sobraron)\b|\bhave:|\bthis\s+cycle\b")
# Asking where one stands: also what the dialogue reads as asking the calculator (bot.check_flow)
ASKS_LATE = re.compile(r"too\s+late|am\s+i\s+(?:expired|late|on\s+time|still\s+(?:ok|good|current))|"
                        r"(?:is\s+)?my\s+(?:cma|ccma|cert\w*)\s+(?:is\s+)?expired\s+too|expired\s+now|on\s+time|"
                        r"still\s+inside|still\s+(?:in\s+)?(?:the\s+)?window|still\s+good|still\s+(?:recert|submit|send)")
ASKS_HAVE = re.compile(r"how\s+many\s+more|where\s+am\s+i|do\s+i\s+have\s+enough|how\s+close|what\s+else")

_WORD_AGO = {"yesterday": (1, "day"), "last week": (7, "day"), "last month": (1, "month"), "last year": (12, "month")}


@dataclass
class Numbers:
    values: dict[str, float] = field(default_factory=dict)  # total, aama, non_aama, admin, clinical, general, hours,
    #                                                         college (credits), cpr (cards), excluded (points)
    expired: tuple[float, str] | None = None  # how long ago it expired: (amount, day|week|month|year)
    expired_over: bool = False  # "over / more than N ago"
    expires_in: tuple[float, str] | None = None  # how long until it expires
    expiry: date | None = None  # the expiry date, when a month (and perhaps a day) was given
    expiry_exact: bool = False  # the day was given too
    expiry_year: int | None = None  # only a year was given
    expiry_past: bool | None = None  # the tense of a stated expiry: True expired, False not yet
    not_expired: bool = False
    certified: date | None = None  # the latest (re)certification month
    certified_year: int | None = None  # only a year was given
    certified_ago: tuple[float, str] | None = None  # "passed the exam 4 months ago"
    cycle_start: int | None = None  # "my cycle is 2024-2027": earned before this year does not count
    lapsed: bool = False  # decertified, or a cycle that ended without the points
    conflict: bool = False  # two different statements of the same thing
    asks_late: bool = False  # "is it too late", "am i expired"
    asks_have: bool = False  # "how many more", "where am i at"
    amount_conflict: bool = False  # two different totals
    needs_given: bool = False  # a figure the user needs (not has) was set aside
    vague_extra: bool = False  # "plus some non aama stuff": a part of unknown size
    other_ago: bool = False  # an "N ago" about another event (finished, submitted, renewed a card)
    dated_amounts: list[tuple[float, int]] = field(default_factory=list)  # (amount, year earned)
    # "40 points but 12 are from 2021": part of the total, and the year it was earned
    dated_parts: list[tuple[float, int]] = field(default_factory=list)
    cpr_years: list[int] = field(default_factory=list)  # the years the CPR cards were issued, when given
    college_year: int | None = None  # the year of a college course, when given
    personal: bool = False

    @property
    def any(self) -> bool:
        return bool(self.values or self.expired or self.certified or self.expiry or self.expires_in)

    @property
    def time_known(self) -> bool:
        return bool(self.expired or self.expires_in or self.expiry or self.expiry_year or self.certified
                    or self.certified_year or self.certified_ago or self.not_expired or self.expiry_past is not None)


Rewrites = tuple[tuple[re.Pattern[str], str], ...]


@cache
def _reading(language: str) -> tuple[Rewrites, Rewrites]:
    """A language's ways of saying amounts, dates and times, as the English the patterns below read
    (faq/data/<language>/reading.yaml): what to rewrite before its numbers in words become digits, and after;
    none for English."""
    path = Path(__file__).parent / "data" / language / "reading.yaml"
    if language == "en" or not path.exists():
        return (), ()
    import yaml  # here: English, the start-up's language, reads no YAML

    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return tuple(tuple((re.compile(pattern), replacement) for pattern, replacement in raw.get(part) or ())
                 for part in ("before_numbers", "after_numbers"))  # type: ignore[return-value]


def _without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def prepare(text: str, language: str = "en") -> str:
    text = text.lower().replace("’", "'").replace(",", " , ")
    before, after = _reading(language)
    if before or after:
        text = _without_accents(text)
        for pattern, replacement in before:
            text = pattern.sub(replacement, text)
        # Spanglish says its numbers in either language: "se me vencio like two years ago"
        text = alpha2digit(alpha2digit(text, language, threshold=0), "en", threshold=0)
        for pattern, replacement in after:
            text = pattern.sub(replacement, text)
    text = re.sub(r"\b(cma|ccma)\s*\(\s*(aama|nha)\s*\)", r"\1", text)  # "cma (aama)" names the credential only
    text = re.sub(r"\b(a|an|one)\s+(?=(?:college\s+)?credit\b)", "1 ", text)
    text = re.sub(r"\b(every|each|no)\s+one\b", r"\1one", text)  # "every one of them": not a number
    # "not aama ones": a pronoun, which text2num would read as 1
    text = alpha2digit(re.sub(r"\bones\b", "\0nes", text), language, threshold=0).replace("\0nes", "ones")
    text = re.sub(r"(?<=\d)\s*,\s*(?=\d{3}\b)", "", text)  # "10,000" -> "10000"
    return re.sub(r"\s+", " ", text)


# --- dates -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Date:
    start: int
    end: int
    year: int | None
    month: int | None
    day: int | None = None


_DateParts = Callable[["re.Match[str]"], tuple[int | None, int | None, int | None]]
# 1/31/27 after a date word ("exp 1/31/27"): alone, "10/10/20" is three category amounts far more often
_MDY = re.compile(r"\b(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/(2\d|3[0-2])\b(?!/)")
_DATE_WORD_BEFORE = re.compile(r"\b(?:exp\w*|due|until|til|on|by|date|certified|since|renew\w*|lapsed|ran\s+out)\W*$")
_DATE_PATTERNS: list[tuple[re.Pattern[str], _DateParts]] = [
    # 09/15/2021, 11/30/2026
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), lambda m: (int(m[3]), int(m[1]), int(m[2]))),
    # 15 september 2021, 31st of july
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MON})(?:\s*,?\s*(\d{{4}}))?"),
     lambda m: (int(m[3]) if m[3] else None, MONTHS[m[2][:3]], int(m[1]))),
    # september 15 2021, jan 31 2027, aug 31, march 2021, march 22 (a year "22" after a card)
    (re.compile(rf"\b({_MON})(?:\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:points?|pts|ceus?|credits?|hours?|aama)))?"
                rf"(?:\s*,?\s*(?:of\s+)?(\d{{4}}))?"),
     lambda m: (int(m[3]) if m[3] else None, MONTHS[m[1][:3]], int(m[2]) if m[2] else None)),
    # 1/31/27
    (_MDY, lambda m: (2000 + int(m[3]), int(m[1]), int(m[2]))),
    # 03-31-2027
    (re.compile(r"\b(\d{1,2})-(\d{1,2})-(\d{4})\b"), lambda m: (int(m[3]), int(m[1]), int(m[2]))),
    # 4/2021, 06/2024, 2/2027
    (re.compile(r"\b(\d{1,2})\s*/\s*(\d{4})\b"), lambda m: (int(m[2]), int(m[1]), None)),
    # "exp 3/27", "12/26": month and year, as on a card
    (re.compile(r"(?<![\d/])(0?[1-9]|1[0-2])/(\d{2})\b(?!\s*/|\s*(?:points?|pts|ceus?|credits?|hours?|aama|admin|clin|gen))"),
     lambda m: (2000 + int(m[2]), int(m[1]), None)),
    # 2020-11
    (re.compile(r"\b(\d{4})-(\d{1,2})\b(?!-)"), lambda m: (int(m[1]), int(m[2]), None)),
    # a bare year
    (re.compile(r"\b(19[5-9]\d|20\d\d)\b"), lambda m: (int(m[1]), None, None)),
]


def _dates(text: str) -> list[_Date]:
    found: list[_Date] = []
    for pattern, parts in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(not (m.end() <= d.start or m.start() >= d.end) for d in found):
                continue
            if pattern is _MDY and not _DATE_WORD_BEFORE.search(text[max(0, m.start() - 16):m.start()]):
                continue
            if pattern.pattern.startswith(r"\b(") and m[0] in ("may",) and not re.search(r"\bmay\s+\d|in\s+may|"
                                                                                     r"by\s+may", text):
                continue
            year, month, day = parts(m)
            if month is not None and m.group(0).strip() in ("mar", "may", "jun", "dec") and year is None \
                    and day is None and not re.search(rf"(?:in|by|since|until|til|thru|of|expires?|exp|due|ends?|"
                                                      rf"renews?|ran out|expired|lapsed)\s+{m.group(0)}\b", text):
                continue
            found.append(_Date(m.start(), m.end(), year, month, day))
    return sorted(found, key=lambda d: d.start)


def _verb_before(text: str, start: int, window: int = 45) -> str | None:
    """Which kind of event the words just before `start` name: future, past, cert, other, or None."""
    before = text[max(0, start - window):start]
    best: tuple[int, str] | None = None
    for kind, pattern in (("cert", _CERT), ("past", _PAST), ("future", _FUTURE), ("other", _OTHER)):
        for m in re.finditer(rf"\b(?:{pattern})", before):  # "gradue" holds no "due", "baby" no "by"
            if best is None or m.end() > best[0] or (m.end() == best[0] and kind == "cert"):
                best = (m.end(), kind)
    if best is None:
        return None
    # "expired in ..." read as past, "expires in" as future; the last verb wins
    return best[1]


# --- the parts of a message -------------------------------------------------------------------------------

_NEED = re.compile(r"\bneed(?:s|ed)?\b(?!\s+(?:to\s+(?:do|take|know|submit|send|renew|finish|get)|help))"
                   r"[^.?!;]*?(?=\bi\s+have\b|\band\s+i\b|\bi\s+did\b|\bso\s+i\b|\bbut\s+i\b|\bi'?ve\b|\bi'?m\b|"
                   r"\bhave:|[.?!;]|\bhow\b|$)")
_NEED_AFTER = re.compile(r"\d+\s+is\s+what\s+i\s+need|\bdo\s+i\s+need\s+\d+")
_LAST_CYCLE = re.compile(r"\blast\s+(?:cycle|time|period|renewal)\b[^.?!;,]*?"
                         r"(?=\bbut\b|\band\b|\bthis\s+(?:cycle|time)|\bso\b|"
                         r"\d+\s+(?:(?:points?|pts|ceus?|credits?|ccp)\s+)?this\s+(?:cycle|time)|"
                         r"\bplus\b|[.?!;,]|$)|(?:el\s+)?ciclo\s+pasado[^.?!;]*?(?=\by\s+en\b|[.?!;]|$)")
# "1 hour videos", "2 hour webinars": the length of each of several items, not hours the user has ("a 6 hour
# course" is the user's 6 hours)
_EACH_ITEM_AFTER = (r"(?!\s*(?:long\s+)?(?:videos|webinars|courses|classes|sessions|modules|trainings|lectures|"
                    r"programs|lessons|seminars|workshops)\b)")
_SAME_AGAIN = re.compile(r"\b(?:that|this|the\s+same|those|these|ese|esa|esas|esos|el\s+mismo|la\s+misma)\s+$")
_LAST_CYCLE_BEFORE = re.compile(r"\d+\s*(?:(?:points?|pts|ceus?|credits?|hours?|ccp)\s*)*\s+"
                                r"(?:last\s+(?:cycle|time|period))")
_CARRY = re.compile(r"(?:\bextra\s+\d+|\d+\s+extra|\d+\s*(?:points?|pts|credits?)?\s+(?:carry|roll))[^.?!;,]*"
                    r"|\(\s*\d+\s+extra\s*\)")
# "do the 10 CE credits have to be in certain topics?", "45 of the 60 points": the rule's figure, not the user's
# "is it 30 ccp points every 3 years?", "is 10 admin 10 clinical 10 general the minimum?": the rule, asked about
_THE_RULE = re.compile(r"\b(?:the|those|these)\s+\d+(?:\.\d+)?\s*(?:ce\s*|ccp\s*|aama\s*)?(?:credits?|points?|pts|ceus?|"
                       r"hours?|units?)\b|\d+(?:\.\d+)?\s*(?:ce\s*|ccp\s*|aama\s*)?(?:credits?|points?|pts|ceus?|hours?|"
                       r"units?)\s+(?:every|per|each|a)\s+(?:\d+\s+)?(?:years?|cycle|renewal|period)\b|"
                       r"\b(?:is|are)\s+(?:it\s+)?[^.?!]*\d[^.?!]*\bthe\s+(?:minimum|min|requirement|rule)\b|"
                       r"\b(?:aama|nha|amt|ncct|they|it)\s+(?:requires?|needs?|wants?|asks\s+for)\s+(?:at\s+least\s+)?\d+"
                       r"[^.?!;,]*")
# "counts as 4", "15 cards lol thats 60 points right?": a conversion or the user's own sum, not another amount
_RATE = re.compile(r"\b(?:counts?\s+(?:as|for)|worth|equals?|=)\s+\d+|\b(?:that'?s|which\s+is)\s+\d+(?!\d)(?!\s*(?:aama|"
                   r"approved|non|other|of|admin|clin|gen))")
# what a number next to "have" counts when it is no CE: "i have 3 kids and 20 aama points"
_NOT_COUNTED = (r"(?:kids?|children|child|hijos?|hijas?|patients?|pacientes|years?|yrs?|anos|months?|meses|weeks?|"
                r"semanas|days?|dias|jobs?|trabajos|dogs?|cats?|grandkids|nietos|people|personas|coworkers?|shifts?|"
                r"attempts?|tries|intentos|times|veces)\b")
_THOUGHT = re.compile(r"\bthought\s+(?:that\s+|it\s+)?(?:was|were|is|meant)\s+(?:my\s+|the\s+)?\d+[^.?!;,]*")
_RECERT_WITH = re.compile(r"recertified\s+[a-z0-9/ ]{0,20}?\s+with\s+\d+\s*(?:points?|pts|ceus?)?")
_EMPLOYMENT = re.compile(r"\d+\s*(?:points?|pts)?\s+(?:(?:of\s+(?:them|those)\s+)?(?:are|were|is|was)\s+)?(?:for|from)\s+"
                         r"(?:working|employment|work\b|my\s+job)"
                         r"|\d+\s*(?:points?|pts)?\s+for\s+employment|put\s+\d+\s+for\s+employment")
# "15 of them were before my cycle", "but 6 are from the last cycle", "12 of them i earned before my last recert":
# part of the total that does not count
_BEFORE_PERIOD = re.compile(r"\b(\d+)\s+(?:of\s+(?:them|those|these)\s+)?(?:(?:were|are|was|is|son|eran)\s+|"
                            r"i\s+(?:earned|got|did|took)\s+)(?:from\s+|earned\s+|del?\s+)?(?:before\b|"
                            r"(?:the\s+|my\s+)?(?:last|previous|old)\s+(?:cycle|period))")


# Someone else's numbers ("my coworker has 60 points, 30 aama, and she's good. I only have 35"): not the user's
_SOMEONE_ELSE = re.compile(r"\b(?:my\s+|mi\s+)?(?:co-?workers?|friends?|boss|manager|supervisor|colleagues?|sister|"
                           r"brother|cousin|mom|wife|husband|classmates?|companera|amiga|amigo|jefa|jefe|she|he)\s+"
                           r"(?:already\s+|only\s+|just\s+)?(?:has|had|got|did|tiene|tenia)\b[^.?!;]*?"
                           r"(?=\b(?:i|i'?m|im|i'?ve|yo|mine)\b|[.?!;]|$)")


# "12 of them are from 2021": part of the total, earned in that year (the cycle's start decides whether it counts)
_DATED_PART = re.compile(r"\b(\d+)\s+(?:of\s+(?:them|those|these)\s+)?(?:are|were|r|son|eran)\s+(?:from|in|de|del)\s+"
                         r"((?:19|20)\d\d)\b")


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            if chars[i].isdigit() or chars[i] in "-.":
                chars[i] = "#"
    return "".join(chars)


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")


def _relative_times(text: str, today: date) -> str:
    """"expires next month", "ran out last month", "next may": the month named, with its year ("5 years ago this
    month" stays: the years before it date it); "3 months and 2 weeks", in days."""
    def relative(m: re.Match[str]) -> str:
        index = today.year * 12 + today.month - 1 + {"this": 0, "last": -1, "next": 1}[m[1]]
        return f"{_MONTH_NAMES[index % 12]} {index // 12}"

    def next_named(m: re.Match[str]) -> str:
        return f"{m[1]} {today.year + (MONTHS[m[1][:3]] <= today.month)}"

    # ("expired last month" and "the end of last month" are read as they always were: a month ago, its last day)
    text = re.sub(r"(?<!ago )(?<!expired )(?<!lapsed )(?<!end of )\b(this|last|next)\s+month\b", relative, text)
    text = re.sub(rf"\bnext\s+({_MON})(?!\s*\d)", next_named, text)
    # "3 mo n 2 wks ago": one duration, in days (past 90 days or not is what matters)
    return re.sub(r"\b(\d+)\s*(?:months?|mos?)\s*(?:and|n|&|,|\+)?\s*(\d+)\s*(?:weeks?|wks?)\b",
                  lambda m: f"{round(int(m[1]) * 30.44 + int(m[2]) * 7)} days", text)


def extract(text: str, is_prepared: bool = False, today: date | None = None) -> Numbers:
    """The user's own numbers in `text` (already `prepare`d when `is_prepared`); a month without a year is the
    next one to come when the user speaks of a future expiry, the last one gone for a past one."""
    today = today or date.today()
    prepared = _relative_times(text if is_prepared else prepare(text[:2000]), today)
    found = Numbers(personal=bool(_PERSONAL.search(re.sub(r"'", "", prepared))))
    found.conflict = bool(_CONFLICT.search(prepared))
    found.amount_conflict = bool(_AMOUNT_CONFLICT.search(prepared))
    found.asks_late = bool(ASKS_LATE.search(prepared))
    found.asks_have = bool(ASKS_HAVE.search(prepared))
    parts = _CORRECTION.split(prepared)
    previous_main: str | None = None
    previous_date: Numbers | None = None
    for index, part in enumerate(parts):
        one = Numbers()
        values, main = _amounts(part, one)
        _times(part, one, today)
        if one.values.get("bad_date"):
            values["bad_date"] = 1
        if index and previous_main and (lead := re.match(r"[^\d]{0,25}?(?<![\d/])(\d+(?:\.\d+)?)\b(?!\s*(?:points?|pts|"
                                                           r"ceus?|aama|admin|clin|gen|non|other|credits?|hours?|/|"
                                                           r"months?|days?|weeks?|years?))", part)):
            values.setdefault(previous_main, float(lead.group(1)))
        if index and previous_date is not None and previous_date.expiry and one.expiry is None \
                and one.expiry_year and one.expired is None:
            one.expiry = previous_date.expiry.replace(year=one.expiry_year)
            one.expiry_year = None
            one.expiry_past = one.expiry < today if one.expiry_past is None else one.expiry_past
        if index and {"total", "hours"} & values.keys():
            # "10 credits worth of hours... 10 hours i mean": the correction restates the same CE in other units
            for earlier in {"total", "hours"} - values.keys():
                found.values.pop(earlier, None)
        _merge(found, one, values)
        previous_main = main or previous_main
        if one.expiry or one.expiry_year:
            previous_date = one
    return found


def _merge(found: Numbers, one: Numbers, values: dict[str, float]) -> None:
    if values:
        found.values.update(values)  # a later (correcting) part's amounts win
    time_fields = ("expired", "expires_in", "expiry", "expiry_year")
    if any(getattr(one, f) for f in time_fields) or one.expiry_past is not None:
        for f in (*time_fields, "expired_over", "expiry_exact", "expiry_past", "not_expired"):
            setattr(found, f, getattr(one, f))
    for f in ("certified", "certified_year", "certified_ago", "cycle_start"):
        if getattr(one, f) is not None:
            setattr(found, f, getattr(one, f))
    found.cpr_years = one.cpr_years or found.cpr_years
    found.dated_amounts += one.dated_amounts
    found.dated_parts += one.dated_parts
    found.college_year = one.college_year or found.college_year
    for f in ("lapsed", "needs_given", "vague_extra", "other_ago", "not_expired"):
        setattr(found, f, getattr(found, f) or getattr(one, f))


# --- time ---------------------------------------------------------------------------------------------------

def _times(text: str, found: Numbers, today: date) -> None:
    certified: list[date] = []
    # durations: "expired 2 months ago", "expires in 3 weeks", "passed the exam 4 months ago"
    for m in re.finditer(rf"(?:(over|more\s+than|about|like|almost|nearly)\s+)?{NUM}\s*{_DURATION_UNIT}"
                         rf"(?:\s+(ago|past|since|overdue|late))?", text):
        amount, unit = float(m.group(2)), _UNITS[m.group(3)]
        verb = _verb_before(text, m.start(), 40)
        after = text[m.end():m.end() + 12]
        ago = bool(m.group(4)) or after.strip().startswith("ago")
        if verb == "past" and re.search(r"(?:cpr|bls|card)\s+(?:has\s+|had\s+)?(?:expired|lapsed)\s*$",
                                        text[max(0, m.start() - 30):m.start()]):
            verb = "other"
        expiry_before = re.search(r"expir|laps", text[max(0, m.start() - 60):m.start()])
        since_expiry = m.group(4) == "since" and re.match(r"\s*(?:my\s+|it\s+)?(?:\w+\s+)?(?:lapsed|expired)",
                                                          text[m.end():])
        # "cma exp 3 mo ago": an expiry word with "ago" is past, whatever its tense
        exp_ago = verb == "future" and ago and re.search(r"\bexp\w*\s+(?:like\s+|about\s+)?$",
                                                         text[max(0, m.start() - 16):m.start()])
        if verb == "past" or (verb is None and ago and expiry_before) or since_expiry or exp_ago:
            if found.expired is None:
                found.expired, found.expired_over = (amount, unit), bool(m.group(1) in ("over", "more than")
                                                                          if m.group(1) else False)
                found.expiry_past = True
        elif verb == "cert" and ago:
            found.certified_ago = (amount, unit)
        elif verb in ("future",) and not ago:
            if found.expires_in is None and re.search(r"\bin\s+(?:like\s+|about\s+)?$|\bfor\s+$|"
                                                       r"\b(?:ends?|expires?)\s+$",
                                                       text[max(0, m.start() - 12):m.start()]):
                found.expires_in = (amount, unit)
                found.expiry_past = False
        elif ago:
            found.other_ago = True
            if re.match(r"[^.?!;]{0,30}\bpassed\s+(?:the\s+|my\s+)?(?:cma|ccma|rma|ncma|exam)\w*(?:\s+exam)?"
                        r"\s+right\s+after", text[m.end():]):
                found.certified_ago = (amount, unit)  # "graduated 2 years ago, passed the cma right after"
    if re.search(r"\b\d+\s+more\s+months?\b", text) and found.expires_in is None and re.search(r"not\s+expired", text):
        m2 = re.search(r"\b(\d+)\s+more\s+(months?)\b", text)
        if m2:
            found.expires_in = (float(m2.group(1)), "month")
    if re.search(r"(?:expired?d?|laps(?:ed|e))\s+(?:at\s+|on\s+)?(?:the\s+)?end\s+of\s+last\s+month", text) \
            and found.expired is None and found.expiry is None:
        found.expiry = today.replace(day=1) - timedelta(days=1)  # the last day of the month before this one
        found.expiry_exact, found.expiry_past = True, True
    for word, (amount, unit) in _WORD_AGO.items():
        if re.search(rf"(?:expired?d?|laps(?:ed|e))\s+{word}", text) and found.expired is None:
            found.expired, found.expiry_past = (amount, unit), True
    if re.search(r"expires?\s+tomorrow|expires?\s+today", text):
        found.expires_in, found.expiry_past = (1, "day"), False
    if re.search(r"(?:expires?|expiring|due|renews?|is\s+up|up|ends?|lapse|expire)\s+(?:next|this)\s+"
                 r"(?:month|year|week|spring|summer|fall|autumn|winter)|\bends\s+soon|next\s+year\b", text) \
            and found.expiry_past is None:
        found.expiry_past = False
    if re.search(r"about\s+to\s+expire|is\s*n'?t\s+expired\s+yet|not\s+expired\s+yet|(?:has\s*n[o']?t|hasnt|not|never|"
                 r"didn'?t|hasn'?t)\s+(?:yet\s+)?(?:expired?|lapsed)|still\s+(?:current|active|valid)|"
                 r"\bis\s+fine\b|\bgood\s+(?:til|until|till|thru)", text):
        found.not_expired = True
        if found.expiry_past is None:
            found.expiry_past = False
    if re.search(r"cycle\s+ends\b|\bends\s+same\s+time", text) and found.expiry_past is None:
        found.expiry_past = False
    if found.expiry_past is None and re.search(
            r"\b(?:cma|ccma|rma|ncma|cmaa|it|cert\w*|credential|mine|nha\s+cert)\s+(?:is\s+|has\s+|already\s+|just\s+)?"
            r"(?:expired|lapsed)\b(?!\s+(?:\d|over|more|in|at|on|last|yesterday|" + _MON + r"))", text):
        found.expiry_past = True
    if re.search(r"\bdecertified\b|cycle\s+ended|ended\s+in\s+" + _MON, text):
        found.lapsed = True
    cycle = re.search(r"cycle\s+(?:is|was|runs?)\s+(\d{4})\s*-\s*(\d{4})", text)
    if cycle:
        found.cycle_start = int(cycle.group(1))
        found.expiry_year = int(cycle.group(2))
        found.expiry_past = False
    began = re.search(rf"\b(?:cycle|period)\s+(?:started|began|starts|start(?:ed)?\s+in)\s+(?:in\s+|on\s+)?"
                      rf"(?:{_MON}\s+)?((?:19|20)\d\d)\b", text)
    if began and not cycle:
        found.cycle_start = int(began.group(1))
    for d in _dates(text):
        if cycle and cycle.start() <= d.start < cycle.end():
            continue
        verb = _verb_before(text, d.start)
        between = text[max(0, d.start - 45):d.start]
        if verb == "past" and re.search(r"(?:cpr|bls|card)\s+(?:has\s+|had\s+)?(?:expired|lapsed)\s+(?:in|on|at)?\s*$",
                                        between):
            verb = "other"  # "my bls card expired in august": the card's date, not the credential's
        if verb == "other" or verb is None:
            if verb is None and d.year and re.search(r"\b(cma|ccma|rma|ncma|nha|cmaa)\s+(?:in\s+|since\s+)?$",
                                                      between):
                verb = "cert"
            else:
                continue
        if verb == "cert":
            if d.month is None:
                if d.year and d.year <= today.year + 10:
                    found.certified_year = max(found.certified_year or 0, d.year)
                continue
            if d.year is None:
                continue
            if not 1 <= d.month <= 12 or (d.day is not None and not 1 <= d.day <= 31):
                found.values["bad_date"] = 1
                continue
            certified.append(date(d.year, d.month, 1))
            continue
        past = verb == "past"
        if verb == "future" and re.search(r"\b(?:expired|lapsed|ran out|ended)\b", between[-25:]):
            past = True
        if d.month is None:
            if d.year is not None:
                found.expiry_year, found.expiry_past = d.year, past or d.year < today.year
            continue
        if not 1 <= d.month <= 12:
            found.values["bad_date"] = 1
            continue
        year = d.year
        if year is None:
            year = today.year
            end = _month_end(year, d.month) if d.day is None else _safe(year, d.month, d.day)
            if past and end is not None and end > today:
                year -= 1
            elif not past and end is not None and end < today:
                year += 1
        day = _safe(year, d.month, d.day) if d.day else _month_end(year, d.month)
        if day is None:
            found.values["bad_date"] = 1
            continue
        found.expiry, found.expiry_exact, found.expiry_past = day, d.day is not None, day < today
    if certified:
        # the latest (re)certification counts (CMA-CYCLE); a later bare year leaves the month to ask
        latest = max(certified)
        if not (found.certified_year and found.certified_year > latest.year):
            found.certified_year = None
        found.certified = latest
    if found.expired and found.expires_in:
        found.conflict = True


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe(year: int, month: int, day: int | None) -> date | None:
    try:
        return date(year, month, day or 1)
    except ValueError:
        return None


# --- amounts --------------------------------------------------------------------------------------------------

_U = r"(?:points?|pts|pnts|ceus?|ces|ce\s*credits?|ce\s*units?|credits?|credts?|creds?|units?|ccp(?:\s*points?|\s*pts)?|" \
     r"recert(?:ification)?\s*points?|puntos(?:\s+ccp)?|cr[eé]ditos|ones)"
_AAMA = r"(?:aama[\s-]*approved|aama|approved|aprobados\s+por\s+la\s+aama)"
_NON = r"(?:non[\s-]*aama(?:[\s-]*approved)?|nonaama|other|outside|not\b(?!\s+(?:aama|counting|sure))|no\s+aama)"
_CATS = {"admin": r"(?:admin(?:istrative)?|adm)\b", "clinical": r"(?:clinical|clin)\b", "general": r"(?:general|gen)\b"}
_SEP = r"\s*(?:[:=]\s*|-\s*|is\s+|are\s+)?(?:" + _U + r"\s*)?(?:in\s+|of\s+)?"


def _amounts(text: str, found: Numbers) -> tuple[dict[str, float], str | None]:
    """The amounts in one part of a message, and the field its first amount went to."""
    spans: list[tuple[int, int]] = []
    for pattern in (_NEED, _NEED_AFTER, _LAST_CYCLE, _LAST_CYCLE_BEFORE, _CARRY, _RECERT_WITH, _THOUGHT, _RATE,
                    _THE_RULE, _SOMEONE_ELSE):
        for m in pattern.finditer(text):
            if pattern in (_NEED, _NEED_AFTER) and re.search(r"\d", m.group(0)) and \
                    not re.search(r"\d+\s+more\b", m.group(0)):
                found.needs_given = True
            spans.append(m.span())
    excluded = 0.0
    part_of_total = 0.0  # "30 points but 15 are from employment": the 15 are inside the 30
    for m in _EMPLOYMENT.finditer(text):
        spans.append(m.span())
        amount = float(re.search(r"\d+", m.group(0)).group(0))  # type: ignore[union-attr]
        excluded += amount
        if re.search(r"\b(?:are|were|is|was|of)\s", m.group(0)):
            part_of_total += amount
    before_period = _BEFORE_PERIOD.search(text)
    if before_period:
        spans.append(before_period.span())
    for m in _DATED_PART.finditer(text):
        found.dated_parts.append((float(m.group(1)), int(m.group(2))))
        spans.append(m.span(1))
    # a need clause keeps its dates: only amounts are masked
    masked = _mask(text, spans)
    # dates and durations are not amounts
    taken: list[tuple[int, int]] = [(d.start, d.end) for d in _dates(masked)]
    taken += [m.span() for m in re.finditer(rf"{NUM}\s*{_DURATION_UNIT}", masked)]
    taken += [m.span() for m in re.finditer(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d+\s*(?:st|nd|rd|th)\b|"
                                            r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b", masked)]  # and phone numbers
    taken += [m.span() for m in re.finditer(r"\b(?:in|at)\s+(?:20|19)\d\d\b|\b\d+\s*(?:times|x)\b|"
                                            r"\bper\s+\w+|\$\s*\d+|\b\d+\s*(?:dollars|bucks)|\bday\s+\d+", masked)]
    values: dict[str, float] = {}
    order: list[tuple[int, str]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    def put(name: str, value: float, span: tuple[int, int], add: bool = False) -> None:
        if name in values and not add:
            return
        values[name] = values.get(name, 0) + value if add else value
        taken.append(span)
        order.append((span[0], name))

    # CPR cards (CMA-CPR) and college credits (CMA-CE-NONAAMA), each with its year when one is given
    for m in re.finditer(r"\b(\d+)\s+(?:cpr|bls|cpr/bls)?\s*(?:cards?)\b", masked):
        put("cpr", float(m.group(1)), m.span())
    if "cpr" not in values:
        cards = re.search(r"\b(?:my|that|the|a|these)\s+(?:cpr\s+|bls\s+)?cards?\s+(?:from|in|issued)\b|"
                          r"\brenewed\s+my\s+(?:cpr|bls)\s+card|\bmy\s+(?:cpr|bls)\s+card\b(?!\s+(?:expired|is\s+still|"
                          r"still|count))|\bplus\s+(?:that|my|the)\s+(?:cpr\s+|bls\s+)?card|\b(?:cpr|bls)\s+cards\s+"
                          r"(?:from|in)\b|\bcard\s+from\b", masked)
        if cards and not re.search(r"\bno\s+(?:cpr\s+)?card\b|required|doesn'?t\s+count|counts?\s+right|"
                                   r"does\s+(?:my|a)\s+(?:cpr|bls)|\b(?:how|where|when)\b[^.?!]*\brenew\s+my\s+(?:cpr|bls)|"
                                   r"\bneed\s+(?:a|my|the)\s+(?:current\s+|valid\s+)?(?:cpr|bls)",
                                   masked):
            window = re.split(r"[.?!;]", masked[cards.start():cards.end() + 60])[0]
            years = re.findall(r"(?:19|20)\d\d|\b" + _MON + r"\s+'?\d\d\b", window)
            n = max(1, len(years)) if re.search(r"cards\b|again", masked) else 1
            put("cpr", float(n), cards.span())
            found.cpr_years = [int(y) for y in re.findall(r"(?:19|20)\d\d", window)]
    for m in re.finditer(r"\b(\d+)\s*(?:college\s+credits?|credits?\s+(?:of\s+)?(?:college|community)|"
                         r"(?:semester|quarter)\s+(?:college\s+|hour\s+)?credits?|credits?\s+(?:\w+\s+){0,2}?(?:semester|semestre|quarter)\b|"
                         r"credit\s+(?:[\w&]+\s+){0,5}?(?:course|class))", masked):
        put("college", float(m.group(1)), m.span())
        year = re.search(r"\b((?:19|20)\d\d)\b", masked[m.end():m.end() + 60])
        if year:
            found.college_year = int(year.group(1))
    # "36 other points, 19 of those aama": the other points are the total, not non-AAMA ones
    of_those = re.search(r"\b(\d+)\s+other\s+(?:points?|pts|ceus?)\s*[,(]?\s*(\d+)\s+(?:of\s+(?:those|them)|"
                         r"(?:are\s+)?aama)", masked)
    if of_those:
        put("total", float(of_those.group(1)), of_those.span(1))
    # amounts earned in a given year ("20 points in 2022"): kept with their year, for the period to decide
    for m in re.finditer(rf"\b(\d+)\s*(?:{_U}\s*)?in\s+((?:19|20)\d\d)\b", masked):
        found.dated_amounts.append((float(m.group(1)), int(m.group(2))))
    # "60/30 aama", "have 45/20": the total and the AAMA-approved ones
    pair = re.search(r"(?<![\d/])(\d{2,3})\s*/\s*(\d{1,3})(?![\d/])(?=\s*(?:aama|approved)|\s*$|\s*[,.;!?]|\s+(?:and|&|"
                     r"plus|with|exp|cma|all)\b)", masked)
    if pair and free(pair.span()) and float(pair.group(2)) <= float(pair.group(1)):
        put("total", float(pair.group(1)), pair.span(1))
        put("aama", float(pair.group(2)), pair.span(2))
    # categories: a label takes the number next to it, on the side this message puts them
    _categories(masked, taken, put)
    # "20 of them are aama", "62 aama", "aama: 20"
    for m in re.finditer(rf"{NUM}\s*(?:{_U}\s*)?(?:(?:of\s+)?(?:them|those|which|these|it)\s*)?(?:\(\s*)?"
                         rf"(?:(?:are|is|were|was|r|son)\s+)?(?:from\s+(?:the\s+)?)?{_AAMA}", masked):
        if free(m.span(1)) and not re.match(r"\s*non", masked[m.start(1) + len(m.group(1)):]):
            put("aama", float(m.group(1)), m.span(1))
    for m in re.finditer(rf"{_AAMA}\s*(?:{_U}\s*)?(?:[:=]|is|are|of)?\s*{NUM}(?!\s*(?:{_U}\s*)?(?:admin|clin|gen|"
                         rf"non|other))", masked):
        if free(m.span(1)) and not re.search(r"non[\s-]*$", masked[:m.start()]):
            put("aama", float(m.group(1)), m.span(1))
    for m in re.finditer(rf"{NUM}\s*(?:{_U}\s*)?(?:(?:admin\w*|clinical|clin|general|gen)\s+)?"
                         rf"(?:of\s+(?:them|those|these)\s+)?(?:(?:are|is|were|was)\s+)?(?:from\s+|of\s+)?"
                         rf"(?:an?\s+)?{_NON}", masked):
        if free(m.span(1)):
            put("non_aama", float(m.group(1)), m.span(1), add=True)
    for m in re.finditer(rf"{NUM}\s*(?:{_U}\s*)?from\s+(?!aama|before|the\s+aama|amt\b)(?:an?\s+|my\s+|the\s+|"
                         r"that|this|\w+)", masked):
        if free(m.span(1)):
            put("from", float(m.group(1)), m.span(1), add=True)
    # "10 ceus (each one is 1 hour)", "4 webinars, 1.5 hours each": the items' hours in all
    each = re.search(rf"{NUM}\s*(?:ceus?|courses?|classes|webinars?|modules?|trainings?|sessions?)\b[^.?!\d]{{0,30}}?"
                     rf"(?:\beach\s*(?:one\s+)?(?:is\s+|was\s+|=\s*|being\s+)?{NUM}\s*(?:hours?|hrs?)\b|"
                     rf"{NUM}\s*(?:hours?|hrs?)\s+each\b)", masked)
    if each and free(each.span()):
        per = float(each.group(2) or each.group(3))
        put("hours", float(each.group(1)) * per, each.span())
    # "6 hours total" is the whole: a later "6.0 contact hours" restates it rather than adding to it
    stated = re.search(rf"{NUM}\s*(?:contact\s+|clock\s+|ce\s+)?(?:hours?|hrs?)\s+(?:in\s+)?total\b|"
                       rf"\btotal\s+(?:of\s+)?{NUM}\s*(?:contact\s+|clock\s+|ce\s+)?(?:hours?|hrs?)\b", masked)
    if stated and free(stated.span()):
        put("hours", float(next(g for g in stated.groups() if g)), stated.span())
    for m in re.finditer(rf"{NUM}\s*(?:contact\s+|clock\s+|ce\s+)?(?:hours?|hrs?|horas)\b{_EACH_ITEM_AFTER}", masked):
        # "a 6 hour course ... that 6 hour course": the same hours named again, not 6 more
        again = values.get("hours") == float(m.group(1)) and _SAME_AGAIN.search(masked[:m.start()])
        if free(m.span(1)) and not again and not stated:
            put("hours", float(m.group(1)), m.span(1), add=True)
    for m in re.finditer(rf"{NUM}\s*(?:total\s*)?{_U}\b", masked):
        if free(m.span(1)):
            put("total", float(m.group(1)), m.span(1))
    for m in re.finditer(rf"{NUM}\s*(?:{_U}\s*)?(?:so\s+far\s+)?(?:this|in\s+this|en\s+este)\s+(?:cycle|time|period|"
                         r"ciclo)", masked):
        if free(m.span(1)):
            put("total", float(m.group(1)), m.span(1))
    for m in re.finditer(rf"\btotal\s*(?:of\s*)?(?:{_U}\s*)?[:=]?\s*{NUM}|\b(?:have|got|at|had|hit|did|done|tengo|"
                         rf"llevo|currently|so\s+far)\s+(?:only\s+|like\s+|about\s+|all\s+)?{NUM}\b"
                         rf"(?!\s*(?:%|/|{_NOT_COUNTED}))", masked):
        num = 1 if m.group(1) is not None else 2
        if free(m.span(num)):
            put("total", float(m.group(num)), m.span(num))
    # three bare numbers in a row after the amounts: admin, clinical, general ("20/20/20", "20 20 20")
    if not any(k in values for k in _CATS):
        triple = next((t for t in re.finditer(r"(?<![\d/])(\d+)\s*(?:/|\s)\s*(\d+)\s*(?:/|\s)\s*(\d+)(?![\d/])",
                                              masked) if free(t.span())), None)
        if triple:
            for name, g in zip(_CATS, (1, 2, 3), strict=True):
                put(name, float(triple.group(g)), triple.span(g))
        each = re.search(r"(?:all\s+categories|each\s+category|categories)\s+(\d+)\s+each|(\d+)\s+each\b|"
                         r"(\d+)\s+(?:in\s+)?each\s+(?:category|cat)", masked)
        if each and not any(k in values for k in _CATS):
            every = float(next(g for g in each.groups() if g))
            for name in _CATS:
                put(name, every, each.span())
    if re.search(r"\b(?:all|every\s*one|everything|each\s+one)\s+(?:of\s+(?:them|those|it)\s+)?"
                 r"(?:is\s+|are\s+|were\s+)?"
                 r"(?:aama|approved)|\ball\s+aama\b|\(\s*all\s+aama\s*\)|\bsixty\s+aama|all\s+\d+\s+aama", masked):
        values["all_aama"] = 1
    if re.search(r"\bnone\s+(?:of\s+(?:it|them)\s+)?(?:is|are)\s+aama|\bnone\s+are\s+aama|no\s+aama\s+(?:ones|points)",
                 masked):
        values["no_aama"] = 1
    if re.search(r"\b(?:some|a\s+few|a\s+bunch\s+of)\s+(?:non[\s-]*aama|other|outside)", masked):
        found.vague_extra = True
    bare = re.search(r"\bhave\s+(\d+)\b(?!\s*(?:points?|pts|ceus?|credits?|hours?|aama|non|other))", masked)
    if "college" not in values and "total" in values and bare and float(bare.group(1)) == values["total"] \
            and re.search(r"college\s+credits?", masked) and values["total"] <= 10:
        values["college"] = values.pop("total")  # "a college credit is 15, right? i have 2": 2 credits
    if before_period:
        values["before_period"] = float(before_period.group(1))
    if excluded:
        values["employment"] = excluded
    if part_of_total:
        values["employment_part"] = part_of_total
    if found.values.get("bad_date"):
        values["bad_date"] = 1
    main = min(order)[1] if order else None
    return values, main


def _categories(text: str, taken: list[tuple[int, int]], put: Callable[[str, float, tuple[int, int]], None]) -> None:
    """Each category label takes the number next to it. A message writes them one way ("general 40, admin 12"
    or "40 general, 12 admin"): the side that pairs more labels is preferred, the other one is the fallback."""
    labels = sorted(((m.start(), m.end(), name) for name, pat in _CATS.items()
                     for m in re.finditer(r"\b" + pat, text)), key=lambda t: t[0])
    sides: list[dict[str, tuple[int, str]]] = []
    for start, end, _ in labels:
        options: dict[str, tuple[int, str]] = {}
        before = re.search(rf"{NUM}{_SEP}$", text[max(0, start - 30):start])
        if before and not re.search(r"/\s*$", text[max(0, start - 30):start][:before.start(1)]):
            pos = max(0, start - 30) + before.start(1)
            if _free(taken, pos):
                options["before"] = (pos, before.group(1))
        after = re.match(rf"\s*(?:[:=]\s*|-\s*(?=\d)|is\s+|are\s+|\(\s*)?{NUM}"
                         rf"(?!\s*(?:/\s*\d|(?:{_U}\s*)?(?:aama|non|other|approved)))", text[end:end + 20])
        if after:
            pos = end + after.start(1)
            if _free(taken, pos):
                options["after"] = (pos, after.group(1))
        sides.append(options)
    preferred = "after" if sum("after" in o for o in sides) > sum("before" in o for o in sides) else "before"
    used: set[int] = set()
    for (_, _, name), options in zip(labels, sides, strict=True):
        for side in (preferred, "after" if preferred == "before" else "before"):
            if side in options and options[side][0] not in used:
                pos, number = options[side]
                used.add(pos)
                put(name, float(number), (pos, pos + len(number)))
                break


def _free(taken: list[tuple[int, int]], pos: int) -> bool:
    return all(not (a <= pos < b) for a, b in taken)
