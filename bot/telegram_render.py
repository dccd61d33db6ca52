"""Replies as Telegram HTML: escaped by jinja2's autoescape, split to Telegram's size, with inline keyboards."""

from __future__ import annotations

from functools import lru_cache

import jinja2
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.dialogue import Button, Reply

MAX_MESSAGE = 4096  # Telegram's limit on one message's text
MAX_CALLBACK_DATA = 64  # bytes
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


@lru_cache(maxsize=1024)  # the same answer always has the same buttons; markups are immutable
def keyboard(buttons: tuple[Button, ...], feedback_for: str | None = None) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(label(b.label), callback_data=b.data)]
            for b in buttons if len(b.data.encode()) <= MAX_CALLBACK_DATA]
    if feedback_for and len(f"fb:+:{feedback_for}".encode()) <= MAX_CALLBACK_DATA:
        rows.append([InlineKeyboardButton("👍", callback_data=f"fb:+:{feedback_for}"),
                     InlineKeyboardButton("👎", callback_data=f"fb:-:{feedback_for}")])
    return InlineKeyboardMarkup(rows) if rows else None


def reply_messages(reply: Reply, feedback_for: str | None = None) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """(html, keyboard) for each message of a reply; the keyboard goes on the last one."""
    chunks = html_chunks(reply.text)
    last = len(chunks) - 1
    return [(c, keyboard(reply.buttons, feedback_for) if i == last else None) for i, c in enumerate(chunks)]
