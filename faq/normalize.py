"""Turning a question as typed into canonical content tokens and the credentials it names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from faq.kb import KnowledgeBase

# Enough words for any real question; a pasted essay is cut here so one message cannot cost much.
MAX_TOKENS = 60
# A misspelt word is corrected to a known one only when this close (rapidfuzz ratio, 0-100), and only
# for words long enough that one slip still leaves them recognisable.
TYPO_CUTOFF = 84
TYPO_MIN_LEN = 4

_NON_WORD = re.compile(r"[^a-z0-9]+")
_POSSESSIVE = re.compile(r"'s\b")
_INFLECTIONS = (("ed", ""), ("ed", "e"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"))
_CRED_PREFIX = "@"
# Letters Spanish does not spell with: such a word in a Spanish message is English ("sheet", "where", "soon").
_ENGLISH_SPELLING = re.compile(r"sh|th|w|oo|ee")


@dataclass(frozen=True)
class Normalized:
    tokens: tuple[str, ...]  # canonical content words, stop words and credential names removed, in order
    credentials: frozenset[str]


def fold(text: str, limit: int | None = MAX_TOKENS) -> str:
    """Lower-case ASCII words separated by single spaces (the first `limit` of them)."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'")).encode("ascii", "ignore").decode("ascii").lower()
    # A possessive is its noun: "nha's own courses" names NHA ("nhas" would name nothing).
    text = _POSSESSIVE.sub("", text).replace("'", "")
    return " ".join(_NON_WORD.sub(" ", text).split()[:limit])


def spanish_sound(word: str) -> str:
    """A folded Spanish word as it sounds, spelt one way: the letters people swap when they type by ear
    (c/k/qu, c/s/z, b/v, ll/y, a silent h, doubled letters)."""
    word = re.sub(r"qu(?=[ao])", "ku", word)  # "quanto" is said "cuanto"
    word = word.replace("ch", "C").replace("qu", "k").replace("ll", "y")
    word = re.sub(r"c(?=[ei])", "s", word).replace("c", "k").replace("z", "s").replace("v", "b").replace("h", "")
    return re.sub(r"(.)\1+", r"\1", word)


class Normalizer:
    def __init__(self, kb: KnowledgeBase, extra_vocabulary: frozenset[str] = frozenset()):
        self._stop = kb.stopwords
        self._words = {fold(k): v for k, v in kb.synonyms.words.items()}
        phrases = {fold(k): v for k, v in kb.synonyms.phrases.items()}
        for cid, spec in kb.credentials.items():
            for marker in spec.markers:
                phrases[fold(marker)] = _CRED_PREFIX + cid
        # Longest first, so "certified clinical medical assistant" wins over "certified medical assistant".
        ordered = sorted(phrases, key=len, reverse=True)
        self._phrases = phrases
        self._phrase_re = re.compile(r"\b(" + "|".join(re.escape(p) for p in ordered) + r")\b")
        self._common = kb.common_words
        vocab = set(extra_vocabulary) | set(self._stop) | set(self._words)
        for p in phrases:
            vocab.update(p.split())
        self._vocab = frozenset(vocab)
        # A content word is never "corrected" to a stop word ("lease" is not a misspelt "please"); a word that
        # is neither real nor near a content word may be a misspelt stop word ("stil", "becuase") and drops out.
        self._typo_choices = sorted(w for w in vocab - self._stop if len(w) >= TYPO_MIN_LEN)
        self._stop_choices = sorted(w for w in self._stop if len(w) >= TYPO_MIN_LEN)
        # Spanish typed by ear ("kada", "veses", "nesesito", "ay"): a word that sounds like exactly one known word.
        sounds: dict[str, set[str]] = {}
        if kb.language == "es":
            # never onto a credential's name: "nah" is no "nha", "cpht" (pharmacy) no "cpt"
            markers = {fold(m) for spec in kb.credentials.values() for m in spec.markers}
            for w in vocab - markers:
                sounds.setdefault(spanish_sound(w), set()).add(w)
        # (several stop words may sound alike: whichever is taken, the word drops out)
        self._sounds = {key: min(words) for key, words in sounds.items()
                        if len(words) == 1 or words <= self._stop}
        self._correct = lru_cache(maxsize=4096)(self._correct_uncached)

    def __getstate__(self) -> dict[str, object]:
        """Pickled (bot.kb_cache) without its typo cache, a function object made per instance."""
        state = dict(self.__dict__)
        del state["_correct"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._correct = lru_cache(maxsize=4096)(self._correct_uncached)

    @property
    def vocabulary(self) -> frozenset[str]:
        return self._vocab

    def _correct_uncached(self, word: str) -> str:
        if word in self._vocab or word.isdigit():
            return word
        if len(word) >= 2 and not _ENGLISH_SPELLING.search(word) and (heard := self._sounds.get(spanish_sound(word))):
            return heard
        if len(word) < TYPO_MIN_LEN:
            return word
        if word in self._common:  # a real word: only its inflection comes off ("changed" is "change")
            return next((stem for cut, add in _INFLECTIONS if word.endswith(cut)
                         and (stem := word[:-len(cut)] + add) in self._vocab), word)
        best = process.extractOne(word, self._typo_choices, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        if best:
            return best[0]
        stop = process.extractOne(word, self._stop_choices, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        if stop:
            return stop[0]
        # Two letters swapped ("mnay") cost fuzz.ratio too much on a short word; accept exactly that slip.
        swap = process.extractOne(word, self._typo_choices, scorer=OSA.distance, score_cutoff=1)
        return swap[0] if swap and sorted(swap[0]) == sorted(word) else word

    def _canonical(self, word: str) -> str:
        word = self._words.get(word, word)
        # Plurals the synonym map does not list: "courses" -> "course" when the singular is known.
        if word.endswith("s") and not word.endswith("ss") and len(word) > 3 and word[:-1] in self._vocab:
            word = self._words.get(word[:-1], word[:-1])
        return word

    def __call__(self, text: str) -> Normalized:
        # "$$ for the exam?": a dollar sign asks a price (fold would drop it); the amount itself is no content
        words = [self._correct(w) for w in fold(text.replace("$", " dollars ")).split()]
        joined = self._phrase_re.sub(lambda m: self._phrases[m.group(1)], " ".join(words))
        tokens: list[str] = []
        credentials: set[str] = set()
        for word in joined.split():
            if word.startswith(_CRED_PREFIX):
                credentials.add(word[1:])
                continue
            if word in self._stop or word.isdigit():
                continue
            canon = self._canonical(word)
            if canon.startswith(_CRED_PREFIX):
                credentials.add(canon[1:])
            elif canon not in self._stop and canon not in tokens:
                tokens.append(canon)
        return Normalized(tuple(tokens), frozenset(credentials))
