"""Each message answered in its own language (or the one the chat chose), from one knowledge base."""

import shutil

import pytest
import yaml

from bot.contracts import ChatState
from bot.dialogue import Conversation
from faq.kb import DATA_DIR, KnowledgeBaseError, load
from faq.language import detect


@pytest.fixture(scope="module")
def bilingual(dialogue):
    return dialogue


def spanish(dialogue, entry):
    return dialogue.voices["es"].answer_entry(entry, ChatState())[0].text


def english(dialogue, entry):
    return dialogue.answer_entry(entry, ChatState())[0].text


def test_a_spanish_question_is_answered_from_the_spanish_half(bilingual):
    reply = bilingual.reply("cada cuanto tengo que renovar mi ccma")
    assert reply.kind == "answer" and reply.entry == "nha-cycle"
    assert reply.text == spanish(bilingual, "nha-cycle") != english(bilingual, "nha-cycle")
    assert bilingual.reply("how often do i renew my ccma").text == english(bilingual, "nha-cycle")


def test_the_chat_can_choose_its_language(bilingual):
    chat = Conversation(bilingual)
    assert "español" in chat.say("/idioma es").text
    assert chat.say("how often do i renew my ccma").text == spanish(bilingual, "nha-cycle")
    chat.say("/language auto")
    assert chat.say("how often do i renew my ccma").text == english(bilingual, "nha-cycle")
    assert "/idioma es" in chat.say("/language klingon").text


def test_a_message_with_no_words_of_either_language_keeps_the_last_one(bilingual):
    chat = Conversation(bilingual)
    chat.say("cada cuanto tengo que renovar mi ccma")
    reply = chat.say("ccma cpt renewal")
    assert reply.text == spanish(bilingual, reply.entry) if reply.kind == "answer" else "No estoy seguro" in reply.text


def test_spanish_ui_sentences(bilingual):
    assert bilingual.reply("hola").text.startswith("¡Hola!")
    assert bilingual.reply("hola que tal, tengo una pregunta sobre el clima de hoy").text.startswith("Perdón")


def test_every_entry_has_its_spanish_version(kb):
    assert kb.translations["es"].untranslated == ()


def test_an_entry_not_translated_yet_is_answered_in_english_and_listed(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    nha = data / "es" / "entries" / "nha.yaml"
    nha.write_text(yaml.safe_dump([e for e in yaml.safe_load(nha.read_text()) if e["id"] != "nha-cycle"],
                                  allow_unicode=True))
    spanish = load(data).translations["es"]
    assert "nha-cycle" in spanish.untranslated
    assert spanish.entries["nha-cycle"].answer == load(data).entries["nha-cycle"].answer


def test_credentials_are_named_in_spanish_on_menus(kb, tmp_path):
    assert kb.translations["es"].credentials["NHA"].menu == "CCMA y otras de NHA"
    assert kb.translations["es"].credentials["NHA"].label == kb.credentials["NHA"].label  # the board's own name
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    names = data / "es" / "credentials.yaml"
    names.write_text(yaml.safe_dump({k: v for k, v in yaml.safe_load(names.read_text()).items() if k != "RMA"}))
    with pytest.raises(KnowledgeBaseError, match="RMA"):
        load(data)


@pytest.mark.parametrize("text, prior, language", [
    ("cuantos ceus necesito para mi cma", None, "es"),
    ("mi cma expired hace 2 meses, todavia puedo hacer los ceus?", None, "es"),
    ("ok gracias but how much is the exam", None, "en"),
    ("cma recert reqs", "es", "es"),
    ("cma recert reqs", None, "en"),
    # the asking part is Spanish, the story around it English
    ("q significa NCCT? my friend at work keeps bringing it up in the break room", None, "es"),
    ("mi jefa me dijo algo raro. what does CCP stand for?", None, "en"),
])
def test_language_by_the_words_that_ask(text, prior, language):
    assert detect(text, prior) == language


@pytest.fixture(scope="module")
def on_the_25th(kb, matcher):
    from datetime import date

    from bot.dialogue import Dialogue

    return Dialogue(kb, matcher, today=lambda: date(2026, 11, 25))


@pytest.mark.parametrize("text, status, expiry, missing", [
    # the opposites the English reading is tested with, written in Spanish (faq/data/es/reading.yaml)
    ("mi cma se vencio hace 4 meses", "exam_required", "past_window", {}),
    ("mi cma se vence en 4 meses", "need_info", "current", {}),
    ("se me vencio la cma hace 2 meses", "need_info", "in_window", {}),
    ("tengo cuarenta y cinco puntos y veinte aprobados por la aama", "not_yet", "unknown",
     {"total": 15, "aama": 10}),
    ("hice 7 creditos para mi ccma", "not_yet", "unknown", {"credits": 3}),
    ("tengo 12 horas de ce para mi ccma", "not_yet", "unknown", {"credits": 4}),
    ("mi cma se vencio el 15 de agosto de este año", "exam_required", "past_window", {}),
    ("mi cma lleva vencida mas de 3 meses", "exam_required", "past_window", {}),
    ("en enero de este año se me vencio mi cma", "exam_required", "past_window", {}),
    ("tengo 60 puntos pero ninguno aprobado por la aama", "not_yet", "unknown", {"total": 30, "aama": 30}),
])
def test_spanish_numbers_and_times_are_read_like_english_ones(on_the_25th, text, status, expiry, missing):
    [check] = on_the_25th.reply(text).checks
    assert (check.status, check.expiry) == (status, expiry)
    assert {k: v for k, v in check.missing.items() if v} == missing


@pytest.mark.parametrize("text", ["tengo una pregunta sobre mi cma, cada cuanto se renueva",
                                  "me llego un correo de amt sobre una auditoria del ccp"])
def test_the_spanish_article_is_no_amount(on_the_25th, text):
    assert on_the_25th.reply(text).kind != "check"


def test_other_bodies_are_told_apart_in_spanish_too(bilingual, tmp_path):
    reply = bilingual.reply("tengo una disputa laboral en sudafrica, como abro un caso en la ccma")
    assert (reply.kind, reply.entry) == ("decline", "oos-ccma-south-africa")
    assert bilingual.reply("puedo usar ceus de otros proveedores para mi rma").kind != "decline"
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "es" / "other_bodies.yaml").write_text("no-such-body:\n  names: [algo]\n")
    with pytest.raises(KnowledgeBaseError, match="no-such-body"):
        load(data)


def test_spanish_answers_cite_the_same_sources(bilingual, kb):
    import re

    links = re.compile(r"https?://\S+")
    for entry in kb.entries.values():
        assert links.findall(spanish(bilingual, entry.id)) == links.findall(english(bilingual, entry.id)), entry.id


def test_spanglish_answered_in_english_reads_its_spanish_dates(on_the_25th):
    from faq.language import reading

    assert reading("my ccma expired la semana pasada, what do i do now?", "en") == "es"
    assert reading("i moved to LA, once i renew my cma is it valid there?", "en") == "en"  # "once" stays a word
    [check] = on_the_25th.reply("my ccma expired la semana pasada, what do i do now?").checks
    assert (check.credential, check.status) == ("NHA", "lapsed")


@pytest.mark.parametrize("text, values", [
    ("en mi trabajo piden el cpr al dia y ya tengo 3 tarjetas", {"cpr": 3}),
    ("tome una clase de anatomia de 4 creditos en el community college", {"college": 4}),
    ("1 credito d colegio cuantos puntos son", {"college": 1}),
    ("tengo 7 creditos para mi ccma", {"total": 7}),
    ("hice unos ceus antes de certificarme", {}),
])
def test_spanish_amounts_are_read_by_what_they_count(text, values):
    from faq.extract import extract, prepare

    assert extract(prepare(text, "es"), is_prepared=True).values == values


@pytest.mark.parametrize("text", ["se me vencio la cma hace 6 semanas, todavia puedo mandar mis ceus?",
                                  "mi cma vencio hace un mes, aun alcanzo a recertificarme?",
                                  "tengo 3 tarjetas de cpr para mi cma, cuantos puntos me dan?"])
def test_a_spanish_question_about_ones_own_standing_gets_the_check(on_the_25th, text):
    assert on_the_25th.reply(text).kind == "check"
