"""The terminal chat: the same dialogue as Telegram, one line at a time."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bot.dialogue import ChatState, Dialogue, Reply

QUIT = {"quit", "exit", "bye", "q", ":q"}
PROMPT = "you> "


def format_reply(reply: Reply) -> str:
    text = reply.text
    if reply.kind == "answer" and reply.buttons:
        # Clarify and decline texts number their own suggestions; an answer's related questions are listed here.
        lines = [f"{i}. {b.label}" for i, b in enumerate(reply.buttons, 1)]
        text += "\n\nRelated (type a number):\n" + "\n".join(lines)
    return text


def chat(dialogue: Dialogue, read: Callable[[str], str] = input, write: Callable[[str], None] = print,
         intro: str = "", store=None, chat_id: str = "terminal") -> None:
    try:
        import readline  # noqa: F401  # line editing and history for input(), where the platform has it
    except ImportError:
        pass
    state = ChatState()
    write((intro + "\n" if intro else "") + dialogue.reply("hi", state).text + "\nType 'quit' to leave.")
    while True:
        try:
            line = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            write("")
            break
        if line.strip().lower() in QUIT:
            break
        reply = dialogue.reply(line, state)
        if store is not None:
            store.record(chat_id, "chat", line, reply)
        write("bot> " + format_reply(reply).replace("\n", "\n     "))
    write("Bye!")


def is_interactive() -> bool:
    return sys.stdin.isatty()
