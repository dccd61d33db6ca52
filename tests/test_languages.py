"""Each message answered in its own language (or the one the chat chose), from one knowledge base."""

import shutil

import pytest
import yaml

from bot.dialogue import Conversation, Dialogue
from faq.kb import DATA_DIR, KnowledgeBaseError, load
from faq.language import detect


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory):
    """The knowledge base with a made-up Spanish half: every entry's answer starts "ES:"."""
    data = tmp_path_factory.mktemp("kb") / "data"
    shutil.copytree(DATA_DIR, data)
    shutil.rmtree(data / "es", ignore_errors=True)
    (data / "es" / "entries").mkdir(parents=True)
    own = {"nha-cycle": ["cada cuanto renuevo mi ccma", "cada cuanto hay que renovar el ccma",
                         "cuanto dura el ccma"]}
    for path in sorted((data / "entries").glob("*.yaml")):
        items = [{"id": e["id"], "question": "¿" + e["question"],
                  "phrasings": own.get(e["id"], [f"pregunta {e['id']} numero {n}" for n in range(3)]),
                  "answer": "ES: " + e["answer"], **({"short": e["short"]} if e.get("short") else {})}
                 for e in yaml.safe_load(path.read_text())]
        (data / "es" / "entries" / path.name).write_text(yaml.safe_dump(items, allow_unicode=True))
    (data / "es" / "synonyms.yaml").write_text(yaml.safe_dump({"words": {"renovar": "renew"}}))
    (data / "es" / "stopwords.yaml").write_text("[que, de, la, el, mi, para]\n")
    return Dialogue(load(data))


def test_a_spanish_question_is_answered_from_the_spanish_half(bilingual):
    reply = bilingual.reply("cada cuanto tengo que renovar mi ccma")
    assert reply.kind == "answer" and reply.entry == "nha-cycle" and reply.text.startswith("ES:")
    assert not bilingual.reply("how often do i renew my ccma").text.startswith("ES:")


def test_the_chat_can_choose_its_language(bilingual):
    chat = Conversation(bilingual)
    assert "español" in chat.say("/idioma es").text
    assert chat.say("how often do i renew my ccma").text.startswith("ES:")
    chat.say("/language auto")
    assert not chat.say("how often do i renew my ccma").text.startswith("ES:")
    assert "/idioma es" in chat.say("/language klingon").text


def test_a_message_with_no_words_of_either_language_keeps_the_last_one(bilingual):
    chat = Conversation(bilingual)
    chat.say("cada cuanto tengo que renovar mi ccma")
    assert chat.say("ccma cpt renewal").text.startswith("ES:")


def test_spanish_ui_sentences(bilingual):
    assert bilingual.reply("hola").text.startswith("¡Hola!")
    assert bilingual.reply("hola que tal, tengo una pregunta sobre el clima de hoy").text.startswith("Perdón")


def test_a_translation_that_misses_an_entry_is_refused(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    shutil.rmtree(data / "es", ignore_errors=True)
    (data / "es" / "entries").mkdir(parents=True)
    (data / "es" / "entries" / "general.yaml").write_text("[]\n")
    (data / "es" / "synonyms.yaml").write_text("{}\n")
    (data / "es" / "stopwords.yaml").write_text("[]\n")
    with pytest.raises(KnowledgeBaseError, match="no es version of"):
        load(data)


@pytest.mark.parametrize("text, prior, language", [
    ("cuantos ceus necesito para mi cma", None, "es"),
    ("mi cma expired hace 2 meses, todavia puedo hacer los ceus?", None, "es"),
    ("ok gracias but how much is the exam", None, "en"),
    ("cma recert reqs", "es", "es"),
    ("cma recert reqs", None, "en"),
])
def test_language_by_the_words_that_ask(text, prior, language):
    assert detect(text, prior) == language
