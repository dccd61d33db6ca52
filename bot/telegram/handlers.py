"""Telegram handlers: each parses an update, asks the dialogue, renders and sends. No logic of their own.

Answer first, record after: a handler sends, then hands what to record to the store's writer thread; it never
waits on the store (see `bot.writer`)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import CallbackQuery, ForceReply, InlineQueryResultArticle, InputTextMessageContent, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import Conflict, Forbidden, InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ContextTypes, ExtBot

from bot import metrics, reports, state_codec
from bot.contracts import Button, ChatState, Exchange, NoneOfThese, Reply, ReplyKind, Say, ShowEntry, ShowTopics, Vote
from bot.render import render, translations
from bot.telegram.buttons import unpack
from bot.telegram.flood import Flood, FloodGuard
from bot.telegram.inbox import note
from bot.telegram.render import html_chunks, keyboard, reply_messages, to_html
from bot.telegram.retry import with_retry
from faq.language import LANGUAGES
from faq.language import detect as detect_language

if TYPE_CHECKING:
    from bot.dialogue import Dialogue
    from bot.live import LiveDialogue
    from bot.store import Store
    from bot.telegram.inbox import InboxQueue
    from bot.telegram.reminders import ReminderService
    from bot.writer import StoreWriter
    from faq.kb import Entry, KnowledgeBase
    from faq.matcher import Matcher

log = logging.getLogger(__name__)

INLINE_RESULTS = 3
ALL_TOPICS = "ALL"


@dataclass
class ChatData:
    """What python-telegram-bot keeps per chat for us; `snapshot` is what the store keeps, so a restart
    (or a crash) resumes a guided check, a numbered offer or a feedback prompt where it was."""

    state: ChatState = field(default_factory=ChatState)
    feedback_prompt: tuple[int, str] | None = None  # (prompt message id, the entry voted 👎)
    saved: str | None = None  # the snapshot last written to the store

    def snapshot(self) -> str:
        return json.dumps({"state": state_codec.encode(self.state), "feedback_prompt": self.feedback_prompt},
                          ensure_ascii=False, separators=(",", ":"))

    def restore(self, text: str) -> None:
        try:
            data = json.loads(text)
            state = state_codec.decode(data["state"])
            prompt = data.get("feedback_prompt")
        except (ValueError, TypeError, KeyError):
            state = None
        if not isinstance(state, ChatState):
            log.warning("a chat's stored state could not be read back: it starts afresh")
            return
        self.state = state
        self.feedback_prompt = (int(prompt[0]), str(prompt[1])) if prompt else None
        self.saved = text


@dataclass
class Services:
    """The bot's shared parts, as `context.bot_data`. Filled in once when the application is built."""

    live: LiveDialogue | None = None
    store: Store | None = None  # read by the admin commands; every write goes through `writer`
    writer: StoreWriter | None = None
    inbox: InboxQueue | None = None
    admins: frozenset[int] = frozenset()
    reload_seconds: float = 2.0
    flood: FloodGuard = field(default_factory=FloodGuard)
    background: list[Any] = field(default_factory=list)
    numpy_asked: bool = False  # faq.matcher.import_numpy started, in a thread, after the first update
    reminders: ReminderService | None = None  # deadline reminders (bot/telegram/reminders.py); None: off

    @property
    def dialogue(self) -> Dialogue:
        assert self.live is not None, "the application was built without a dialogue"
        return self.live.current


Context = CallbackContext[ExtBot[None], ChatData, dict[Any, Any], Services]
CONTEXT_TYPES = ContextTypes(context=CallbackContext, chat_data=ChatData, bot_data=Services)
App = Application[ExtBot[None], Context, dict[Any, Any], ChatData, Services, Any]


def _chat(context: Context) -> ChatData:
    chat = context.chat_data
    assert isinstance(chat, ChatData), "chat data comes from CONTEXT_TYPES"
    return chat


async def send_reply(message: Message, reply: Reply, context: Context, text: str = "") -> None:
    services = context.bot_data
    note(str(reply.kind), reply.entry)
    feedback = reply.entry if reply.kind == ReplyKind.ANSWER and services.store is not None else None
    for html, markup in reply_messages(reply, feedback_for=feedback):
        await _say(message, html, reply_markup=markup)
    if services.writer is not None:
        chat_id, exchange = message.chat_id, Exchange.of("telegram", text, reply)
        services.writer.submit("record an exchange", lambda store: store.record(chat_id, exchange))


async def _say(message: Message, html: str, **kwargs: Any) -> Message:
    """Send one HTML message in reply, retrying passing faults. Callers escape any user text in `html`."""
    return await with_retry(lambda: message.reply_html(html, **kwargs))


def chat_language(context: Context, user: User | None = None) -> str:
    """The chat's language: the one it chose, else the one of its last reply, else the user's Telegram one."""
    voices = context.bot_data.dialogue.voices
    state = context.chat_data.state if isinstance(context.chat_data, ChatData) else None
    for language in (state and state.language, state and state.last_language,
                     (user.language_code or "")[:2].lower() if user else None):
        if language in voices:
            return str(language)
    return "en"


def _message_language(message: Message, context: Context) -> str:
    """The chat's language; in a private chat the sender's Telegram language counts too."""
    return chat_language(context, message.from_user if message.chat.type == "private" else None)


async def _say_template(message: Message, context: Context, name: str, **kwargs: Any) -> Message:
    note(name)
    text = render(name, language=_message_language(message, context))
    return await _say(message, html_chunks(text)[0], **kwargs)


async def flood_gate(update: Update, context: Context) -> None:
    """Runs before every other handler: past a user's burst, one polite notice, then silence for a while.

    Messages count at the time they were sent (their date), not when they are handled: a backlog queued
    while the bot was down, or behind a slow send, is not a flood."""
    user = update.effective_user
    if user is None or update.inline_query is not None:
        return
    sent = update.message.date.timestamp() if update.message is not None and update.message.date else None
    verdict = context.bot_data.flood.check(user.id, at=sent)
    if verdict == Flood.OK:
        return
    if verdict == Flood.WARN and update.effective_message is not None:
        await _say_template(update.effective_message, context, "slow_down")
    raise ApplicationHandlerStop


def _chat_kb(context: Context, language: str) -> KnowledgeBase:
    """The knowledge base in the chat's language: its questions and credential names label the topic buttons."""
    dialogue = context.bot_data.dialogue
    return dialogue.voices.get(language, dialogue).kb


def _topic_keyboard(context: Context, language: str) -> Any:
    buttons = [Button(spec.menu, ShowTopics(cid)) for cid, spec in _chat_kb(context, language).credentials.items()]
    return keyboard((*buttons, Button(render("topics_general_button", language=language), ShowTopics(ALL_TOPICS))))


async def start(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    markup = _topic_keyboard(context, _message_language(update.effective_message, context))
    await _say_template(update.effective_message, context, "greeting", reply_markup=markup)


async def help_command(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await _say_template(update.effective_message, context, "help")


async def topics(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    markup = _topic_keyboard(context, _message_language(update.effective_message, context))
    await _say_template(update.effective_message, context, "topics", reply_markup=markup)


async def sources(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    kb = context.bot_data.dialogue.kb
    sources = [s for s in kb.sources.values() if s.url]
    for html in html_chunks(render("sources", language=chat_language(context, update.effective_user), sources=sources)):
        await _say(update.effective_message, html)


async def _converse(message: Message, text: str, context: Context) -> None:
    chat = _chat(context)
    hint = message.from_user.language_code if message.from_user else None
    reply, chat.state = context.bot_data.dialogue.respond(text, chat.state, hint)
    await send_reply(message, reply, context, text)


async def dialogue_command(update: Update, context: Context) -> None:
    """/check, /idioma, /language: commands the dialogue itself understands."""
    message = update.effective_message
    assert message is not None and message.text is not None
    await _converse(message, message.text, context)


async def text_message(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None and update.effective_chat is not None
    text = message.text
    if update.effective_chat.type != ChatType.PRIVATE:
        mention = f"@{context.bot.username}"
        replied = message.reply_to_message
        replied_to_bot = (replied is not None and replied.from_user is not None
                          and replied.from_user.id == context.bot.id)
        if mention.lower() not in text.lower() and not replied_to_bot:
            return  # in groups, only what is addressed to the bot
        text = text.replace(mention, " ").strip()
    if await _feedback_comment(message, context):
        return
    await _converse(message, text, context)


async def unknown_command(update: Update, context: Context) -> None:
    if update.effective_chat and update.effective_chat.type == ChatType.PRIVATE and update.effective_message:
        await _say_template(update.effective_message, context, "unknown_command")


async def non_text(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await _say_template(update.effective_message, context, "non_text")


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await with_retry(query.answer)  # first, so the user's spinner stops even if the rest is slow
    message = query.message
    if not isinstance(message, Message):
        return  # too old for Telegram to show us: nothing to answer in
    chat = _chat(context)
    action = unpack(query.data or "")
    match action:
        case ShowTopics(group):
            await _show_topic(query, context, group)
            return
        case Vote():
            await _feedback(message, context, action)
            return
        case ShowEntry() | Say() | NoneOfThese():
            said = context.bot_data.dialogue.press(action, chat.state)
        case _:
            said = None
    if said is None:
        await _say_template(message, context, "button_expired")
        return
    reply, chat.state = said
    await send_reply(message, reply, context, action.text if isinstance(action, Say) else "")


async def _feedback(message: Message, context: Context, vote: Vote) -> None:
    """One vote per chat per answer: pressing again (either thumb) changes the vote, it does not add one."""
    writer = context.bot_data.writer
    if writer is None or vote.entry not in _known_answers(context):
        await _say_template(message, context, "button_expired")
        return
    chat_id, entry, value = message.chat_id, vote.entry, 1 if vote.up else -1
    writer.submit("record a vote", lambda store: store.record_feedback(chat_id, "telegram", entry, value))
    if vote.up:
        await _say_template(message, context, "feedback_thanks")
        return
    prompt = await _say_template(message, context, "feedback_ask", reply_markup=ForceReply(selective=True))
    _chat(context).feedback_prompt = (prompt.message_id, entry)


def _known_answers(context: Context) -> set[str]:
    kb = context.bot_data.dialogue.kb
    return set(kb.entries) | {f"topic:{t}" for e in kb.entries.values() for t in e.topics}


async def _feedback_comment(message: Message, context: Context) -> bool:
    """A reply to the "what was wrong?" prompt is stored with the 👎 it follows, not answered as a question."""
    chat = _chat(context)
    prompt = chat.feedback_prompt
    if not prompt or not message.reply_to_message or message.reply_to_message.message_id != prompt[0]:
        return False
    writer = context.bot_data.writer
    if writer is not None:
        chat_id, entry, comment = message.chat_id, prompt[1], message.text or ""
        writer.submit("record a comment",
                      lambda store: store.add_feedback_comment_for(chat_id, "telegram", entry, comment))
    chat.feedback_prompt = None
    await _say_template(message, context, "feedback_noted")
    return True


async def admin_stats(update: Update, context: Context) -> None:
    store = context.bot_data.store
    if not _is_admin(update, context) or store is None or update.effective_message is None:
        await unknown_command(update, context)  # others get no sign the command exists
        return
    text = reports.stats_table(reports.stats(store, 30), limit=5)
    for html in html_chunks("Last 30 days\n" + text):
        await _say(update.effective_message, html)


async def admin_misses(update: Update, context: Context) -> None:
    store = context.bot_data.store
    if not _is_admin(update, context) or store is None or update.effective_message is None:
        await unknown_command(update, context)
        return
    groups = reports.group_misses(store.misses(30))
    for html in html_chunks("Unanswered, last 30 days\n" + reports.misses_table(groups, limit=10)):
        await _say(update.effective_message, html)


def _is_admin(update: Update, context: Context) -> bool:
    return update.effective_chat is not None and update.effective_chat.id in context.bot_data.admins


async def _show_topic(query: CallbackQuery, context: Context, group: str | None) -> None:
    language = chat_language(context, query.from_user)
    kb = _chat_kb(context, language)
    if group is None:
        markup, title = _topic_keyboard(context, language), to_html(render("topics", language=language))
        await with_retry(lambda: query.edit_message_text(title, reply_markup=markup))
        return
    if group != ALL_TOPICS and group not in kb.credentials:
        return
    entries = [e for e in kb.entries.values() if not e.decline
               and ((group == ALL_TOPICS and (not e.credentials or len(e.credentials) > 1))
                    or (group != ALL_TOPICS and list(e.credentials) == [group]))]
    buttons = [Button(e.question, ShowEntry(e.id)) for e in entries]
    markup = keyboard((*buttons, Button(translations(language).gettext("« Back"), ShowTopics())))
    title = to_html(render("topic_title", kb, language=language, group=None if group == ALL_TOPICS else group))
    await with_retry(lambda: query.edit_message_text(title, reply_markup=markup))


def inline_entries(matcher: Matcher, text: str) -> list[Entry]:
    """The best INLINE_RESULTS answerable entries for an inline query, from a ranking pruned to that many."""
    ranking = matcher.rank_answerable(matcher.normalize(text[:500]), enough=INLINE_RESULTS)
    return [s.entry for s in ranking[:INLINE_RESULTS]]


async def inline_query(update: Update, context: Context) -> None:
    query = update.inline_query
    assert query is not None
    # In the query's own language; an empty or wordless query in the user's Telegram language.
    main = context.bot_data.dialogue
    prior = (query.from_user.language_code or "")[:2].lower() if query.from_user else ""
    dialogue = main.voices.get(detect_language(query.query, prior if prior in LANGUAGES else None), main)
    if query.query.strip():
        ranked = inline_entries(dialogue.matcher, query.query)
    else:
        ranked = [e for e in dialogue.kb.entries.values() if e.topics][:INLINE_RESULTS]
    results = []
    for entry in ranked:
        said = dialogue.answer_entry(entry.id, ChatState())
        assert said is not None
        text = said[0].text
        results.append(InlineQueryResultArticle(
            id=entry.id, title=entry.question, description=text[:100],
            input_message_content=InputTextMessageContent(html_chunks(text)[0], parse_mode=ParseMode.HTML),
        ))
    await with_retry(lambda: query.answer(results, cache_time=60))


async def on_error(update: object, context: Context) -> None:
    if update is None and isinstance(context.error, TelegramError):
        polling_error(context.error)  # run_polling hands getUpdates failures to the error handlers
        return
    log.error("handling an update failed: %s", context.error, exc_info=context.error)
    metrics.failed("handler")
    if isinstance(context.error, TimedOut):
        return  # the answer may well have arrived (only Telegram's response was lost): no "went wrong" after it
    if isinstance(update, Update) and update.effective_chat:
        chat_id = update.effective_chat.id
        try:
            text = to_html(render("went_wrong", language=chat_language(context, update.effective_user)))
            await with_retry(lambda: context.bot.send_message(chat_id, text))
        except Exception:  # the error may be that Telegram is unreachable: nothing more to do here
            log.warning("could not tell the user about the error")


def polling_error(exc: TelegramError) -> None:
    """A failed getUpdates, said as what it is (python-telegram-bot retries it with a growing pause)."""
    if isinstance(exc, Conflict):
        log.error("Telegram refused getUpdates (409 Conflict): another instance is polling with this token, or "
                  "a webhook is set. Stop the other one; retrying meanwhile.")
    elif isinstance(exc, InvalidToken | Forbidden):
        log.error("Telegram refused getUpdates: %s; check TELEGRAM_BOT_TOKEN", exc)
    elif isinstance(exc, RetryAfter):
        log.warning("Telegram asked to wait before the next getUpdates: %s", exc)
    else:
        log.warning("getUpdates failed (%s: %s); retrying", type(exc).__name__, exc)
