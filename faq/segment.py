"""The parts of a message that ask. A long message tells a story around its question ("my boss says… I moved
in June… how many ceus do i need?"), and a short one may ask two things at once ("what's the fee to retake the
exam and how many tries do i get"); the matcher scores these parts, so story words cannot drown the question."""

from __future__ import annotations

import re

from faq.normalize import fold

# Sentence ends: . ! ? followed by space, new lines, semicolons.
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*|;\s*")
_QUESTION_WORD = (r"(?:how|hw|what|whats|wat|when|where|who|whos|why|which|can|cn|could|do|does|did|dose|is|isnt|are|"
                  r"r|will|would|should|must|may|am|if|any|anyone|whether|should|need)")
_ASKS_AT_START = re.compile(rf"^{_QUESTION_WORD}\b")
# "just wondering if", "i need to know how", "please tell me what", "not sure whether"
_ASKS_INSIDE = re.compile(r"\b(wondering|want to know|wanna know|need to know|not sure (if|whether|how|what|when)|"
                          r"tell me|question is|any idea|anyone know|confused about|help me understand|"
                          r"can you explain|explain)\b")
# Two questions in one sentence: "..., and how many tries do i get", "... also what's the fee"
_SECOND_QUESTION = re.compile(rf"(?:,\s*|\s+)(?:and|also|plus|&|and also)\s+(?={_QUESTION_WORD}\b)")

MIN_PART_WORDS = 2


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCES.split(text)) if s]


def asks(sentence: str) -> bool:
    folded = fold(sentence)
    return sentence.rstrip().endswith("?") or bool(_ASKS_AT_START.match(folded) or _ASKS_INSIDE.search(folded))


def questions(text: str) -> list[str]:
    """The asking parts of `text`, in order (each sentence that asks, split where it starts a second question);
    [] when no part clearly asks."""
    parts: list[str] = []
    for sentence in sentences(text):
        if not asks(sentence):
            continue
        for clause in _SECOND_QUESTION.split(fold(sentence)):
            if len(clause.split()) >= MIN_PART_WORDS:
                parts.append(clause)
    return parts
