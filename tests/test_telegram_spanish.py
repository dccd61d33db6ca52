"""The same bot in Spanish through the real python-telegram-bot client and the fake Bot API: a question, the
guided /check with its buttons, and the interface in the user's language."""

import pytest

from bot.dialogue import Dialogue
from tests.telegram_harness import USER, serve, stop


@pytest.fixture
async def bot(api, kb, matcher):
    app = await serve(api, Dialogue(kb, matcher))
    yield app
    await stop(app)


def callback_data(message):
    return [b["callback_data"] for row in message.params["reply_markup"]["inline_keyboard"] for b in row]


async def test_a_spanish_question_gets_a_spanish_answer_with_its_sources(api, bot):
    api.text(USER, "cada cuanto tengo que renovar mi ccma??", language_code="es")
    [sent] = await api.wait_for("sendMessage", chat_id=USER)
    assert "cada 2 años" in sent.params["text"] and "Fuente" in sent.params["text"]


async def test_start_greets_in_the_users_language(api, bot):
    api.text(USER, "/start", language_code="es-MX")
    [sent] = await api.wait_for("sendMessage", chat_id=USER)
    assert sent.params["text"].startswith("¡Hola!")


async def test_guided_check_in_spanish_with_buttons(api, bot):
    api.text(USER, "hola", language_code="es")
    await api.wait_for("sendMessage", chat_id=USER)
    api.text(USER, "/check", language_code="es")
    [_, ask] = await api.wait_for("sendMessage", 2, chat_id=USER)
    assert callback_data(ask)[:4] == ["say:CMA", "say:NHA", "say:RMA", "say:NCMA"]
    api.callback(USER, "say:NHA")
    asked = (await api.wait_for("sendMessage", 3, chat_id=USER))[-1]
    api.text(USER, "doce horas", language_code="es")  # NHA-CE: 2 hours a credit, 10 credits
    verdict = (await api.wait_for("sendMessage", 4, chat_id=USER))[-1]
    assert asked.params["text"] != verdict.params["text"]
    assert "6" in verdict.params["text"] and "4" in verdict.params["text"]  # 12 hours = 6 credits; 4 more
    assert "Fuente" in verdict.params["text"]


async def test_the_chat_chooses_its_language(api, bot):
    api.text(USER, "/idioma es")
    [chosen] = await api.wait_for("sendMessage", chat_id=USER)
    assert "español" in chosen.params["text"]
    api.text(USER, "how often do i renew my ccma")
    [_, answer] = await api.wait_for("sendMessage", 2, chat_id=USER)
    assert "cada 2 años" in answer.params["text"]


async def test_a_spanish_reminder_sign_up_is_asked_in_spanish(api, bot):
    api.text(USER, "recuerdame antes de que se venza mi ccma", language_code="es")
    [ask] = await api.wait_for("sendMessage", chat_id=USER)
    assert "¿" in ask.params["text"] or "vence" in ask.params["text"]


def button_texts(message):
    return [b["text"] for row in message.params["reply_markup"]["inline_keyboard"] for b in row]


async def test_topics_are_browsed_in_spanish(api, bot, kb):
    api.text(USER, "/topics", language_code="es")
    [menu] = await api.wait_for("sendMessage", chat_id=USER)
    assert "CCMA y otras de NHA" in button_texts(menu)
    api.callback(USER, "t:NHA", message_id=77, language_code="es")
    [edit] = await api.wait_for("editMessageText", message_id=77)
    questions = button_texts(edit)
    assert kb.translations["es"].entries["nha-ce"].question in questions
    assert kb.entries["nha-ce"].question not in questions


async def test_inline_mode_answers_in_the_querys_language(api, bot, kb):
    api.inline(USER, "cuantos ceus necesito pa mi cma", language_code="es")
    [call] = await api.wait_for("answerInlineQuery")
    [first, *_] = call.params["results"]
    assert first["title"] == kb.translations["es"].entries[first["id"]].question
    assert "Fuente" in first["input_message_content"]["message_text"]


class Failing(Dialogue):
    """A dialogue that breaks on one message, as a bug would."""

    def respond(self, text, state, hint=None):
        if text == "rompe":
            raise RuntimeError("a bug")
        return super().respond(text, state, hint)


async def test_an_error_is_apologised_for_in_the_chats_language(api, kb, matcher):
    app = await serve(api, Failing(kb, matcher))
    try:
        api.text(USER, "rompe", language_code="es")
        [sent] = await api.wait_for("sendMessage", chat_id=USER)
        assert sent.params["text"].startswith("Perdón, algo falló")
    finally:
        await stop(app)


async def test_the_command_menu_in_spanish(api, bot):
    menus = {c.params.get("language_code"): c.params["commands"] for c in await api.wait_for("setMyCommands", 2)}
    spanish = {c["command"]: c["description"] for c in menus["es"]}
    assert "idioma" in spanish and "language" not in spanish
    assert spanish["check"] == "Revisar tus puntos o créditos"
    assert {c["command"] for c in menus[None]} >= {"language", "check"}
