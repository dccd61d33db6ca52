"""Two `recertbot run` webhook replicas behind a real nginx on loopback, sharing one store, the fake Bot API
posting updates to the proxy as Telegram does (and again, until it gets a 200): bench/cluster.py.

These start real processes (nginx, two bots) and take some seconds each (`-m "not replicas"` leaves them out
while iterating). `.ci/run` installs nginx; without it they fail in CI and are skipped only outside CI."""

import asyncio
import os
import re
import signal

import pytest
import yaml
from cryptography.fernet import Fernet

from bench.cluster import HASH_KEY, HOOK_PATH, NGINX_CONF, ROOT, Cluster, nginx_binary, proxy_config, subscribe_due
from bot.store import Store, open_store
from bot.telegram.inbox import CHATS_AT_ONCE

pytestmark = [pytest.mark.replicas,
              pytest.mark.skipif(nginx_binary() is None and not os.environ.get("CI"),
                                 reason="nginx is not installed (.ci/run installs it)")]

@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """The store the replicas share: DATABASE_URL for the cluster (None: SQLite in the shared DATA_DIR), a fresh
    database on the session's throwaway PostgreSQL server (tests/conftest.py) for the other."""
    return None if request.param == "sqlite" else request.getfixturevalue("postgres").create_database()


def shared_store(folder, url: str | None) -> Store:
    """The store the cluster's replicas use, opened as they open it."""
    return open_store(url, folder / "data", HASH_KEY)


async def all_answered(api, chats: list[int], timeout: float) -> None:
    """Until every chat got an answer. A replica killed with updates in hand leaves them to the other one,
    which takes them over when their lease runs out (INBOX_LEASE_SECONDS; at once on SQLite, where replicas
    on one machine share the owner's name)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not set(chats) <= {int(c.params["chat_id"]) for c in api.calls_to("sendMessage")}:
        assert asyncio.get_running_loop().time() < deadline, "some chats were never answered"
        await asyncio.sleep(0.2)


async def all_done(folder, url: str | None, timeout: float) -> None:
    """Until the shared inbox holds no update left unfinished."""
    deadline = asyncio.get_running_loop().time() + timeout
    store = shared_store(folder, url)
    try:
        while store.db.execute("SELECT COUNT(*) FROM inbox WHERE done = 0").fetchone()[0]:
            assert asyncio.get_running_loop().time() < deadline, "updates were left unfinished in the inbox"
            await asyncio.sleep(0.2)
    finally:
        store.close()


async def say(api, chat: int, text: str, answers: int) -> str:
    """Sends one message and waits for the chat's `answers`-th reply, and for the update's 200 (a person reads
    the reply before typing the next step: by then the replica has stored the chat's new state): its text."""
    update_id = api.text(chat, text)
    sent = await api.wait_for("sendMessage", answers, chat_id=chat, timeout=30)
    await api.wait_delivered({update_id})
    return sent[answers - 1].params["text"]


async def test_a_guided_check_completes_across_alternating_replicas(api, tmp_path, backend):
    async with Cluster(api, tmp_path, database_url=backend) as cluster:
        api.deliver()
        chat = 7100
        steps = [("/check", "Which credential"), ("cma", "in total"), ("45", "AAMA-approved"),
                 ("20", "administrative, clinical and general"), ("skip", "expired"), ("no", "15 more points")]
        for n, (text, expected) in enumerate(steps, 1):
            assert expected in await say(api, chat, text, n), f"step {n} ({text!r})"
        for _ in range(50):  # nginx writes a request's line once it has finished with it: a moment after the 200
            if len(served := cluster.upstreams()) == len(steps):
                break
            await asyncio.sleep(0.05)
        by = [await cluster.metrics(r) for r in cluster.members]
    assert len(served) == len(steps)
    ports = {str(r.port) for r in cluster.members}
    assert {s.rsplit(":", 1)[1] for s in served} == ports  # both replicas took steps of the one conversation
    for text in by:  # and each says so itself
        assert re.search(r'^recertbot_messages_total\{kind="(check|remind|answer)"\} [1-9]', text, re.M)


async def test_sigkill_one_replica_mid_burst_the_other_answers_the_rest(api, tmp_path, backend):
    chats = list(range(8000, 8100))
    lease = 5.0  # seconds: the killed replica's updates go to the other once it has not renewed them for this long
    async with Cluster(api, tmp_path, database_url=backend, env={"INBOX_LEASE_SECONDS": str(lease)}) as cluster:
        api.deliver()
        ids = {api.text(chat, "how often do i renew my ccma") for chat in chats}
        await api.wait_for("sendMessage", 15, timeout=60)  # mid-burst (the rate limiter paces the sends)
        cluster.kill(cluster.members[0])
        await cluster.members[0].process.wait()
        await asyncio.sleep(0.2)  # the bytes of a send it made just before dying may still be on their way in
        killed_at = asyncio.get_running_loop().time()
        await api.wait_delivered(ids, timeout=120)  # every update got its 200, from the survivor if not before
        await all_answered(api, chats, timeout=lease * 2 + 30)
        # Updates the killed replica answered but never marked done (nor recorded: both go in one transaction)
        # wait in the inbox until their lease runs out; then the survivor answers and records them.
        await all_done(tmp_path, backend, timeout=lease * 2 + 30)
        await asyncio.sleep(1.0)  # anything answered twice would be sent by now
        survivor = await cluster.metrics(cluster.members[1])
    # Read once the survivor has stopped (SIGTERM: it drains and writes what it queued).
    store = shared_store(tmp_path, backend)
    try:
        pending, replies = store.inbox_pending(), store.reply_kinds()
    finally:
        store.close()
    sends = api.calls_to("sendMessage")
    per_chat: dict[int, list[float]] = {}
    for call in sends:
        per_chat.setdefault(int(call.params["chat_id"]), []).append(call.at)
    assert set(per_chat) == set(chats)  # every update answered
    twice = {chat: times for chat, times in per_chat.items() if len(times) > 1}
    # Answered twice only when the killed replica had sent the answer and died before its 200 and done mark:
    # the first answer predates the kill, and such a chat gets exactly one more.
    assert all(len(times) == 2 and times[0] < killed_at for times in twice.values()), (killed_at, twice)
    assert len(twice) <= CHATS_AT_ONCE  # at most one per chat the killed replica was answering at that moment
    assert all("every 2 years" in c.params["text"] for c in sends)
    assert pending == []  # nothing left half-done in the shared inbox
    assert len(chats) <= replies.get("answer", 0) <= len(chats) + len(twice)  # no stored row lost
    assert re.search(r'^recertbot_messages_total\{kind="answer"\} [1-9]', survivor, re.M)


async def test_sigterm_one_replica_mid_burst_drains_it_without_a_loss_or_a_repeat(api, tmp_path, backend):
    """A rolling restart's stop: the stopped replica answers what it took, nginx sends the rest to the other."""
    chats = list(range(9000, 9060))
    async with Cluster(api, tmp_path, database_url=backend) as cluster:
        api.deliver()
        ids = {api.text(chat, "how often do i renew my ccma") for chat in chats}
        await api.wait_for("sendMessage", 10, timeout=60)
        stopped = cluster.members[0]
        stopped.process.send_signal(signal.SIGTERM)
        await api.wait_delivered(ids, timeout=120)
        code = await asyncio.wait_for(stopped.process.wait(), 40)
        await asyncio.sleep(1.0)
    answered = sorted(int(c.params["chat_id"]) for c in api.calls_to("sendMessage"))
    assert answered == chats  # each once: nothing lost, nothing repeated
    assert code == 0, cluster.output(stopped)[-1500:]
    drained = re.search(r"stopping: new updates are refused \(503\); (\d+) being handled", cluster.output(stopped))
    assert drained and int(drained[1]) > 0  # it was stopped with work in hand, and finished it
    assert {d.status for d in api.deliveries} == {200}  # the refusals (503) stayed between nginx and the replica


async def test_reminders_are_sent_once_with_two_replicas_running(api, tmp_path, backend):
    key = Fernet.generate_key().decode()
    chats = list(range(20_000_000, 20_000_040))
    store = shared_store(tmp_path, backend)
    try:
        subscribe_due(store, key, chats)
    finally:
        store.close()
    async with Cluster(api, tmp_path, database_url=backend, env={"REMINDER_KEY": key}):
        await api.wait_for("sendMessage", len(chats), timeout=60)
        await asyncio.sleep(3.0)  # a reminder claimed by both would be sent twice by now
    sent = [int(c.params["chat_id"]) for c in api.calls_to("sendMessage")]
    assert sorted(sent) == chats  # each chat once: none lost, none twice


def test_compose_runs_what_the_replica_test_runs():
    """compose.yaml: PostgreSQL, two replicas, nginx with deploy/nginx.conf, whose upstreams are those replicas
    on their WEBHOOK_PORT and whose published path is the one the tests post to. Docker itself is not run here."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "replica1", "replica2", "nginx"}
    conf = NGINX_CONF.read_text()
    upstreams = re.findall(r"^\s*server\s+(\S+):(\d+)", conf, re.M)
    assert upstreams == [("replica1", "8443"), ("replica2", "8443")]
    for name, _port in upstreams:
        replica = services[name]
        assert replica["build"] == "." and replica["environment"]["WEBHOOK_PORT"] == _port
        assert replica["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert replica["environment"]["REPLICA_ID"] == name  # each its own, stable
        assert float(replica["environment"]["REMINDER_RATE"]) * len(upstreams) <= 20  # together under Telegram's 30
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    assert f"location = {HOOK_PATH} " in conf
    rendered = proxy_config(conf, [9001, 9002], 9000)  # what the replica test runs: only addresses differ
    assert "server 127.0.0.1:9001 max_fails=1 fail_timeout=5s;" in rendered and "listen 127.0.0.1:9000;" in rendered
    assert "replica1" not in rendered.replace("# ", "")
    assert "proxy_next_upstream error timeout http_502 http_503 non_idempotent;" in rendered
