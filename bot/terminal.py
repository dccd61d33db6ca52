"""The terminal chat: the same dialogue as Telegram, one line at a time."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

from bot.contracts import Exchange, Reply, ReplyKind
from bot.dialogue import Conversation, Dialogue
from bot.render import translations
from bot.store import Store

QUIT = {"quit", "exit", "bye", "q", ":q"}
PROMPT = "you> "


def format_reply(reply: Reply, language: str | None = None) -> str:
    text = reply.text
    if reply.kind == ReplyKind.ANSWER and reply.buttons:
        # Clarify and decline texts number their own suggestions; an answer's related questions are listed here.
        lines = [f"{i}. {b.label}" for i, b in enumerate(reply.buttons, 1)]
        _ = translations(language or "en").gettext
        text += "\n\n" + _("Related (type a number):") + "\n" + "\n".join(lines)
    return text


def chat(dialogue: Dialogue, read: Callable[[str], str] = input, write: Callable[[str], None] = print,
         intro: str = "", store: Store | None = None, chat_id: str = "terminal") -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  # line editing and history for input(), where the platform has it
    conversation = Conversation(dialogue)
    write((intro + "\n" if intro else "") + conversation.say("hi").text + "\nType 'quit' to leave.")
    while True:
        try:
            line = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            write("")
            break
        if line.strip().lower() in QUIT:
            break
        reply = conversation.say(line)
        if store is not None:
            store.record(chat_id, Exchange.of("chat", line, reply))
        write("bot> " + format_reply(reply, conversation.state.last_language).replace("\n", "\n     "))
    write("Bye!")


def is_interactive() -> bool:
    return sys.stdin.isatty()
