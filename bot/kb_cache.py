"""The knowledge base kept compiled between runs, with its matchers (one per language): a start does not parse
the YAML, compile every answer template and index every phrasing again when nothing changed (about a fifth of
a second of `recertbot run`'s way to its first answer).

The cache is keyed on the content of every file under the knowledge-base folder, on the code that makes a
knowledge base and its matchers out of them (faq/*.py) and on the versions of Python and rapidfuzz, so any
edit to either, however small, is a miss and a fresh `faq.kb.load` with all its checks; only a knowledge base
that passed them is ever written. `faq lint` clears it. It lives in the user's own cache folder
($XDG_CACHE_HOME/recertbot, else ~/.cache/recertbot), made 0700: a pickle runs code when read, so one in a
folder anybody else could write to is never read.
"""

from __future__ import annotations

import copyreg
import hashlib
import logging
import os
import pickle
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import rapidfuzz

from faq.kb import DATA_DIR, KnowledgeBase, load
from faq.matcher import Matcher

FAQ_CODE = Path(__file__).resolve().parent.parent / "faq"

log = logging.getLogger(__name__)

KEEP = 8  # cached knowledge bases kept (one per edit of the files, or per folder): the most recent ones


def _proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


# The knowledge base's read-only mappings are pickled as what they wrap.
copyreg.pickle(MappingProxyType, lambda proxy: (_proxy, (dict(proxy),)))


def cache_dir() -> Path | None:
    """Where the cache lives; None when there is no home to put it in (no HOME, no passwd entry)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(base) / "recertbot"


def key(data_dir: Path | str = DATA_DIR) -> str:
    """A digest of every file under `data_dir` and of faq/*.py (names and bytes), and of the versions."""
    digest = hashlib.sha256(f"{sys.version_info[:2]} {rapidfuzz.__version__}".encode())
    for root, pattern in ((FAQ_CODE, "*.py"), (Path(data_dir), "*")):
        for path in sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            name = path.relative_to(root).as_posix().encode()
            content = path.read_bytes()
            digest.update(len(name).to_bytes(4, "big") + name + len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()[:32]


def load_compiled(data_dir: Path | str = DATA_DIR,
                  folder: Path | None = None) -> tuple[KnowledgeBase, dict[str, Matcher]]:
    """`faq.kb.load(data_dir)` and a Matcher for it and for each of its translations (by language), from the
    cache when its files are the ones last loaded."""
    folder = folder or cache_dir()
    path = folder / f"kb-{key(data_dir)}.pickle" if folder else None
    if folder and path and _private(folder) and path.is_file():
        try:
            kb, matchers = pickle.loads(path.read_bytes())
        except Exception as exc:  # a file cut short, or written by other code: load afresh
            log.info("the cached knowledge base could not be read (%s): loading the files", exc)
        else:
            if isinstance(kb, KnowledgeBase) and isinstance(matchers, dict):
                return kb, matchers
    kb = load(data_dir)
    matchers = {kb.language: Matcher(kb)} | {lang: Matcher(tkb) for lang, tkb in kb.translations.items()}
    if folder and path:
        _write(folder, path, (kb, matchers))  # before any question: the matchers' decision caches are empty
    return kb, matchers


def clear(folder: Path | None = None) -> int:
    """Removes every cached knowledge base; how many there were."""
    folder = folder or cache_dir()
    found = list(folder.glob("kb-*.pickle")) if folder else []
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


def _private(folder: Path) -> bool:
    try:
        info = folder.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o077


def _write(folder: Path, path: Path, compiled: tuple[KnowledgeBase, dict[str, Matcher]]) -> None:
    """Written under a temporary name and renamed into place (no reader sees half a file); failures only
    cost the next start its tenth of a second."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return
        temporary = folder / f".{path.name}.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)
        older = sorted(folder.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]
        for stale in older:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.info("the knowledge base could not be cached (%s)", exc)
