"""The parts of a message that ask. A long message tells a story around its question ("my boss says… I moved
in June… how many ceus do i need?"), and a short one may ask two things at once ("what's the fee to retake the
exam and how many tries do i get"); the matcher scores these parts, so story words cannot drown the question."""

from __future__ import annotations

import re
from functools import lru_cache

from faq.normalize import fold

# Sentence ends: . ! ? followed by space, new lines, semicolons.
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*|;\s*")
_QUESTION_WORD = (r"(?:how|hw|what|whats|wat|when|where|who|whos|why|which|can|cn|could|do|does|did|dose|is|isnt|are|"
                  r"r|will|would|should|must|may|am|if|any|anyone|whether|should|need|"
                  # Spanish, folded: "cuantos", "como", "puedo", "se puede", "tengo que", "hay que", "es cierto"
                  r"cuantos|cuantas|cuanto|cuanta|como|cuando|donde|que|q|cual|cuales|quien|puedo|puede|pueden|"
                  r"se puede|tengo que|hay que|es cierto|es verdad|necesito|debo|sirve|sirven|cuenta|cuentan)")
# "also whats the number", "ok and how long": a question may open with a word that joins it to the one before
_ASKS_AT_START = re.compile(rf"^(?:(?:and|also|plus|but|so|or|then|ok|okay|oh|well|anyway|lastly|finally|y|pero|"
                            rf"tambien|on|at|by|from|for|with|to|en|de|con|para|por)\s+)*{_QUESTION_WORD}\b")
# "just wondering if", "i need to know how", "please tell me what", "not sure whether"
_ASKS_INSIDE = re.compile(r"\b(wondering|want to know|wanna know|need to know|not sure (if|whether|how|what|when)|"
                          r"tell me|question is|any idea|anyone know|confused about|help me understand|"
                          r"can you explain|explain|quisiera saber|quiero saber|queria saber|me gustaria saber|me pregunto|"
                          r"alguien sabe|no se si|no se cuant|no se como|mi pregunta es|me pueden decir|"
                          r"me podrian decir|me pueden ayudar|me explican)\b")
# A phone message often runs its question on from the story without a stop ("...so confused lol what even counts
# now"): from such a phrase on, the clause asks.
_ASKS_MIDWAY = re.compile(r"\b(?:how (?:many|much|long|often|soon|far|early|late|do|does|can|is)|"
                          r"what (?:even |actually )?(?:counts|do i|does|is|are|happens|if)|"
                          r"when (?:is|do|does|can|should|will)|(?:is|isnt) (?:that|it|this) (?:true|still)|"
                          r"do i (?:need|have|still)|can i (?:still|use|count|get))\b")
# Where a sentence starts another question: "..., and how many tries do i get", "... but when is it due"
_SECOND_QUESTION = re.compile(rf"(?:,\s*|\s+)(?:and|also|plus|but|so|or|then|and also|y|o|pero|tambien|y tambien)\s+"
                              rf"(?=(?:(?:on|at|in|by|from|for|with|to|en|a|de|con|para|por)\s+)?{_QUESTION_WORD}\b)")
# "is that still a thing?", "can i count those?": a short question about what the sentence before it said
_POINTS_BACK = re.compile(r"\b(that|those|these|this|it|them|they|there|she|he|her|him|ella|eso|esos|esas|esto|cierto|verdad)\b")
SHORT_QUESTION = 6  # words
RUN_ON_WORDS = 12
POINTED_WORDS = 12

MIN_PART_WORDS = 2


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCES.split(text)) if s]


@lru_cache(maxsize=1024)  # language detection reads them first, then the dialogue
def questions(text: str) -> tuple[str, ...]:
    """The asking parts of `text`, in order: each clause that asks (a sentence ending in "?" asks in all its
    clauses), a short one that points back carrying the sentence before it; () when no part clearly asks."""
    parts: list[str] = []
    previous = ""
    for sentence in sentences(text):
        whole_asks = sentence.rstrip().endswith("?")
        # the whole sentence: a run-on message often asks at its very end, past what one question is read up to
        for said in _SECOND_QUESTION.split(fold(sentence, limit=None)):
            midway = None if whole_asks or _asks(said) else _ASKS_MIDWAY.search(said)
            clause = said[midway.start():] if midway else said
            if not whole_asks:  # a question with no "?" runs on into more story: it is read up to a few words
                clause = " ".join(clause.split()[:RUN_ON_WORDS])
            words = clause.split()
            points_back = len(words) <= SHORT_QUESTION and bool(_POINTS_BACK.search(clause))
            if len(words) >= MIN_PART_WORDS and (whole_asks or midway or _asks(clause)):
                if points_back and previous:
                    # "that" is what was said last: the end of the clause before ("is that true or is there
                    # another way?": both point at the story, not at each other)
                    clause = " ".join([*previous.split()[-POINTED_WORDS:], clause])
                parts.append(clause)
            if not points_back:
                previous = said
    return tuple(parts)


def _asks(folded: str) -> bool:
    return bool(_ASKS_AT_START.match(folded) or _ASKS_INSIDE.search(folded))
