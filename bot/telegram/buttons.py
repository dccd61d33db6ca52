"""The one codec between button actions and Telegram's callback_data (at most 64 bytes).

`unpack` gives None for data this bot would not have made — a stale keyboard or a forged payload."""

from __future__ import annotations

from datetime import date

from bot.contracts import Action, NoneOfThese, Recertified, RemindConsent, Say, ShowEntry, ShowTopics, StopReminders, Vote

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
        case RemindConsent(credential, given, yes):
            data = f"rm:{'y' if yes else 'n'}:{credential}:{given.isoformat()}"
        case Recertified(credential):
            data = f"rm:r:{credential}"
        case StopReminders():
            data = "rm:s"
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
        case "rm":
            return _reminder_action(rest)
    return None


def _reminder_action(rest: str) -> Action | None:
    what, _, args = rest.partition(":")
    match what, args.split(":"):
        case ("y" | "n"), [credential, given] if credential:
            try:
                return RemindConsent(credential, date.fromisoformat(given), what == "y")
            except ValueError:
                return None
        case "r", [credential] if credential:
            return Recertified(credential)
        case "s", [""]:
            return StopReminders()
    return None
