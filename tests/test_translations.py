"""Every user-facing sentence has its Spanish version, and replies come out in the language asked for."""

import shutil

from bot import translations
from bot.render import render
from tests.conftest import ROOT


def test_every_marked_sentence_is_translated():
    assert translations.problems() == []


def test_a_new_sentence_without_translation_is_reported(tmp_path):
    shutil.copytree(ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "bot" / "templates" / "new.txt.j2").write_text('{{ _("A sentence nobody translated.") }}\n')
    assert translations.problems(tmp_path) == [
        "not in messages.pot (run pybabel extract): 'A sentence nobody translated.'"]


def test_templates_and_dates_in_spanish(kb):
    from datetime import date

    assert render("thanks", language="es") == "¡De nada! Pregunta cuando quieras."
    assert render("thanks") == "You're welcome! Ask any time."
    assert render("topic_title", kb, language="es", group="NHA") == "Preguntas sobre CCMA (NHA):"
    from bot.render import environment

    assert environment("es").filters["day"](date(2031, 3, 31)) == "31 de marzo de 2031"
    assert environment("en").filters["day"](date(2031, 3, 31)) == "31 March 2031"
