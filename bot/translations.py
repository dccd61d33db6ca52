"""Checks that every user-facing sentence has its translation: the catalog template (messages.pot) holds
every sentence the templates and code mark, and each language's catalog translates all of them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.render import DOMAIN, LOCALE_DIR

ROOT = LOCALE_DIR.parent.parent  # pybabel runs from here: the repository, or site-packages' parent of bot/
LANGUAGES = ("es",)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [("bot/**.py", "python"), ("bot/templates/**.j2", "jinja2")]
OPTIONS = {"bot/templates/**.j2": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True"}}


def marked(root: Path = ROOT) -> set[str]:
    """The sentences the source marks for translation, as pybabel extract finds them."""
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(root), METHODS, OPTIONS, KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _ids(catalog: Iterable[Message]) -> dict[str, tuple[str, ...]]:
    """msgid (the singular, for plurals) -> its translation(s)."""
    return {(m.id if isinstance(m.id, str) else m.id[0]): tuple([m.string] if isinstance(m.string, str) else m.string or ())
            for m in catalog if m.id}


def _po(path: Path, locale: str | None = None) -> dict[str, tuple[str, ...]]:
    """msgid -> translation(s); a fuzzy (unreviewed) translation counts as none."""
    with path.open("rb") as fh:
        return _ids(m for m in read_po(fh, locale=locale) if not m.fuzzy)


def problems(root: Path = ROOT) -> list[str]:
    """What is missing, one line each: a sentence not in messages.pot, an untranslated sentence, a stale .mo."""
    locale_dir = root / "bot" / "locale"
    found: list[str] = []
    template = _po(locale_dir / f"{DOMAIN}.pot")
    found += [f"not in {DOMAIN}.pot (run pybabel extract): {m!r}" for m in sorted(marked(root) - set(template))]
    for language in LANGUAGES:
        folder = locale_dir / language / "LC_MESSAGES"
        translated = _po(folder / f"{DOMAIN}.po", language)
        found += [f"no {language} translation: {m!r}" for m in sorted(template) if not all(translated.get(m, ("",)))]
        with (folder / f"{DOMAIN}.mo").open("rb") as fh:
            compiled = _ids(read_mo(fh))
        if compiled != {k: v for k, v in translated.items() if all(v)}:
            found.append(f"{language}: {DOMAIN}.mo is older than {DOMAIN}.po (run pybabel compile)")
    return found
