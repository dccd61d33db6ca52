"""Plain-text replies from the jinja2 templates in bot/templates, in the user's language.

Templates are written in English and mark their sentences for translation (`_("...")`, jinja2's i18n
extension); the Spanish sentences live in the gettext catalog bot/locale/es/LC_MESSAGES/messages.po, compiled
to messages.mo (README: "Translations"). Dates are worded by Babel in the same language."""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date

from faq.calculator import Standing, Status
from faq.kb import Entry, KnowledgeBase, Source

MAX_SOURCES = 2  # the footer names the strongest sources; the seed article only when nothing else backs it
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def _num(value: object) -> str:
    # 45.0 -> "45", 59.5 -> "59.5", and an absurd 1000000.0 as digits, not "1e+06"
    return f"{value:.12g}" if isinstance(value, float) else str(value)


@cache
def translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


@cache
def environment(language: str = "en") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    catalog = translations(language)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    # The date patterns (CLDR) are translated too: "31 March 2031", "31 de marzo de 2031".
    month_pattern, day_pattern = catalog.gettext("MMMM y"), catalog.gettext("d MMMM y")
    month: Callable[[date], str] = lambda d: format_date(d, month_pattern, locale=language)  # noqa: E731
    day: Callable[[date], str] = lambda d: format_date(d, day_pattern, locale=language)  # noqa: E731
    env.filters.update(num=_num, month=month, day=day)
    env.globals.update(Status=Status, Standing=Standing, sources_line=lambda sources, limit=MAX_SOURCES: sources_line(
        sources, limit, catalog.ngettext))
    return env


_ENGLISH = gettext.NullTranslations()


def sources_line(sources: Iterable[Source], limit: int = MAX_SOURCES,
                 ngettext: Callable[[str, str, int], str] = _ENGLISH.ngettext) -> str:
    chosen = pick_sources(sources, limit)
    if not chosen:
        return ""
    parts = [f"{s.name} — {s.url}" if s.url else s.name for s in chosen]
    return ngettext("Source: ", "Sources: ", len(parts)) + "; ".join(parts)


def pick_sources(sources: Iterable[Source], limit: int = MAX_SOURCES) -> list[Source]:
    unique = list(dict.fromkeys(sources))
    official = [s for s in unique if s.id != "SEED"]
    return (official or unique)[:limit]


def render(name: str, kb: KnowledgeBase | None = None, language: str | None = None, **context: Any) -> str:
    """Template `name` in `language` (by default the knowledge base's, else English)."""
    language = language or (kb.language if kb is not None else "en")
    env = environment(language)
    helpers: dict[str, Any] = {"r": None, "c": None}
    if kb is not None:
        helpers.update(r=kb.rules, c=kb.credentials, labels=lambda entry: credential_labels(kb, entry, language))
    text = env.get_template(f"{name}.txt.j2").render(**helpers, **context)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def credential_labels(kb: KnowledgeBase, entry: Entry, language: str = "en") -> str:
    everyone = translations(language).gettext("All credentials")
    return " / ".join(kb.credentials[c].label for c in entry.credentials) or everyone
