"""Choosing the language detector: accuracy and time per message on short phone messages.

    python -m bench.language [FILE ...]   (default: tests/data/language_samples.yaml)

Files are lists of [language, message] pairs, or eval files whose cases are all in one language (give it as
LANG=FILE, e.g. es=tests/data/spanish_messages.yaml). lingua is measured when installed (the bench extra).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from faq import language

ROOT = Path(__file__).resolve().parent.parent


def samples(arg: str) -> list[tuple[str, str]]:
    lang, _, path = arg.rpartition("=")
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [(str(d[0]), str(d[1])) if isinstance(d, list) else (lang, str(d["q"])) for d in data]


def detectors() -> dict[str, Callable[[str], str]]:
    from py3langid import langid

    langid.set_languages(["en", "es"])
    found: dict[str, Callable[[str], str]] = {
        "recertbot (words that ask, then py3langid)": language.detect,
        "py3langid (en/es)": lambda t: str(langid.classify(t)[0]),
    }
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return found
    lingua = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH).build()
    found["lingua (en/es)"] = lambda t: "es" if lingua.detect_language_of(t) == Language.SPANISH else "en"
    return found


def main(argv: list[str]) -> int:
    cases = [c for arg in (argv or [str(ROOT / "tests/data/language_samples.yaml")]) for c in samples(arg)]
    print(f"{len(cases)} messages")
    for name, detect in detectors().items():
        detect(cases[0][1])  # load models before timing
        started = time.perf_counter()
        right = sum(detect(text) == lang for lang, text in cases)
        per_message = (time.perf_counter() - started) / len(cases) * 1e6
        print(f"{name:45} {right}/{len(cases)} right, {per_message:,.0f} µs a message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
