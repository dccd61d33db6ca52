"""The transport-neutral dialogue: text in, Reply out. Telegram, the terminal chat and the eval all call it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from bot import check_flow
from bot.check_flow import CheckState
from bot.render import pick_sources, render
from faq.extract import extract
from faq.kb import Entry, KnowledgeBase
from faq.kb import load as load_kb
from faq.matcher import Decision, Matcher
from faq.normalize import fold

MAX_INPUT_CHARS = 2000  # longer messages are read up to here; no real question is longer
RELATED = 3
SUGGESTIONS_LOGGED = 3

# Small talk is recognised on the whole (folded) message, so "hi, how many ceus" is still a question.
_GREETING = re.compile(r"^(hi+|hello|hey+|hiya|yo|good (morning|afternoon|evening)|start)( there)?( bot)?$")
_THANKS = re.compile(r"^(thanks?( you)?( so much| a lot)?|thx|ty|thank u|great thanks|ok thanks|cheers)$")
_CHECK_COMMAND = re.compile(r"^\s*/check(?:@\w+)?(?:\s+|$)", re.I)
_HELP = re.compile(r"^(help|help me|what can you do|how do (i|you) use (this|you)|menu|\?+)$")


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # "e:<entry id>" answers that entry; "say:<text>" sends that text; "none" is "none of these"


@dataclass(frozen=True)
class Reply:
    kind: str  # answer | clarify | decline | check | greeting | help | thanks
    text: str
    entry: str | None = None
    score: float | None = None
    suggestions: tuple[str, ...] = ()  # the questions offered, in order
    buttons: tuple[Button, ...] = ()
    guesses: tuple[tuple[str, float], ...] = ()  # on clarify/decline: the closest entries and their scores
    picked_from: str | None = None  # when the user picked this answer from a clarify: the question asked


@dataclass
class ChatState:
    """What one chat remembers between messages."""

    offered: tuple[str, ...] = ()  # entry ids last offered by number
    offered_for: str | None = None  # the question a clarify's offer answered, to learn from the pick
    check: CheckState | None = None  # an eligibility check waiting for the user's next number
    last_check: CheckState | None = None  # the last check given a verdict, for "and clinical 12?"

    def forget_offer(self) -> None:
        self.offered, self.offered_for = (), None


class Dialogue:
    def __init__(self, kb: KnowledgeBase | None = None, matcher: Matcher | None = None,
                 today: Callable[[], date] = date.today):
        self.kb = kb or load_kb()
        self.matcher = matcher or Matcher(self.kb)
        self.today = today
        # An entry's answer never changes for this knowledge base: rendered once, here.
        self._answers = {e.id: render("answer", entry=e) for e in self.kb.entries.values()}

    def reply(self, text: str, state: ChatState | None = None) -> Reply:
        state = state if state is not None else ChatState()
        # Lone surrogates (possible in JSON from Telegram) cannot be encoded; make them "?" once, here.
        text = (text or "")[:MAX_INPUT_CHARS].encode("utf-8", "replace").decode("utf-8")
        command = _CHECK_COMMAND.match(text)
        if command:
            return self.check_command(text[command.end():], state)
        if state.check is not None:
            continued = self._continue_check(text, state)
            if continued:
                return continued
        folded = fold(text)
        if not folded:
            return Reply("help", render("empty"))

        picked = self._pick_by_number(folded, state)
        if picked:
            return picked
        state.forget_offer()

        if _GREETING.match(folded):
            return Reply("greeting", render("greeting"))
        if _THANKS.match(folded):
            return Reply("thanks", render("thanks"))
        if _HELP.match(folded):
            return Reply("help", render("help"))
        numbers = extract(text)
        norm = self.matcher.normalize(text)
        credentials = norm.credentials
        # "my passport expired 2 months ago" holds numbers too, but is no question for the calculator.
        foreign = self.matcher.is_off_topic(norm, need_anchor=False)
        personal = None if foreign else check_flow.from_message(text, numbers, credentials)
        previous = state.last_check
        if previous and personal is None and not credentials - {previous.credential}:
            personal = check_flow.follow_up(previous, numbers) or personal
        if personal is not None:
            return self._run_check(personal, state)
        return self._from_decision(self.matcher.decide(text, norm), state, text)

    # --- the eligibility check -------------------------------------------------------------------------

    def _credentials_in(self, text: str) -> frozenset:
        return self.matcher.normalize(text).credentials

    def check_command(self, args: str, state: ChatState) -> Reply:
        """`/check` alone starts the guided check; `/check cma 45 20` checks at once."""
        state.forget_offer()
        try:
            check = check_flow.parse_command(args, self._credentials_in)
        except check_flow.CheckInputError as exc:
            state.check = None
            return Reply("check", f"{exc}\nFor example: /check cma total=45 aama=20, or /check alone to go step by step.")
        return self._run_check(check, state)

    def _run_check(self, check: CheckState, state: ChatState) -> Reply:
        outcome = check_flow.step(check, self.kb.rules, self.today())
        if outcome.verdict:
            state.last_check = check
        return self._check_reply(outcome, state)

    def _continue_check(self, text: str, state: ChatState) -> Reply | None:
        outcome = check_flow.answer(state.check, text, self._credentials_in, self.kb.rules, self.today())
        if outcome is None:  # a new question instead of an answer: leave the check
            state.check = None
            return None
        if outcome.cancelled:
            state.check = None
            return Reply("check", "OK, check cancelled. Ask me anything, or /check to start again.")
        if outcome.error:
            return self._check_reply(outcome, state)
        return self._run_check(state.check, state)

    def _check_reply(self, outcome: check_flow.CheckOutcome, state: ChatState) -> Reply:
        if outcome.ask:
            state.check = outcome.state
            text = render("check_ask", self.kb, slot=outcome.ask, error=outcome.error,
                          total=outcome.state.values.get("total"))
            buttons = ()
            if outcome.ask == "credential":
                buttons = tuple(Button(self.kb.credentials[c].label, f"say:{c}") for c in check_flow.CREDENTIAL_CHOICES)
            elif outcome.ask in ("categories", "expired"):
                buttons = (Button("Skip", "say:skip"),)
            return Reply("check", text, buttons=buttons + (Button("Cancel", "say:cancel"),))
        state.check = None
        if outcome.error:
            return Reply("check", outcome.error)
        v = outcome.verdict
        sources = [self.kb.sources[sid] for fid in v.facts for sid in self.kb.facts[fid].sources]
        return Reply("check", render("check", self.kb, v=v, sources=sources), entry=f"check:{v.credential}")

    def answer_entry(self, entry_id: str, state: ChatState | None = None) -> Reply | None:
        """The answer of one entry, as a tapped suggestion or related button asks for it."""
        entry = self.kb.entries.get(entry_id)
        if entry is None:
            return None
        state = state if state is not None else ChatState()
        picked_from = state.offered_for if entry_id in state.offered else None
        reply = self._answer(entry, None, state)
        return replace(reply, picked_from=picked_from) if picked_from else reply

    def _pick_by_number(self, folded: str, state: ChatState) -> Reply | None:
        if not state.offered or not folded.isdigit():
            return None
        n = int(folded)
        if 1 <= n <= len(state.offered):
            return self.answer_entry(state.offered[n - 1], state)
        return None

    def _answer(self, entry: Entry, score: float | None, state: ChatState) -> Reply:
        related = [self.kb.entries[r] for r in entry.related[:RELATED]]
        state.offered, state.offered_for = tuple(e.id for e in related), None
        return Reply(
            "answer",
            self._answers[entry.id],
            entry=entry.id,
            score=score,
            buttons=tuple(Button(e.question, f"e:{e.id}") for e in related),
        )

    def _offer(self, kind: str, text: str, entries, score, state, entry_id=None, question=None, guesses=()) -> Reply:
        state.offered, state.offered_for = tuple(e.id for e in entries), question
        buttons = tuple(Button(e.question, f"e:{e.id}") for e in entries)
        if kind == "clarify":
            buttons += (Button("None of these", "none"),)
        return Reply(kind, text, entry=entry_id, score=score, suggestions=tuple(e.question for e in entries),
                     buttons=buttons, guesses=guesses)

    def _from_decision(self, d: Decision, state: ChatState, text: str) -> Reply:
        score = round(d.score, 1)
        guesses = tuple((s.entry.id, round(s.score, 1)) for s in d.ranking[:SUGGESTIONS_LOGGED])
        if d.kind == "answer":
            return self._answer(d.entry, score, state)
        if d.kind == "merge":
            sources = [pick_sources(e.sources, 1)[0] for e in d.merged if e.sources]
            text = render("merged", self.kb, entries=d.merged, sources=sources)
            return self._offer("answer", text, d.merged, score, state, entry_id=f"topic:{d.topic}")
        if d.kind == "clarify":
            questions = [e.question for e in d.suggestions]
            return self._offer("clarify", render("clarify", questions=questions),
                               d.suggestions, score, state, question=text, guesses=guesses)
        return Reply("decline", render("decline", entry=d.entry),
                     entry=d.entry.id if d.entry else None, score=score, guesses=guesses)
