"""Which language a message is in: Spanish or English, on short, accent-less, typo-full phone messages.

Measured on tests/data/language_samples.yaml (`python -m bench.language`): py3langid restricted to the two
languages was right on 67 of 70 at ~30 µs a message, lingua on 68 at ~4.5 ms; both missed Spanglish asked in
English and greetings. So the words that ask decide first (question and function words of each language:
"cuantos CE credits necesito para renew" is Spanish, "ok gracias but how much is the exam" English), py3langid
breaks a tie, and a message with nothing to go on ("cma recert reqs", "60 pts") takes the prior: the chat's
last language, or the language Telegram reports for the user."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from faq.normalize import fold
from faq.segment import questions

Language = Literal["en", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "es")
DEFAULT: Language = "en"

# Words that only one of the two languages uses, and that people asking a question type.
_SPANISH = frozenset("""
    que q k cuantos cuantas cuanto cuanta como cuando donde cual cuales porque por para pa puedo puede pueden
    tengo tiene tienen necesito necesita hay hago hacer es son esta estoy mi mis su sus el la los las un una
    unos unas del al de y o pero si no tambien todavia ya se me te le lo nos hola gracias porfa favor ayuda
    buenos buenas dias tardes noches vencio vence venci vencido renovar renuevo renueva examen puntos creditos
    cursos horas anos meses semanas certificacion cuesta cuota pago pagar sirven cuentan cuenta sirve hace
    semana pasada pasado proximo proxima en significa significan quiere decir sobre desde hasta despues antes
    ahora mucho poco aqui ese esa eso esto
    """.split())
_ENGLISH = frozenset("""
    how what whats when where which who why can could do does did is are am was were will would should
    i im ive my me you your the a an of to for in on with and or but if not no it its this that there
    have has need needs get got much many long often hi hello hey thanks thank please help
    """.split())
_AMBIGUOUS = _SPANISH & _ENGLISH  # "no", "a"... count for neither


def detect(text: str, prior: Language | None = None) -> Language:
    # the parts that ask first ("que significa CCP? my coworker keeps saying it" is Spanish), then the whole
    words = fold(text).split()
    for said in ([w for part in questions(text) for w in part.split()], words):
        spanish = sum(w in _SPANISH and w not in _AMBIGUOUS for w in said)
        english = sum(w in _ENGLISH and w not in _AMBIGUOUS for w in said)
        if spanish != english:
            return "es" if spanish > english else "en"
    if spanish == 0:
        return prior or DEFAULT  # acronyms, numbers and names say nothing about the language
    return _classify(" ".join(words))


@lru_cache(maxsize=4096)
def _classify(folded: str) -> Language:
    from py3langid import langid  # loaded on the first message that needs it: it costs ~0.1 s

    langid.set_languages(list(LANGUAGES))
    found = langid.classify(folded)[0]
    return "es" if found == "es" else "en"


def reading(text: str, language: Language) -> Language:
    """The language a message's numbers and dates are read in: its own, or Spanish when a message answered in
    English still says them in Spanish ("my ccma expired la semana pasada": two Spanish words or more)."""
    if language == "es":
        return language
    return "es" if sum(w in _SPANISH and w not in _AMBIGUOUS for w in fold(text).split()) >= 2 else language
