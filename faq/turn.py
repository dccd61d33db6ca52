"""One message, read once: the raw text, its folded and normalised forms, and the numbers in it. Built by the
dialogue when a message arrives and handed to every stage, so nothing parses the same text twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from faq import segment
from faq.extract import Numbers, extract, prepare
from faq.normalize import Normalized, fold

MAX_INPUT_CHARS = 2000  # longer messages are read up to here; no real question is longer


@dataclass(frozen=True)
class Turn:
    raw: str
    folded: str
    norm: Normalized
    language: str = "en"
    today: date | None = None  # the day "2 months ago" and "in march" are counted from (None: the clock's)

    @classmethod
    def read(cls, text: str, normalize: Callable[[str], Normalized], language: str = "en",
             today: date | None = None) -> Turn:
        # Lone surrogates (possible in JSON from Telegram) cannot be encoded; make them "?" once, here.
        raw = (text or "")[:MAX_INPUT_CHARS].encode("utf-8", "replace").decode("utf-8")
        return cls(raw, fold(raw), normalize(raw), language, today)

    @cached_property
    def prepared(self) -> str:
        """Lower case with numbers as digits ("forty five", "cuarenta y cinco" -> "45"): what number
        patterns read."""
        return prepare(self.raw, self.language)

    @cached_property
    def asking(self) -> tuple[str, ...]:
        """The parts of the message that ask (faq.segment), folded."""
        return segment.questions(self.raw)

    @cached_property
    def numbers(self) -> Numbers:
        return extract(self.prepared, is_prepared=True, today=self.today)
