"""Replies as Telegram HTML: escaped by jinja2's autoescape, split to Telegram's size, with inline keyboards."""

from __future__ import annotations

from functools import lru_cache

import jinja2
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.contracts import Button, Reply, Vote
from bot.telegram.buttons import pack

MAX_MESSAGE = 4096  # Telegram's limit on one message's text
MAX_LABEL = 60  # longer button labels are cut on a phone anyway

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("bot", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_message = _env.get_template("telegram.html.j2")


def to_html(text: str) -> str:
    return _message.render(text=text).strip()


def html_chunks(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """The text as HTML messages of at most `limit` characters, split between paragraphs where possible.

    Splitting happens on the plain text, before escaping, so no cut can fall inside an entity like &amp;."""
    return list(_html_chunks(text, limit))


@lru_cache(maxsize=2048)  # most replies are an entry's answer: the same text, rendered once
def _html_chunks(text: str, limit: int) -> tuple[str, ...]:
    return tuple(_split_html(text, limit))


def _split_html(text: str, limit: int) -> list[str]:
    whole = to_html(text)
    if len(whole) <= limit and whole:
        return [whole]  # nearly every reply: one render, no splitting
    chunks: list[str] = []
    current = ""
    for paragraph in _pieces(text, limit):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(to_html(candidate)) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = paragraph
    if current or not chunks:
        chunks.append(current)
    return [to_html(c) for c in chunks if c.strip()] or [to_html(text.strip() or "…")]


def _pieces(text: str, limit: int):
    """Paragraphs, with any paragraph too long for one message cut into pieces that fit."""
    for paragraph in text.split("\n\n"):
        while len(to_html(paragraph)) > limit:
            cut = _fitting_prefix(paragraph, limit)
            yield paragraph[:cut]
            paragraph = paragraph[cut:]
        if paragraph.strip():
            yield paragraph


def _fitting_prefix(text: str, limit: int) -> int:
    lo, hi = 1, len(text)
    while lo < hi:  # the longest prefix whose escaped form fits
        mid = (lo + hi + 1) // 2
        if len(to_html(text[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    space = text.rfind(" ", 0, lo)
    return space if space > lo // 2 else lo


def label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One button a row."""
    return rows(tuple((b,) for b in buttons))


@lru_cache(maxsize=1024)  # the same answer always has the same buttons; markups are immutable
def rows(layout: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    drawn = [[InlineKeyboardButton(label(b.label), callback_data=data) for b in row if (data := pack(b.action))]
             for row in layout]
    drawn = [row for row in drawn if row]
    return InlineKeyboardMarkup(drawn) if drawn else None


def with_votes(buttons: tuple[Button, ...], entry: str | None) -> tuple[tuple[Button, ...], ...]:
    layout: tuple[tuple[Button, ...], ...] = tuple((b,) for b in buttons)
    if entry:
        layout += ((Button("👍", Vote(entry, True)), Button("👎", Vote(entry, False))),)
    return layout


def reply_messages(reply: Reply, feedback_for: str | None = None) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """(html, keyboard) for each message of a reply; the keyboard goes on the last one."""
    chunks = html_chunks(reply.text)
    last = len(chunks) - 1
    markup = rows(with_votes(reply.buttons, feedback_for))
    return [(c, markup if i == last else None) for i, c in enumerate(chunks)]
