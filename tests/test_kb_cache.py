"""The compiled knowledge base kept between runs: read back when the files are unchanged, never when anything
in them changed, never written for a knowledge base that does not load, and never read from a folder others
could write to."""

import dataclasses
import pickle
from types import MappingProxyType

import pytest

from bot import kb_cache
from faq.kb import KnowledgeBaseError, load


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "cache"


def _no_loading(data_dir):
    raise AssertionError("the files were read although the cache holds them")


def test_an_unchanged_knowledge_base_is_read_back_from_the_cache(kb_copy, folder, monkeypatch):
    first = kb_cache.load_cached(kb_copy, folder)
    assert first == load(kb_copy)
    assert (folder.stat().st_mode & 0o777) == 0o700
    monkeypatch.setattr(kb_cache, "load", _no_loading)
    again = kb_cache.load_cached(kb_copy, folder)
    assert again == first and again is not first
    assert isinstance(again.entries, MappingProxyType)


def test_any_edit_of_the_files_is_loaded_afresh(kb_copy, folder):
    before = kb_cache.load_cached(kb_copy, folder)
    path = kb_copy / "entries" / "cma_ce.yaml"
    path.write_text(path.read_text().replace("    - cma ceu requirement\n",
                                             "    - cma ceu requirement\n    - cma ceu requirement please\n"))
    after = kb_cache.load_cached(kb_copy, folder)
    assert "cma ceu requirement please" in after.entries["cma-ce-total"].phrasings
    assert "cma ceu requirement please" not in before.entries["cma-ce-total"].phrasings


def test_a_broken_edit_is_an_error_and_is_not_cached(kb_copy, folder):
    kb_cache.load_cached(kb_copy, folder)
    path = kb_copy / "entries" / "cma_ce.yaml"
    path.write_text(path.read_text().replace("- id: cma-ce-total", "- id: Not An Id"))
    for _ in range(2):
        with pytest.raises(KnowledgeBaseError):
            kb_cache.load_cached(kb_copy, folder)
    assert len(list(folder.glob("kb-*.pickle"))) == 1


def test_a_cache_folder_others_can_write_to_is_never_read(kb_copy, folder):
    real = kb_cache.load_cached(kb_copy, folder)
    planted = dataclasses.replace(real, entries=MappingProxyType({}))
    (folder / f"kb-{kb_cache.key(kb_copy)}.pickle").write_bytes(pickle.dumps(planted))
    assert kb_cache.load_cached(kb_copy, folder).entries == {}  # private: read (what makes the check meaningful)
    (folder / f"kb-{kb_cache.key(kb_copy)}.pickle").write_bytes(pickle.dumps(planted))
    folder.chmod(0o777)
    assert kb_cache.load_cached(kb_copy, folder) == real


def test_clear_removes_every_cached_knowledge_base(kb_copy, folder):
    kb_cache.load_cached(kb_copy, folder)
    assert kb_cache.clear(folder) == 1
    assert not list(folder.glob("kb-*.pickle"))
