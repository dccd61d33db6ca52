import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from bot.devdb import NoPostgres, start_postgres
from bot.dialogue import Dialogue
from bot.store import DB_NAME, Store
from bot.telegram.fake_api import FakeBotApi
from faq.kb import DATA_DIR, load
from faq.matcher import Matcher
from tests.telegram_harness import TOKEN

ROOT = Path(__file__).resolve().parent.parent

# In CI the same examples every run (a landing must not hang on a lucky draw); locally, fresh ones each run.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
REGRESSION = Path(__file__).parent / "data" / "regression.yaml"

# Tests talk only to 127.0.0.1: a proxy from the environment must not capture that traffic.
for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
# The knowledge base compiled by a test run (bot.kb_cache) stays in the run's own folder, not the user's cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="recertbot-tests-")


@pytest.fixture(scope="session")
def kb():
    return load()


@pytest.fixture(scope="session")
def matcher(kb):
    return Matcher(kb)


@pytest.fixture(scope="session")
def dialogue(kb, matcher):
    return Dialogue(kb, matcher)


@pytest.fixture
def kb_copy(tmp_path):
    """A writable copy of the shipped knowledge base, for breaking it on purpose."""
    target = tmp_path / "kb"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL server for the whole test session (bot/devdb.py), started on first use. In CI
    a missing server fails loudly (.ci/run installs it); locally the PostgreSQL half of the tests is skipped."""
    try:
        server = start_postgres(fsync=False)
    except NoPostgres as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}: CI must test the PostgreSQL store")
        pytest.skip(str(exc))
    yield server
    server.stop()


KEY = b"k" * 32  # the store's hashing key in tests


@pytest.fixture
def store(tmp_path):
    """A SQLite store in the test's folder."""
    s = Store(tmp_path / DB_NAME, KEY)
    yield s
    s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """Where a test's store lives, once per backend: a SQLite file, or a fresh database on the session's
    PostgreSQL server (a `postgresql://` URL). `Store(database, key)` opens either."""
    if request.param == "sqlite":
        return tmp_path / DB_NAME
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
async def api():
    """A fake Bot API server on 127.0.0.1, for one test."""
    server = FakeBotApi(TOKEN)
    await server.start()
    yield server
    await server.stop()
