"""The compiled knowledge base kept between runs, with its matchers: read back when the files are unchanged (and
deciding as freshly built ones do), never when anything in them changed, never written for a knowledge base
that does not load, and never read from a folder others could write to."""

import dataclasses
import json
import pickle
from types import MappingProxyType

import pytest

from bot import kb_cache
from bot.evaluate import load_cases
from faq.kb import KnowledgeBaseError, load
from faq.matcher import Matcher
from tests.conftest import REGRESSION


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "cache"


def _no_loading(data_dir):
    raise AssertionError("the files were read although the cache holds them")


def test_an_unchanged_knowledge_base_is_read_back_from_the_cache(kb_copy, folder, monkeypatch):
    first, _ = kb_cache.load_compiled(kb_copy, folder)
    assert first == load(kb_copy)
    assert (folder.stat().st_mode & 0o777) == 0o700
    monkeypatch.setattr(kb_cache, "load", _no_loading)
    again, matchers = kb_cache.load_compiled(kb_copy, folder)
    assert again == first and again is not first
    assert isinstance(again.entries, MappingProxyType)
    assert set(matchers) == {again.language, *again.translations}
    english = matchers[again.language]
    assert all(a is b for a, b in zip(english.entries, again.entries.values(), strict=True))  # one object graph
    fresh = Matcher(first)
    for case in load_cases(REGRESSION):
        assert english.decide(english.normalize(case.q)) == fresh.decide(fresh.normalize(case.q)), case.q


def test_any_edit_of_the_files_is_loaded_afresh(kb_copy, folder):
    before = kb_cache.load_compiled(kb_copy, folder)[0]
    path = kb_copy / "entries" / "cma_ce.yaml"
    path.write_text(path.read_text().replace("    - cma ceu requirement\n",
                                             "    - cma ceu requirement\n    - cma ceu requirement please\n"))
    after = kb_cache.load_compiled(kb_copy, folder)[0]
    assert "cma ceu requirement please" in after.entries["cma-ce-total"].phrasings
    assert "cma ceu requirement please" not in before.entries["cma-ce-total"].phrasings


def test_a_broken_edit_is_an_error_and_is_not_cached(kb_copy, folder):
    kb_cache.load_compiled(kb_copy, folder)[0]
    path = kb_copy / "entries" / "cma_ce.yaml"
    path.write_text(path.read_text().replace("- id: cma-ce-total", "- id: Not An Id"))
    for _ in range(2):
        with pytest.raises(KnowledgeBaseError):
            kb_cache.load_compiled(kb_copy, folder)[0]
    assert len(list(folder.glob("kb-*.pickle"))) == 1


def test_a_cache_folder_others_can_write_to_is_never_read(kb_copy, folder):
    real = kb_cache.load_compiled(kb_copy, folder)[0]
    planted = (dataclasses.replace(real, entries=MappingProxyType({})), {})
    (folder / f"kb-{kb_cache.key(kb_copy)}.pickle").write_bytes(pickle.dumps(planted))
    assert kb_cache.load_compiled(kb_copy, folder)[0].entries == {}  # private: read (what makes the check meaningful)
    (folder / f"kb-{kb_cache.key(kb_copy)}.pickle").write_bytes(pickle.dumps(planted))
    folder.chmod(0o777)
    assert kb_cache.load_compiled(kb_copy, folder)[0] == real


def test_clear_removes_every_cached_knowledge_base(kb_copy, folder):
    kb_cache.load_compiled(kb_copy, folder)[0]
    assert kb_cache.clear(folder) == 1
    assert not list(folder.glob("kb-*.pickle"))


def test_a_matcher_read_back_with_numpys_arrays_ranks_in_a_fresh_process(folder):
    """A knowledge base large enough to build numpy's arrays with its load keeps them in the cache; a new
    process reading it back (numpy imported by nothing of ours yet) ranks with them, not in Python, as the writer
    did."""
    import subprocess
    import sys
    from pathlib import Path

    code = """if True:
        import json, pathlib, sys
        from bot import kb_cache
        from faq import matcher
        from faq.matcher import Matcher
        Matcher._eager_arrays_from = 0  # as a knowledge base of thousands of entries
        Matcher._python_up_to = -1
        kb, matchers = kb_cache.load_compiled(folder=pathlib.Path(sys.argv[1]))
        m = matchers[kb.language]
        top = [[s.entry.id, s.score] for s in m.top(m.normalize("how many ceus do i need to recert my cma"), 6)]
        print(json.dumps({"arrays": m._arrays_built, "numpy": matcher._numpy_ready, "top": top}))
    """
    root = Path(__file__).resolve().parent.parent
    runs = [subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=120,
                           cwd=root) for _ in ("write", "read back")]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    written, read = (json.loads(r.stdout) for r in runs)
    assert list(folder.glob("kb-*.pickle")) and read["arrays"] is True and read["numpy"] is True
    assert read["top"] == written["top"] and len(read["top"]) == 6
