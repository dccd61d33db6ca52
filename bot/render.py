"""Plain-text replies from the jinja2 templates in bot/templates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jinja2

from faq.calculator import Standing, Status
from faq.kb import Entry, KnowledgeBase, Source

MAX_SOURCES = 2  # the footer names the strongest sources; the seed article only when nothing else backs it

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("bot", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    keep_trailing_newline=False,
)


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_env.filters.update(
    num=_num,
    month=lambda d: d.strftime("%B %Y"),
    day=lambda d: f"{d.day} {d.strftime('%B %Y')}",
)


def sources_line(sources: Iterable[Source], limit: int = MAX_SOURCES) -> str:
    chosen = pick_sources(sources, limit)
    if not chosen:
        return ""
    parts = [f"{s.name} — {s.url}" if s.url else s.name for s in chosen]
    return ("Source: " if len(parts) == 1 else "Sources: ") + "; ".join(parts)


def pick_sources(sources: Iterable[Source], limit: int = MAX_SOURCES) -> list[Source]:
    unique = list(dict.fromkeys(sources))
    official = [s for s in unique if s.id != "SEED"]
    return (official or unique)[:limit]


_env.globals.update(Status=Status, Standing=Standing, sources_line=sources_line)


def render(name: str, kb: KnowledgeBase | None = None, **context: Any) -> str:
    helpers: dict[str, Any] = {"r": None, "c": None}
    if kb is not None:
        helpers.update(r=kb.rules, c=kb.credentials, labels=lambda entry: credential_labels(kb, entry))
    text = _env.get_template(f"{name}.txt.j2").render(**helpers, **context)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def credential_labels(kb: KnowledgeBase, entry: Entry) -> str:
    return " / ".join(kb.credentials[c].label for c in entry.credentials) or "All credentials"
