"""The transport-neutral dialogue: text and chat state in, a reply and the new chat state out. Telegram, the
terminal chat and the eval all call it.

A message is read once into a `Turn`, then offered to an ordered list of stages; the first that answers wins.
A stage returns a reply with the new state, or a changed state for the stages after it, or nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date

from bot import check_flow
from bot.check_flow import Asked, Cancelled, Checked, Invalid, Outcome, Problem
from bot.contracts import (
    Action,
    Button,
    ChatState,
    CheckState,
    CheckSummary,
    NoneOfThese,
    Reply,
    ReplyKind,
    Say,
    ShowEntry,
)
from bot.remind_flow import RemindStage
from bot.render import pick_sources, render, translations
from faq import calculator as calc
from faq.checks import CHECKS
from faq.compute import compute
from faq.kb import Entry, KnowledgeBase
from faq.kb import load as load_kb
from faq.language import LANGUAGES, Language
from faq.language import detect as language_of
from faq.language import reading as reading_of
from faq.matcher import Answered, Decision, Declined, Matcher, Merged, Several, Unsure
from faq.normalize import fold
from faq.turn import MAX_INPUT_CHARS, Turn

RELATED = 3
SUGGESTIONS_LOGGED = 3
MENU_NUMBERS = 9  # a bare number up to this, outside the offer, is a mistyped pick (larger ones may be points)

# Small talk is recognised on the whole (folded) message, so "hi, how many ceus" is still a question.
_GREETING = re.compile(r"^(hi+|hello|hey+|hiya|yo|good (morning|afternoon|evening)|start|hola+|buenas|"
                       r"buen(os)? dias|buenas (tardes|noches)|que tal)( there)?( bot)?$")
_THANKS = re.compile(r"^(thanks?( you)?( so much| a lot)?|thx|ty|thank u|great thanks|ok thanks|cheers|"
                     r"(muchas |mil )?gracias)$")
_CHECK_COMMAND = re.compile(r"^\s*/check(?:@\w+)?(?:\s+|$)", re.I)
_LANGUAGE_COMMAND = re.compile(r"^\s*/(?:idioma|language|lang)(?:@\w+)?(?:\s+(\S+))?\s*$", re.I)
_LANGUAGE_NAMES = {"es": "es", "espanol": "es", "spanish": "es", "en": "en", "ingles": "en", "english": "en",
                   "auto": "auto", "automatico": "auto", "automatic": "auto"}
# Commands Telegram's own handlers answer; the terminal chat sends them here.
_COMMAND = re.compile(r"^\s*/(start|help|topics|sources)(?:@\w+)?\s*$", re.I)
_HELP = re.compile(r"^(help|help me|what can you do|how do (i|you) use (this|you)|menu|\?+|ayuda|"
                   r"que puedes hacer|como te uso)$")

Said = tuple[Reply, ChatState]
Stage = Callable[[Turn, ChatState], Said | ChatState | None]

__all__ = ["MAX_INPUT_CHARS", "ChatState", "Conversation", "Dialogue", "Reply"]


class Dialogue:
    """The dialogue in the knowledge base's language, with one of its own for each translation of it: each
    message is answered by the dialogue of the language it is written in (or the one the chat chose)."""

    def __init__(self, kb: KnowledgeBase | None = None, matcher: Matcher | None = None,
                 today: Callable[[], date] = date.today, voices: Mapping[str, Matcher] | None = None):
        """`voices`: matchers already built for the translations, by language (bot.kb_cache keeps them)."""
        self.kb = kb or load_kb()
        self.matcher = matcher or Matcher(self.kb)
        self.today = today
        self.language = self.kb.language
        self._ = translations(self.language).gettext  # button labels, in this dialogue's language
        self.voices: dict[str, Dialogue] = {self.language: self}
        self.voices.update({lang: Dialogue(tkb, (voices or {}).get(lang), today=today)
                            for lang, tkb in self.kb.translations.items()})
        # An entry's answer never changes for this knowledge base: rendered once, here.
        self._answers = {e.id: render("answer", self.kb, entry=e) for e in self.kb.entries.values()}
        self._one_word_names = {cid: frozenset(f for f in map(fold, spec.markers) if " " not in f)
                                for cid, spec in self.kb.credentials.items()}  # see `markers_in`
        self.remind = RemindStage(self.kb, self.today, self._credentials_in)  # deadline reminders (bot/remind_flow.py)
        # Order matters: a reminder sign-up or a running check takes its answers before anything else reads the
        # message.
        self.stages: tuple[Stage, ...] = (self.remind, self._check_command, self._command, self._pending_check,
                                          self._empty, self._pick, self._small_talk, self._other_body,
                                          self._personal, self._faq)

    def respond(self, text: str, state: ChatState, hint: str | None = None) -> Said:
        """The reply in the chat's chosen language, or the message's own (`hint`: what the transport knows of
        the user's language, e.g. Telegram's language_code)."""
        chosen = _LANGUAGE_COMMAND.match(text or "")
        if chosen:
            return self._choose_language(chosen.group(1) or "", state)
        language = state.language if state.language in self.voices else language_of(
            text, _known(state.last_language, self.voices) or _known(hint, self.voices))
        voice = self.voices.get(language, self)
        reading = reading_of(text, voice.language) if voice.language in LANGUAGES else None  # type: ignore[arg-type]
        return voice.respond_here(text, replace(state, last_language=voice.language), reading)

    def respond_here(self, text: str, state: ChatState, reading: str | None = None) -> Said:
        """The reply in this dialogue's own language (`reading`: the language its numbers and dates are read in,
        when not this one)."""
        turn = Turn.read(text, self.matcher.normalize, reading or self.language, self.today())
        for stage in self.stages:
            found = stage(turn, state)
            if isinstance(found, ChatState):
                state = found
            elif found is not None:
                return found
        raise AssertionError("the FAQ stage always answers")

    def reply(self, text: str, state: ChatState | None = None) -> Reply:
        """The reply alone, for one-off questions (`ask`, the eval)."""
        return self.respond(text, state or ChatState())[0]

    def press(self, action: Action, state: ChatState) -> Said | None:
        """What a tapped button asks for; None for a button this dialogue does not know (stale or forged)."""
        voice = self.voices.get(state.last_language or self.language, self)
        match action:
            case ShowEntry(entry_id):
                return voice.answer_entry(entry_id, state)
            case Say(text):
                return self.respond(text, state)
            case NoneOfThese():
                return Reply(ReplyKind.DECLINE, render("none_of_these", voice.kb)), _without_offer(state)
        return None

    def _choose_language(self, asked: str, state: ChatState) -> Said:
        """`/idioma es`, `/language en`, `/language auto`: kept for the chat until changed."""
        choice = _LANGUAGE_NAMES.get(fold(asked))
        if choice is None or (choice != "auto" and choice not in self.voices):
            language = state.last_language if state.last_language in self.voices else self.language
            text = render("language_ask", self.voices[language].kb, choices=sorted(self.voices))
            return Reply(ReplyKind.HELP, text), state
        state = replace(state, language=choice, last_language=choice if choice != "auto" else state.last_language)
        voice = self.voices.get(choice, self.voices.get(state.last_language or "", self))
        return Reply(ReplyKind.HELP, render("language_set", voice.kb, choice=choice)), state

    def answer_entry(self, entry_id: str, state: ChatState) -> Said | None:
        """The answer of one entry, as a tapped suggestion or related button asks for it."""
        entry = self.kb.entries.get(entry_id)
        if entry is None:
            return None
        picked_from = state.offered_for if entry_id in state.offered else None
        reply, state = self._answer(entry, None, state)
        return (replace(reply, picked_from=picked_from) if picked_from else reply), state

    # --- the stages, in order ---------------------------------------------------------------------------

    def _check_command(self, turn: Turn, state: ChatState) -> Said | None:
        """`/check` alone starts the guided check; `/check cma 45 20` checks at once. "I want to check if I can
        recertify my CMA", with no numbers, starts it too."""
        command = _CHECK_COMMAND.match(turn.raw)
        if command:
            args = turn.raw[command.end():]
        elif check_flow.wants_a_check(turn.folded) and not turn.numbers.values and not turn.numbers.time_known:
            named = sorted(turn.norm.credentials)
            args = named[0].lower() if len(named) == 1 else ""
        else:
            return None
        state = _without_offer(state)
        try:
            check = check_flow.parse_command(args, self._credentials_in)
        except calc.InputError as exc:
            return self._check_reply(Invalid(Problem.of(exc)), state, example=True)
        return self._run_check(check, state)

    def _command(self, turn: Turn, state: ChatState) -> Said | None:
        """/start, /help, /topics and /sources as words (the terminal chat has no buttons for them)."""
        found = _COMMAND.match(turn.raw)
        if not found:
            return None
        match found.group(1).lower():
            case "start":
                return Reply(ReplyKind.GREETING, render("greeting", self.kb)), state
            case "help":
                return Reply(ReplyKind.HELP, render("help", self.kb)), state
            case "sources":
                sources = [s for s in self.kb.sources.values() if s.url]
                return Reply(ReplyKind.HELP, render("sources", self.kb, sources=sources)), state
        groups = [(spec.menu, [e.question for e in self.kb.entries.values() if not e.decline and e.credentials
                               and list(e.credentials) == [cid]]) for cid, spec in self.kb.credentials.items()]
        return Reply(ReplyKind.HELP, render("topics_list", self.kb, groups=groups)), state

    def _pending_check(self, turn: Turn, state: ChatState) -> Said | ChatState | None:
        if state.check is None:
            return None
        outcome = check_flow.answer(state.check, turn, self.kb.rules, self.today())
        if outcome is None:  # a new question instead of an answer: leave the check
            return replace(state, check=None)
        return self._check_reply(outcome, state)

    def _empty(self, turn: Turn, state: ChatState) -> Said | None:
        return None if turn.folded else (Reply(ReplyKind.HELP, render("empty", self.kb)), state)

    def _pick(self, turn: Turn, state: ChatState) -> Said | ChatState:
        if state.offered and turn.folded.isdigit() and 1 <= int(turn.folded) <= len(state.offered):
            picked = self.answer_entry(state.offered[int(turn.folded) - 1], state)
            if picked:
                return picked
        if state.offered and turn.folded.isdigit() and int(turn.folded) <= MENU_NUMBERS:
            # "5" after three suggestions: a slip, not a new question; the offer stays
            return Reply(ReplyKind.CLARIFY, render("pick_range", self.kb, count=len(state.offered))), state
        return _without_offer(state)

    def _small_talk(self, turn: Turn, state: ChatState) -> Said | None:
        for pattern, kind in ((_GREETING, ReplyKind.GREETING), (_THANKS, ReplyKind.THANKS), (_HELP, ReplyKind.HELP)):
            if pattern.match(turn.folded):
                return Reply(kind, render(str(kind), self.kb)), state
        return None

    def _other_body(self, turn: Turn, state: ChatState) -> Said | None:
        """About a credential or body we don't cover: declined with where to ask, whatever words it shares."""
        body = self.matcher.other_body(turn.folded, turn.asking if turn.norm.credentials else None)
        if body is None:
            return None
        return self._from_decision(Declined(0.0, self.kb.entries[body.entry] if body.entry else None), state, turn.raw)

    def _personal(self, turn: Turn, state: ChatState) -> Said | None:
        # "my passport expired 2 months ago" holds numbers too, but is no question for the calculator.
        credentials = turn.norm.credentials
        if self.matcher.is_off_topic(turn.norm, need_anchor=False) and not credentials:
            return None
        try:
            checks = check_flow.from_turn(turn, credentials, self.today(), self._credentials_in)
            previous = state.last_check
            if previous and not checks and not credentials - {previous.credential}:
                again = check_flow.follow_up(previous, turn.numbers)
                checks = (again,) if again else ()
        except calc.InputError as exc:
            return self._check_reply(Invalid(Problem.of(exc)), state)
        if not checks or self._asks_in_general(turn, checks):
            return None
        if not check_flow.AMOUNT_KEYS & turn.numbers.values.keys() and not any(
                check_flow.asks_for_verdict(part, turn.numbers) for part in turn.asking) and all(
                _only_asks(check_flow.step(c, self.kb.rules, self.today())) for c in checks):
            # the calculator could only ask for amounts the user never mentioned: the question they asked leads
            decision = self._faq_decision(turn)
            if isinstance(decision, Unsure) and decision.options:
                first, *others = decision.options
                return self._from_decision(Answered(first, decision.score, decision.ranking, tuple(others)), state,
                                           turn.raw)
        if len(checks) == 1:
            return self._run_check(checks[0], state)
        # One verdict per credential named, one after the other.
        said = [self._run_check(check, replace(state, check=None)) for check in checks]
        reply = Reply(ReplyKind.CHECK, "\n\n".join(r.text for r, _ in said), entry="check:" + "+".join(
            c.credential or "?" for c in checks), checks=tuple(s for r, _ in said for s in r.checks))
        return reply, replace(state, check=None, last_check=None)

    def _asks_in_general(self, turn: Turn, checks: tuple[CheckState, ...]) -> bool:
        """A story with the user's own numbers whose question is a general one ("do those webinars count?", "how
        long does processing take?"): the FAQ answers that; the calculator answers "can I recertify?", "how many
        more?", "am I too late?", and any message that gives a whole standing (two amounts, or an amount and its
        expiry). The asking parts decide: the FAQ takes them when it is sure of them, or when the calculator
        could only ask for more numbers."""
        if not turn.asking or check_flow.tells_enough(turn.numbers) or any(
                check_flow.asks_for_verdict(part, turn.numbers) for part in turn.asking):
            return False
        if isinstance(self._faq_decision(turn), Answered | Several):
            return True
        return all(isinstance(check_flow.step(c, self.kb.rules, self.today()), Asked) for c in checks)

    def _faq_decision(self, turn: Turn) -> Decision:
        parts = [self.matcher.normalize(p) for p in turn.asking]
        return self.matcher.decide_parts(turn.norm, parts, self.markers_in(turn.folded))

    def _faq(self, turn: Turn, state: ChatState) -> Said:
        reply, state = self._from_decision(self._faq_decision(turn), state, turn.raw)
        computed = compute(reply.entry, turn.prepared, self.kb.rules) if reply.entry else None
        if computed is not None:  # the question gave a number: the answer starts with the result
            reply = replace(reply, text=render("computed", self.kb, computed=computed) + "\n\n" + reply.text)
        return reply, state

    # --- the eligibility check -------------------------------------------------------------------------

    def markers_in(self, folded: str) -> frozenset[str]:
        """The credentials whose one-word names the message uses, even inside a phrase ("aama approved")."""
        words = set(folded.split())
        return frozenset(cid for cid, names in self._one_word_names.items() if names & words)

    def _credentials_in(self, text: str) -> frozenset[str]:
        return self.matcher.normalize(text).credentials

    def _run_check(self, check: CheckState, state: ChatState) -> Said:
        return self._check_reply(check_flow.step(check, self.kb.rules, self.today()), state)

    def _check_reply(self, outcome: Outcome, state: ChatState, example: bool = False) -> Said:
        match outcome:
            case Asked(check, problem):
                total, needed = check.values.get("total"), self.kb.rules["cma"]["ce_total"]
                # Before asking what the total is made of, say how far it is from the points needed.
                short = needed - total if check.asking == "aama" and total is not None and total < needed else None
                text = render("check_ask", self.kb, slot=check.asking, problem=problem, credential=check.credential,
                              total=total, needed=needed, short=short, checks=CHECKS)
                buttons: tuple[Button, ...] = ()
                if check.asking == "credential":
                    buttons = tuple(Button(self.kb.credentials[c].label, Say(c)) for c in CHECKS)
                elif check.asking in ("categories", "expired"):
                    buttons = (Button(self._("Skip"), Say("skip")),)
                buttons += (Button(self._("Cancel"), Say("cancel")),)
                return (Reply(ReplyKind.CHECK, text, buttons=buttons, checks=_summaries(outcome)),
                        replace(state, check=check))
            case Checked(verdict, check):
                sources = [self.kb.sources[sid] for fid in verdict.facts for sid in self.kb.facts[fid].sources]
                text = render("check", self.kb, v=verdict, sources=sources)
                return (Reply(ReplyKind.CHECK, text, entry=f"check:{verdict.credential}", checks=_summaries(outcome)),
                        replace(state, check=None, last_check=check))
            case Invalid(problem):
                text = render("problem", self.kb, problem=problem, example=example)
                return Reply(ReplyKind.CHECK, text, checks=_summaries(outcome)), replace(state, check=None)
            case Cancelled():
                return Reply(ReplyKind.CHECK, render("check_cancelled", self.kb)), replace(state, check=None)
        raise AssertionError(outcome)

    # --- answers from the knowledge base ---------------------------------------------------------------

    def _answer(self, entry: Entry, score: float | None, state: ChatState) -> Said:
        related = [self.kb.entries[r] for r in entry.related[:RELATED]]
        reply = Reply(ReplyKind.ANSWER, self._answers[entry.id], entry=entry.id, score=score,
                      buttons=tuple(Button(e.question, ShowEntry(e.id)) for e in related))
        return reply, replace(state, offered=tuple(e.id for e in related), offered_for=None)

    def _from_decision(self, decision: Decision, state: ChatState, text: str) -> Said:
        score = round(decision.score, 1)
        guesses = tuple((s.entry.id, round(s.score, 1)) for s in decision.ranking[:SUGGESTIONS_LOGGED])
        match decision:
            case Answered(entry, _, _, alternatives) if alternatives:
                reply, state = self._answer(entry, score, state)
                reply = replace(reply, text=reply.text + "\n\n" + render("not_what_you_asked", self.kb),
                                buttons=_entry_buttons(alternatives))
                return reply, replace(state, offered=tuple(e.id for e in alternatives), offered_for=text)
            case Answered(entry):
                return self._answer(entry, score, state)
            case Merged(topic, entries):
                sources = [pick_sources(e.sources, 1)[0] for e in entries if e.sources]
                reply = Reply(ReplyKind.ANSWER, render("merged", self.kb, entries=entries, sources=sources),
                              entry=f"topic:{topic}", score=score, suggestions=tuple(e.question for e in entries),
                              buttons=_entry_buttons(entries))
                return reply, replace(state, offered=tuple(e.id for e in entries), offered_for=None)
            case Unsure(options):
                questions = tuple(e.question for e in options)
                reply = Reply(ReplyKind.CLARIFY, render("clarify", self.kb, questions=questions), score=score,
                              suggestions=questions, guesses=guesses,
                              buttons=(*_entry_buttons(options), Button(self._("None of these"), NoneOfThese())))
                return reply, replace(state, offered=tuple(e.id for e in options), offered_for=text)
            case Several(answers, _, _, offers):
                entries = tuple(a.entry for a in answers)
                sources = [src for e in entries for src in e.sources]
                body = render("several", self.kb, entries=entries, sources=sources, offers=bool(offers))
                reply = Reply(ReplyKind.ANSWER, body, entry="+".join(e.id for e in entries), score=score,
                              suggestions=tuple(e.question for e in (*entries, *offers)),
                              buttons=_entry_buttons(offers))
                return reply, replace(state, offered=tuple(e.id for e in offers), offered_for=text if offers else None)
            case Declined(_, pointer):
                reply = Reply(ReplyKind.DECLINE, render("decline", self.kb, entry=pointer),
                              entry=pointer.id if pointer else None, score=score, guesses=guesses)
                return reply, state
        raise AssertionError(decision)


class Conversation:
    """One chat's dialogue with its state kept here: the terminal chat and tests talk through it."""

    def __init__(self, dialogue: Dialogue, state: ChatState | None = None):
        self.dialogue = dialogue
        self.state = state or ChatState()

    def say(self, text: str) -> Reply:
        reply, self.state = self.dialogue.respond(text, self.state)
        return reply

    def press(self, action: Action) -> Reply | None:
        said = self.dialogue.press(action, self.state)
        if said is None:
            return None
        reply, self.state = said
        return reply


def _only_asks(outcome: Outcome) -> bool:
    """The calculator has nothing to say yet but a question for the user's amounts."""
    return isinstance(outcome, Checked) and outcome.verdict.status == calc.Status.NEED_INFO \
        and outcome.verdict.ask in ("have", "points", "credits", "total")


def _summaries(outcome: Outcome) -> tuple[CheckSummary, ...]:
    found = check_flow.summary(outcome)
    return (found,) if found else ()


def _entry_buttons(entries: tuple[Entry, ...]) -> tuple[Button, ...]:
    return tuple(Button(e.question, ShowEntry(e.id)) for e in entries)


def _known(language: str | None, voices: dict[str, Dialogue]) -> Language | None:
    code = (language or "").split("-")[0].lower()
    return code if code in voices and code in LANGUAGES else None  # type: ignore[return-value]


def _without_offer(state: ChatState) -> ChatState:
    return replace(state, offered=(), offered_for=None)
