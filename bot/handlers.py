"""Telegram handlers: each parses an update, asks the dialogue, renders and sends. No logic of their own."""

from __future__ import annotations

import logging

from telegram import (ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle,
                      InputTextMessageContent, LinkPreviewOptions, Message, Update)
from telegram.constants import ChatType, ParseMode
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import flood, reports
from bot.dialogue import ChatState, Dialogue, Reply
from bot.render import render
from bot.retry import with_retry
from bot.telegram_render import html_chunks, label, reply_messages

log = logging.getLogger(__name__)

INLINE_RESULTS = 3
TOPIC_GROUPS = ("CMA", "NHA", "RMA", "NCMA", "ALL")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
EXPIRED = "That button has expired. Please ask again or use /topics."


def _dialogue(context: ContextTypes.DEFAULT_TYPE) -> Dialogue:
    return context.application.bot_data["live"].current


def _state(context: ContextTypes.DEFAULT_TYPE) -> ChatState:
    return context.chat_data.setdefault("state", ChatState())


def _record(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str, reply: Reply) -> None:
    store = context.application.bot_data.get("store")
    if store is not None:
        store.record(chat_id, "telegram", text, reply)


async def send_reply(message: Message, reply: Reply, context: ContextTypes.DEFAULT_TYPE, text: str = "") -> None:
    _record(context, message.chat_id, text, reply)
    feedback = reply.entry if reply.kind == "answer" and context.application.bot_data.get("store") else None
    for html, markup in reply_messages(reply, feedback_for=feedback):
        await _say(message, html, reply_markup=markup)


async def _say(message: Message, html: str, **kwargs) -> Message:
    """Send one HTML message in reply, retrying passing faults. Callers escape any user text in `html`."""
    return await with_retry(lambda: message.reply_html(html, link_preview_options=NO_PREVIEW, **kwargs))


async def flood_gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every other handler: past a user's burst, one polite notice, then silence for a while."""
    user = update.effective_user
    if user is None or update.inline_query is not None:
        return
    verdict = context.application.bot_data["flood"].check(user.id)
    if verdict == flood.OK:
        return
    if verdict == flood.WARN and update.effective_message is not None:
        await _say(update.effective_message, "You're sending messages faster than I can answer them. "
                   "Please wait a few seconds, then ask again.")
    raise ApplicationHandlerStop


def _topic_keyboard() -> InlineKeyboardMarkup:
    names = {"CMA": "CMA (AAMA)", "NHA": "CCMA & other NHA", "RMA": "RMA (AMT)", "NCMA": "NCMA (NCCT)",
             "ALL": "Comparisons & general"}
    return InlineKeyboardMarkup([[InlineKeyboardButton(names[g], callback_data=f"t:{g}")] for g in TOPIC_GROUPS])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update.effective_message, html_chunks(render("greeting"))[0], reply_markup=_topic_keyboard())


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update.effective_message, html_chunks(render("help"))[0])


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update.effective_message, "Browse questions by credential:", reply_markup=_topic_keyboard())


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    kb = _dialogue(context).kb
    text = render("sources", sources=[s for s in kb.sources.values() if s.url])
    for html in html_chunks(text):
        await _say(update.effective_message, html)


async def check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text
    await send_reply(update.effective_message, _dialogue(context).reply(text, _state(context)), context, text)


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = message.text
    if update.effective_chat.type != ChatType.PRIVATE:
        mention = f"@{context.bot.username}"
        replied_to_bot = message.reply_to_message and message.reply_to_message.from_user \
            and message.reply_to_message.from_user.id == context.bot.id
        if mention.lower() not in text.lower() and not replied_to_bot:
            return  # in groups, only what is addressed to the bot
        text = text.replace(mention, " ").strip()
    if await _feedback_comment(message, context):
        return
    await send_reply(message, _dialogue(context).reply(text, _state(context)), context, text)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat.type == ChatType.PRIVATE:
        await _say(update.effective_message, "I don't know that command. Try /help.")


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update.effective_message, "I can only read text. Please type your question, "
               "e.g. &quot;how many ceus for my cma&quot;.")


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await with_retry(query.answer)  # first, so the user's spinner stops even if the rest is slow
    data = query.data or ""
    dialogue = _dialogue(context)
    state = _state(context)
    if data.startswith("t:") and data[2:] in TOPIC_GROUPS:
        await _show_topic(query, dialogue, data[2:])
        return
    if data == "t:":
        await with_retry(lambda: query.edit_message_text("Browse questions by credential:",
                                                         reply_markup=_topic_keyboard()))
        return
    if data.startswith("fb:"):
        await _feedback(query, context, data)
        return
    reply = button_reply(dialogue, state, data)
    if reply is None:
        await _say(query.message, EXPIRED)
        return
    await send_reply(query.message, reply, context, data[4:] if data.startswith("say:") else "")


def button_reply(dialogue: Dialogue, state: ChatState, data: str) -> Reply | None:
    """The reply a tapped answer button asks for; None for data the bot did not make (forged or stale)."""
    if data.startswith("e:"):
        return dialogue.answer_entry(data[2:], state)
    if data.startswith("say:"):
        return dialogue.reply(data[4:], state)
    if data == "none":
        state.forget_offer()
        return Reply("decline", "Sorry I couldn't help. Try asking in other words, or browse /topics.")
    return None


async def _feedback(query, context: ContextTypes.DEFAULT_TYPE, data: str) -> None:
    store = context.application.bot_data.get("store")
    _, sign, entry = data.split(":", 2) if data.count(":") >= 2 else ("", "", "")
    if store is None or sign not in ("+", "-") or entry not in _known_answers(context):
        await _say(query.message, EXPIRED)
        return
    feedback_id = store.record_feedback(query.message.chat_id, "telegram", entry, 1 if sign == "+" else -1)
    if sign == "+":
        await _say(query.message, "Thanks for the feedback!")
        return
    prompt = await _say(query.message, "Sorry that didn't help. What was wrong? Reply to this message to tell us "
                        "(optional).", reply_markup=ForceReply(selective=True))
    context.chat_data["feedback_prompt"] = (prompt.message_id, feedback_id)


def _known_answers(context: ContextTypes.DEFAULT_TYPE) -> set[str]:
    kb = _dialogue(context).kb
    return set(kb.entries) | {f"topic:{t}" for e in kb.entries.values() for t in e.topics}


async def _feedback_comment(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A reply to the "what was wrong?" prompt is stored with the 👎 it follows, not answered as a question."""
    prompt = context.chat_data.get("feedback_prompt")
    if not prompt or not message.reply_to_message or message.reply_to_message.message_id != prompt[0]:
        return False
    store = context.application.bot_data.get("store")
    if store is not None:
        store.add_feedback_comment(prompt[1], message.text)
    context.chat_data.pop("feedback_prompt", None)
    await _say(message, "Thank you, noted. A person reviews these.")
    return True


async def admin_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    store = context.application.bot_data.get("store")
    if not _is_admin(update, context) or store is None:
        await unknown_command(update, context)  # others get no sign the command exists
        return
    text = reports.stats_table(reports.stats(store, 30), limit=5)
    for html in html_chunks("Last 30 days\n" + text):
        await _say(update.effective_message, html)


async def admin_misses(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    store = context.application.bot_data.get("store")
    if not _is_admin(update, context) or store is None:
        await unknown_command(update, context)
        return
    groups = reports.group_misses(store.misses(30))
    for html in html_chunks("Unanswered, last 30 days\n" + reports.misses_table(groups, limit=10)):
        await _say(update.effective_message, html)


def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    return update.effective_chat.id in context.application.bot_data.get("admins", ())


async def _show_topic(query, dialogue: Dialogue, group: str) -> None:
    entries = [e for e in dialogue.kb.entries.values() if not e.decline
               and ((group == "ALL" and (not e.credentials or len(e.credentials) > 1))
                    or (group != "ALL" and list(e.credentials) == [group]))]
    rows = [[InlineKeyboardButton(label(e.question), callback_data=f"e:{e.id}")] for e in entries]
    rows.append([InlineKeyboardButton("« Back", callback_data="t:")])
    title = "Comparisons and general questions:" if group == "ALL" else \
        f"{dialogue.kb.credentials[group].label} questions:"
    await with_retry(lambda: query.edit_message_text(title, reply_markup=InlineKeyboardMarkup(rows)))


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    dialogue = _dialogue(context)
    matcher = dialogue.matcher
    if query.query.strip():
        ranked = [s.entry for s in matcher.rank(matcher.normalize(query.query[:500])) if not s.entry.decline]
    else:
        ranked = [e for e in dialogue.kb.entries.values() if e.topics]
    results = []
    for entry in ranked[:INLINE_RESULTS]:
        reply = dialogue.answer_entry(entry.id)
        results.append(InlineQueryResultArticle(
            id=entry.id, title=entry.question, description=reply.text[:100],
            input_message_content=InputTextMessageContent(html_chunks(reply.text)[0], parse_mode=ParseMode.HTML),
        ))
    await with_retry(lambda: query.answer(results, cache_time=60))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("handling an update failed: %s", context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await with_retry(lambda: context.bot.send_message(
                update.effective_chat.id, "Sorry, something went wrong on my side. Please try again."))
        except Exception:  # the error may be that Telegram is unreachable: nothing more to do here
            log.warning("could not tell the user about the error")
