"""The transport-neutral dialogue: text in, Reply out. Telegram, the terminal chat and the eval all call it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from bot.render import pick_sources, render
from faq.kb import Entry, KnowledgeBase
from faq.kb import load as load_kb
from faq.matcher import Decision, Matcher
from faq.normalize import fold

MAX_INPUT_CHARS = 2000  # longer messages are read up to here; no real question is longer
RELATED = 3

# Small talk is recognised on the whole (folded) message, so "hi, how many ceus" is still a question.
_GREETING = re.compile(r"^(hi+|hello|hey+|hiya|yo|good (morning|afternoon|evening)|start)( there)?( bot)?$")
_THANKS = re.compile(r"^(thanks?( you)?( so much| a lot)?|thx|ty|thank u|great thanks|ok thanks|cheers)$")
_HELP = re.compile(r"^(help|help me|what can you do|how do (i|you) use (this|you)|menu|\?+)$")


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # "e:<entry id>" answers that entry; "none" is "none of these"


@dataclass(frozen=True)
class Reply:
    kind: str  # answer | clarify | decline | check | greeting | help | thanks | error
    text: str
    entry: str | None = None
    score: float | None = None
    suggestions: tuple[str, ...] = ()  # the questions offered, in order
    buttons: tuple[Button, ...] = ()


@dataclass
class ChatState:
    """What one chat remembers between messages."""

    offered: tuple[str, ...] = ()  # entry ids last offered by number
    extra: dict = field(default_factory=dict)


class Dialogue:
    def __init__(self, kb: KnowledgeBase | None = None, matcher: Matcher | None = None):
        self.kb = kb or load_kb()
        self.matcher = matcher or Matcher(self.kb)

    @cached_property
    def _by_id(self) -> dict[str, Entry]:
        return dict(self.kb.entries)

    def reply(self, text: str, state: ChatState | None = None) -> Reply:
        state = state if state is not None else ChatState()
        text = (text or "")[:MAX_INPUT_CHARS]
        folded = fold(text)
        if not folded:
            return Reply("help", render("empty"))

        picked = self._pick_by_number(folded, state)
        if picked:
            return picked
        state.offered = ()

        if _GREETING.match(folded):
            return Reply("greeting", render("greeting"))
        if _THANKS.match(folded):
            return Reply("thanks", render("thanks"))
        if _HELP.match(folded):
            return Reply("help", render("help"))
        return self._from_decision(self.matcher.decide(text), state)

    def answer_entry(self, entry_id: str, state: ChatState | None = None) -> Reply | None:
        """The answer of one entry, as a tapped suggestion or related button asks for it."""
        entry = self._by_id.get(entry_id)
        if entry is None:
            return None
        return self._answer(entry, None, state if state is not None else ChatState())

    def _pick_by_number(self, folded: str, state: ChatState) -> Reply | None:
        if not state.offered or not folded.isdigit():
            return None
        n = int(folded)
        if 1 <= n <= len(state.offered):
            return self.answer_entry(state.offered[n - 1], state)
        return None

    def _answer(self, entry: Entry, score: float | None, state: ChatState) -> Reply:
        related = [self._by_id[r] for r in entry.related[:RELATED]]
        state.offered = tuple(e.id for e in related)
        return Reply(
            "answer",
            render("answer", entry=entry),
            entry=entry.id,
            score=score,
            buttons=tuple(Button(e.question, f"e:{e.id}") for e in related),
        )

    def _offer(self, kind: str, text: str, entries, score, state, entry_id=None) -> Reply:
        state.offered = tuple(e.id for e in entries)
        buttons = tuple(Button(e.question, f"e:{e.id}") for e in entries)
        if kind == "clarify":
            buttons += (Button("None of these", "none"),)
        return Reply(kind, text, entry=entry_id, score=score,
                     suggestions=tuple(e.question for e in entries), buttons=buttons)

    def _from_decision(self, d: Decision, state: ChatState) -> Reply:
        score = round(d.score, 1)
        if d.kind == "answer":
            return self._answer(d.entry, score, state)
        if d.kind == "merge":
            sources = [pick_sources(e.sources, 1)[0] for e in d.merged if e.sources]
            text = render("merged", self.kb, entries=d.merged, sources=sources)
            return self._offer("answer", text, d.merged, score, state, entry_id=f"topic:{d.topic}")
        if d.kind == "clarify":
            questions = [e.question for e in d.suggestions]
            return self._offer("clarify", render("clarify", questions=questions, intro=None),
                               d.suggestions, score, state)
        return Reply("decline", render("decline", entry=d.entry),
                     entry=d.entry.id if d.entry else None, score=score)
