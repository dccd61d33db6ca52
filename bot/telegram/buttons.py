"""The one codec between button actions and Telegram's callback_data (at most 64 bytes).

`unpack` gives None for data this bot would not have made — a stale keyboard or a forged payload."""

from __future__ import annotations

from bot.contracts import Action, NoneOfThese, Say, ShowEntry, ShowTopics, Vote

MAX_CALLBACK_DATA = 64  # bytes


def pack(action: Action) -> str | None:
    """The callback_data for `action`; None when it does not fit in Telegram's 64 bytes."""
    match action:
        case ShowEntry(entry):
            data = f"e:{entry}"
        case Say(text):
            data = f"say:{text}"
        case NoneOfThese():
            data = "none"
        case Vote(entry, up):
            data = f"fb:{'+' if up else '-'}:{entry}"
        case ShowTopics(group):
            data = f"t:{group or ''}"
    return data if len(data.encode()) <= MAX_CALLBACK_DATA else None


def unpack(data: str) -> Action | None:
    kind, _, rest = data.partition(":")
    match kind:
        case "e" if rest:
            return ShowEntry(rest)
        case "say" if rest:
            return Say(rest)
        case "none" if data == "none":
            return NoneOfThese()
        case "fb":
            sign, _, entry = rest.partition(":")
            return Vote(entry, sign == "+") if sign in ("+", "-") and entry else None
        case "t":
            return ShowTopics(rest or None)
    return None
