"""What the dialogue, the transports and the store hand each other. Imports nothing of ours, so any layer may
depend on it without depending on another layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class ReplyKind(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    DECLINE = "decline"
    CHECK = "check"
    GREETING = "greeting"
    HELP = "help"
    THANKS = "thanks"
    REMIND = "remind"


# --- what a button does, whatever transport draws it -------------------------------------------------------

@dataclass(frozen=True)
class ShowEntry:
    entry: str


@dataclass(frozen=True)
class Say:
    """Sends this text as if the user had typed it (the guided check's choices)."""

    text: str


@dataclass(frozen=True)
class NoneOfThese:
    pass


@dataclass(frozen=True)
class Vote:
    entry: str
    up: bool


@dataclass(frozen=True)
class ShowTopics:
    group: str | None = None  # None: the list of groups


# Deadline reminders (bot/remind_flow.py): yes/no to a proposed schedule, "I've recertified", "Stop reminders".
@dataclass(frozen=True)
class RemindConsent:
    credential: str
    given: date
    yes: bool


@dataclass(frozen=True)
class Recertified:
    credential: str


@dataclass(frozen=True)
class StopReminders:
    pass


Action = ShowEntry | Say | NoneOfThese | Vote | ShowTopics | RemindConsent | Recertified | StopReminders


@dataclass(frozen=True)
class Button:
    label: str
    action: Action


@dataclass(frozen=True)
class CheckSummary:
    """One credential's check outcome, in plain values: what the reply says, for tests and the store."""

    credential: str | None
    status: str  # ready | totals_met | not_yet | exam_required | lapsed | need_info | cannot_check | input_error
    missing: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    expiry: str = "unknown"  # current | in_window | past_window | lapsed | unknown
    current_until: date | None = None
    asks: str | None = None  # with need_info: what the reply asks for


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    entry: str | None = None
    score: float | None = None
    suggestions: tuple[str, ...] = ()  # the questions offered, in order
    buttons: tuple[Button, ...] = ()
    guesses: tuple[tuple[str, float], ...] = ()  # on clarify/decline: the closest entries and their scores
    picked_from: str | None = None  # when the user picked this answer from a clarify: the question asked
    checks: tuple[CheckSummary, ...] = ()  # with kind check: one outcome per credential checked


@dataclass(frozen=True)
class Exchange:
    """One question and what became of it, as the store records it."""

    source: str  # telegram | chat
    text: str
    kind: str
    entry: str | None
    guesses: tuple[tuple[str, float], ...] = ()
    picked_from: str | None = None

    @classmethod
    def of(cls, source: str, text: str, reply: Reply) -> Exchange:
        return cls(source, text, str(reply.kind), reply.entry, reply.guesses, reply.picked_from)


# --- what a chat remembers between messages ---------------------------------------------------------------

@dataclass(frozen=True)
class CheckState:
    """An eligibility check in progress: the credential, the numbers so far, and what is being asked."""

    credential: str | None = None
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    asking: str | None = None
    guided: bool = False  # /check step by step asks the optional questions too
    skipped: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RemindState:
    """A reminder sign-up in progress: the credential once known, and what is being asked."""

    credential: str | None = None
    asking: str = "credential"  # credential | date


@dataclass(frozen=True)
class ChatState:
    offered: tuple[str, ...] = ()  # entry ids last offered by number
    offered_for: str | None = None  # the question a clarify's offer answered, to learn from the pick
    check: CheckState | None = None  # an eligibility check waiting for the user's next number
    last_check: CheckState | None = None  # the last check given a verdict, for "and clinical 12?"
    language: str = "auto"  # what the chat chose with /idioma or /language: "es", "en", or "auto" (per message)
    last_language: str | None = None  # the language of the last reply: the prior for the next message
    remind: RemindState | None = None  # a reminder sign-up waiting for the credential or the date
