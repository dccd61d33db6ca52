"""Deadline reminders in Telegram: /remind, /reminders, /forget, the reminder buttons, and sending.

The sign-up conversation is the dialogue's (bot/remind_flow.py); this module does what needs the chat id:
keeping it (encrypted) on Yes, listing, stopping, forgetting, and the scheduler's `send`. Nothing here logs a
chat id. Registered in `app.add_handlers`; the scheduler starts with the application."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from telegram import Bot, Message, Update
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.contracts import ChatState, Recertified, RemindConsent, StopReminders
from bot.reminder_store import ReminderStore, forget
from bot.render import render
from bot.scheduler import RATE, Delivery, Result, Scheduler, wall_clock
from bot.telegram.buttons import unpack
from bot.telegram.handlers import ChatData, chat_language, dialogue_command
from bot.telegram.render import html_chunks, reply_messages
from bot.telegram.retry import with_retry
from faq import calculator as calc
from faq import reminders as rem
from faq.kb import KnowledgeBase
from faq.reminders import Reminder

if TYPE_CHECKING:
    from bot.live import LiveDialogue
    from bot.store import Store
    from bot.telegram.handlers import App, Context

log = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^rm:"  # the codec's prefix for reminder buttons (bot/telegram/buttons.py)


class ReminderService:
    """The reminder tables, the clock, and (once the bot is running) the scheduler."""

    def __init__(self, store: Store, keys: str, clock: Callable[[], datetime] = wall_clock, rate: float = RATE):
        self.store = store
        self.rate = rate  # reminders this process starts a second (REMINDER_RATE)
        self.reminders = ReminderStore(store, keys)
        self.clock = clock
        self.scheduler: Scheduler | None = None

    def now(self) -> datetime:
        return self.clock()  # looked up each time, so tests can move the clock of a running bot

    def subscribe(self, chat_id: int, credential: str, given: date, live: LiveDialogue,
                  language: str = "en") -> tuple[Reminder, ...]:
        now = self.now()
        deadline = rem.deadline(credential, given, now.date(), live.current.kb.rules)
        reminders = rem.schedule(deadline, now)
        self.reminders.subscribe(chat_id, credential, deadline.given, reminders, now, language)
        return reminders

    def start(self, bot: Bot, live: LiveDialogue, *, rate: float | None = None) -> Scheduler:
        async def send(chat_id: int, reminder: Reminder) -> Delivery:
            language = self.reminders.language_of(chat_id)
            return await send_reminder(bot, live, chat_id, reminder, self.now().date(), language)

        self.scheduler = Scheduler(self.reminders, send, clock=self.now, rate=rate or self.rate)
        return self.scheduler


async def send_reminder(bot: Bot, live: LiveDialogue, chat_id: int, reminder: Reminder, today: date,
                        language: str = "en") -> Delivery:
    """One reminder to one chat. No retries here: a retried request that had arrived would be a duplicate.
    Only Telegram's own "not now" (429) is certain not to have been delivered."""
    from bot.remind_flow import reminder_reply

    reply = reminder_reply(live.current.voices.get(language, live.current).kb, reminder, today)
    try:
        for html, markup in reply_messages(reply):
            await bot.send_message(chat_id, html, reply_markup=markup)
    except Forbidden:
        return Delivery(Result.BLOCKED)
    except RetryAfter as exc:
        wait = exc.retry_after
        return Delivery(Result.RETRY, wait if isinstance(wait, (int, float)) else wait.total_seconds())
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            return Delivery(Result.BLOCKED)
        log.warning("a reminder was refused: %s", exc.message)
        return Delivery(Result.UNKNOWN)
    except Exception as exc:  # time-outs, dropped connections, 5xx: maybe delivered, so never sent again
        log.warning("a reminder may not have arrived (%s): not sent again", type(exc).__name__)
        return Delivery(Result.UNKNOWN)
    return Delivery(Result.SENT)


# --- handlers ------------------------------------------------------------------------------------------

async def _say(message: Message, name: str, kb: KnowledgeBase | None = None, **context: Any) -> None:
    """A reply that is not recorded as an exchange (after /forget nothing may be written back)."""
    for html in html_chunks(render(name, kb, **context)):
        await with_retry(lambda html=html: message.reply_html(html))  # type: ignore[misc]


async def remind(update: Update, context: Context) -> None:
    """/remind: the sign-up conversation, as the dialogue leads it (the same path as /check)."""
    await dialogue_command(update, context)


async def list_reminders(update: Update, context: Context) -> None:
    """/reminders: what is scheduled for this chat."""
    message = update.effective_message
    assert message is not None
    service = context.bot_data.reminders
    sub = service.reminders.subscription(message.chat_id) if service is not None else None
    kb = context.bot_data.dialogue.voices[chat_language(context, message.from_user)].kb
    for html in html_chunks(render("remind_list", kb, sub=sub)):
        await with_retry(lambda html=html: message.reply_html(html))  # type: ignore[misc]


async def forget_command(update: Update, context: Context) -> None:
    """/forget: deletes every row about this chat in every table, and this chat's state in memory."""
    message = update.effective_message
    assert message is not None
    store = context.bot_data.store
    removed = forget(store, message.chat_id) if store is not None else {}
    chat = context.chat_data
    if isinstance(chat, ChatData):
        chat.state = ChatState()
        chat.feedback_prompt = None
    names = {"replies": "replies", "misses": "questions", "picks": "picks", "feedback": "feedback",
             "reminders": "reminders", "reminder_chats": "reminder sign-up"}
    kinds = [names.get(t, t) for t, n in removed.items() if n]
    voice = context.bot_data.dialogue.voices[chat_language(context, message.from_user)]
    await _say(message, "forget_done", voice.kb, removed=kinds)


async def button(update: Update, context: Context) -> None:
    """The reminder buttons: Yes/No to a schedule, "I've recertified", "Stop reminders"."""
    query = update.callback_query
    assert query is not None
    await with_retry(query.answer)
    message = query.message
    chat = context.chat_data
    if not isinstance(message, Message) or not isinstance(chat, ChatData):
        return
    services = context.bot_data
    service = services.reminders
    voice = services.dialogue.voices[chat_language(context, query.from_user)]
    kb = voice.kb
    match unpack(query.data or ""):
        case RemindConsent(credential, given, yes) if credential in rem.CREDENTIALS:
            if not yes:
                await _say(message, "remind_declined", kb)
            elif service is None or services.live is None:
                await _say(message, "remind_off", kb)
            else:
                try:
                    reminders = service.subscribe(message.chat_id, credential, given, services.live, voice.language)
                except calc.InputError:
                    await _say(message, "button_expired", kb)
                    return
                await _say(message, "remind_saved" if reminders else "remind_none", kb=kb, reminders=reminders,
                           d=rem.deadline(credential, given, service.now().date(), kb.rules), today=service.now().date())
        case Recertified(credential):
            reply, chat.state = voice.remind.ask_new_date(credential, chat.state)
            for html, markup in reply_messages(reply):
                await with_retry(lambda html=html, markup=markup: message.reply_html(html, reply_markup=markup))  # type: ignore[misc]
        case StopReminders():
            stopped = service.reminders.stop(message.chat_id) if service is not None else False
            await _say(message, "remind_stopped", kb, stopped=stopped)
        case _:
            await _say(message, "button_expired", kb)


def install(app: App, keys: str | None, clock: Callable[[], datetime] = wall_clock,
            rate: float = RATE) -> ReminderService | None:
    """Reminders need the store and REMINDER_KEY; without either the bot runs without them."""
    store = app.bot_data.store
    if store is None or not keys:
        log.info("reminders are off (they need the store and REMINDER_KEY)")
        return None
    service = ReminderService(store, keys, clock, rate)
    app.bot_data.reminders = service
    return service


async def run(app: App) -> None:
    """The scheduler, for as long as the application runs (started by `on_startup`)."""
    service = app.bot_data.reminders
    if service is None or app.bot_data.live is None:
        return
    scheduler = service.scheduler or service.start(app.bot, app.bot_data.live)
    await scheduler.run()
