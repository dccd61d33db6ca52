"""Signing up for deadline reminders, as one dialogue stage, and the words of each reminder.

`/remind` alone asks for the credential and its date (or offers the last check's); `/remind cma 2022-03`
and "remind me before my cma expires" say as much as they know, and the rest is asked. Once both are known,
the reply says what will be sent and when, and asks (Yes/No buttons) for consent to keep the chat id for
that; storing happens only on Yes, in the transport (it alone knows the chat id). Templates phrase, code
decides: the schedule comes from `faq.reminders`, the figures from the rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

from bot.contracts import Button, ChatState, Recertified, RemindConsent, RemindState, Reply, ReplyKind, Say, StopReminders
from bot.render import render, sources_line, translations
from faq import calculator as calc
from faq import reminders as rem
from faq.extract import prepare
from faq.kb import KnowledgeBase
from faq.turn import Turn

Said = tuple[Reply, ChatState]

_COMMAND = re.compile(r"^\s*/remind(?:@\w+)?(?:\s+|$)", re.I)
# Asking to be reminded, not asking about reminders ("does the aama send reminders?" is a question).
_ASKING = re.compile(r"\b(remind (me|us)|send me (a )?reminders?|(set|sign) (me )?up (for )?(a )?reminders?|"
                     r"set (a )?reminders?|notify me|alert me|(give|send) me a heads? up|"
                     # Spanish, folded: "recuerdame", "avisame antes", "mandame recordatorios"
                     r"recuerdame|recordarme|avisame|avisarme|(mandame|enviame|pon(me)?) (un |unos )?recordatorios?)\b")
MAX_ANSWER_WORDS = 4  # "my ccma please" answers "which credential?"; a longer message is a new question
_CANCEL = {"cancel", "stop", "no", "nope", "never mind", "nevermind", "quit", "exit", "cancelar"}  # as the replies say


class RemindStage:
    """The dialogue stage: a `/remind` command, a sign-up waiting for an answer, or a request in words."""

    def __init__(self, kb: KnowledgeBase, today: Callable[[], date], credentials_in: Callable[[str], frozenset[str]]):
        self.kb = kb
        self.today = today
        self.credentials_in = credentials_in
        self._ = translations(kb.language).gettext  # button labels, in the knowledge base's language

    def __call__(self, turn: Turn, state: ChatState) -> Said | ChatState | None:
        command = _COMMAND.match(turn.raw)
        if command:
            return self.start(prepare(turn.raw[command.end():], turn.language), state)
        if state.remind is not None:
            return self.pending(turn, state)
        if _ASKING.search(turn.folded) and not turn.raw.lstrip().startswith("/"):  # "/check remind me" is a check
            return self.start(turn.prepared, state)
        return None

    # --- the steps --------------------------------------------------------------------------------------

    def start(self, text: str, state: ChatState) -> Said:
        state = replace(state, check=None, offered=(), offered_for=None)
        credentials = self.credentials_in(text) & set(rem.CREDENTIALS)
        credential = next(iter(credentials)) if len(credentials) == 1 else None
        try:
            found = rem.read_date(text)
        except calc.InputError as exc:
            return self.ask(RemindState(credential, "date" if credential else "credential"), state, exc.code)
        last = state.last_check
        if credential is None and found is None and last is not None and last.credential in rem.CREDENTIALS:
            # Nothing named: the credential (and for the CMA the month) of the last check, if there was one.
            credential = last.credential
            certified = last.values.get("certified") if credential == "CMA" else None
            if isinstance(certified, date):
                found = (certified, False)
        if credential is None:
            return self.ask(RemindState(None, "credential"), state)
        if found is None:
            return self.ask(RemindState(credential, "date"), state)
        return self.offer(credential, found[0], state)

    def pending(self, turn: Turn, state: ChatState) -> Said | ChatState:
        asking = state.remind
        assert asking is not None
        if turn.raw.lstrip().startswith("/"):
            return replace(state, remind=None)  # another command: leave the sign-up
        if turn.folded in _CANCEL:
            return Reply(ReplyKind.REMIND, render("remind_cancelled", self.kb)), replace(state, remind=None)
        if asking.asking == "credential":
            credentials = self.credentials_in(turn.raw) & set(rem.CREDENTIALS)
            if turn.folded.isdigit() and 1 <= int(turn.folded) <= len(rem.CREDENTIALS):
                credentials = frozenset({rem.CREDENTIALS[int(turn.folded) - 1]})
            if len(credentials) != 1 or len(turn.folded.split()) > MAX_ANSWER_WORDS:
                return replace(state, remind=None)  # another question instead of an answer: leave the sign-up
            credential = next(iter(credentials))
            try:
                found = rem.read_date(turn.prepared)
            except calc.InputError as exc:
                return self.ask(RemindState(credential, "date"), state, exc.code)
            if found is None:
                return self.ask(RemindState(credential, "date"), state)
            return self.offer(credential, found[0], state)
        assert asking.credential is not None
        credential = asking.credential
        try:
            found = rem.read_date(turn.prepared)
        except calc.InputError as exc:
            return self.ask(asking, state, exc.code)
        if found is None:
            if not any(ch.isdigit() for ch in turn.raw):
                return replace(state, remind=None)
            return self.ask(asking, state, "date_format")
        return self.offer(credential, found[0], replace(state, remind=None))

    def ask(self, asking: RemindState, state: ChatState, problem: str | None = None) -> Said:
        buttons: tuple[Button, ...] = ()
        if asking.asking == "credential":
            buttons = tuple(Button(self.kb.credentials[c].label, Say(c)) for c in rem.CREDENTIALS)
        buttons += (Button(self._("Cancel"), Say("cancel")),)
        text = render("remind_ask", self.kb, asking=asking, problem=problem, credentials=rem.CREDENTIALS,
                      example=_example(asking.credential, self.today()))
        return Reply(ReplyKind.REMIND, text, buttons=buttons), replace(state, remind=asking)

    def ask_new_date(self, credential: str, state: ChatState) -> Said:
        """After "I've recertified": the new date, then a new schedule to agree to."""
        if credential not in rem.CREDENTIALS:
            return self.ask(RemindState(None, "credential"), state)
        return self.ask(RemindState(credential, "date"), state, "recertified")

    def offer(self, credential: str, given: date, state: ChatState) -> Said:
        today = self.today()
        try:
            deadline = rem.deadline(credential, given, today, self.kb.rules)
        except calc.InputError as exc:
            return self.ask(RemindState(credential, "date"), state, exc.code)
        reminders = rem.schedule(deadline, datetime.combine(today, time.min, UTC))
        state = replace(state, remind=None)
        if not reminders:
            text = render("remind_none", self.kb, d=deadline, today=today)
            return Reply(ReplyKind.REMIND, text), state
        text = render("remind_offer", self.kb, d=deadline, reminders=reminders)
        buttons = (Button(self._("Yes, remind me"), RemindConsent(credential, deadline.given, True)),
                   Button(self._("No thanks"), RemindConsent(credential, deadline.given, False)))
        return Reply(ReplyKind.REMIND, text, buttons=buttons), state


def _example(credential: str | None, today: date) -> str:
    if credential == "CMA":
        return f"{today.year - 2}-03"
    return f"{today.year + 1}-05-31"


def reminder_reply(kb: KnowledgeBase, reminder: rem.Reminder, today: date) -> Reply:
    """One reminder as it is sent: its words, where to act, its sources, and the two buttons."""
    link = kb.sources[rem.NEXT_STEP_SOURCE[reminder.credential]]
    sources = [kb.sources[s] for f in reminder.facts if f in kb.facts for s in kb.facts[f].sources]
    dates = reminder.dates
    words = translations(kb.language)
    context: dict[str, Any] = {
        "rm": reminder, "label": kb.credentials[reminder.credential].label, "link": link,
        "sources": sources_line(sources, ngettext=words.ngettext), "days_left": (dates["expires"] - today).days,
        "ce_days_left": (dates["ce_open_until"] - today).days if "ce_open_until" in dates else None,
        # exam dates only while still ahead on the day it is sent (a late reminder drops them)
        "exam": "exam_pass_by" in dates and min(dates["exam_pass_by"], dates["exam_apply_by"]) >= today,
    }
    buttons = (Button(words.gettext("I've recertified"), Recertified(reminder.credential)),
               Button(words.gettext("Stop reminders"), StopReminders()))
    return Reply(ReplyKind.REMIND, render("reminder", kb, **context), entry=f"reminder:{reminder.kind}",
                 buttons=buttons)
