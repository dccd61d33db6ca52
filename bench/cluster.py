"""Several `recertbot run` webhook replicas behind a real nginx on loopback, sharing one store, fed by the fake
Bot API posting updates to the proxy as Telegram would: the harness of tests/test_webhook_replicas.py and of
`python -m bench replicas`.

nginx runs unprivileged in a folder of its own (`-p`), in the foreground, with deploy/nginx.conf (the file
compose.yaml mounts) inside a generated main configuration: only the replicas' addresses and the listening
port are replaced. The store is a parameter: SQLite (one file in a shared DATA_DIR, in WAL mode) when
`database_url` is None, otherwise whatever DATABASE_URL names.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bot.reminder_store import ReminderStore
from bot.store import Store
from bot.telegram.fake_api import FakeBotApi
from faq.reminders import Kind, Reminder

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
HOOK_PATH = "/recertbot-hook"  # the location deploy/nginx.conf publishes
SECRET = "replica_secret_1"
HASH_KEY = "cluster-hash-key-" + "x" * 15
# `$upstream_addr`: which replica answered (two, comma-separated, when the first failed and nginx went on)
ACCESS_FORMAT = "'$msec $status $upstream_addr $upstream_status'"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def proxy_config(deployed: str, replica_ports: list[int], port: int) -> str:
    """deploy/nginx.conf with loopback addresses: its upstream servers become the replicas' ports (same options),
    its `listen` the proxy's port."""
    servers = re.findall(r"^\s*server\s+\S+:\d+(.*);$", deployed, flags=re.M)
    if not servers:
        raise ValueError(f"no upstream servers in {NGINX_CONF}")
    options = servers[0]
    upstream = "".join(f"    server 127.0.0.1:{p}{options};\n" for p in replica_ports)
    body = re.sub(r"(?:^\s*server\s+\S+:\d+.*;\n)+", upstream, deployed, count=1, flags=re.M)
    return re.sub(r"^(\s*)listen\s+\d+;", rf"\g<1>listen 127.0.0.1:{port};", body, count=1, flags=re.M)


def main_config(folder: Path, site: Path) -> str:
    """What the nginx package's own nginx.conf would give, all in `folder`: no /var, no daemon."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read the folder, which is root's
    return (f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"    log_format replicas {ACCESS_FORMAT};\n"
            f"    access_log {folder}/access.log replicas;\n"
            + "".join(f"    {kind}_temp_path {folder}/{kind}_temp;\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"    include {site};\n}}\n")


@dataclass
class Replica:
    name: str
    port: int
    process: asyncio.subprocess.Process | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """`replicas` webhook processes and nginx in front of them; `async with Cluster(...)` starts and stops them."""

    api: FakeBotApi
    folder: Path
    replicas: int = 2
    database_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    members: list[Replica] = field(default_factory=list)
    nginx: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}"

    @property
    def access_log(self) -> Path:
        return self.folder / "nginx" / "access.log"

    async def __aenter__(self) -> Cluster:
        self.port = free_port()
        self.members = [Replica(f"replica{i + 1}", free_port()) for i in range(self.replicas)]
        await self.start_nginx()
        for replica in self.members:
            await self.start(replica)
        for replica in self.members:
            await self.wait_ready(replica)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start_nginx(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install -y nginx)")
        folder = self.folder / "nginx"
        folder.mkdir(parents=True, exist_ok=True)
        site = folder / "site.conf"
        site.write_text(proxy_config(NGINX_CONF.read_text(), [r.port for r in self.members], self.port))
        conf = folder / "nginx.conf"
        conf.write_text(main_config(folder, site))
        self.nginx = await asyncio.create_subprocess_exec(
            binary, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.nginx.returncode is not None or time.monotonic() > deadline:
                    error = (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
                    raise RuntimeError(f"nginx did not start: {error[-1000:]}") from None
                await asyncio.sleep(0.05)

    def replica_env(self, replica: Replica) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        env.update(TELEGRAM_BOT_TOKEN=self.api.token, TELEGRAM_BASE_URL=self.api.base_url, WEBHOOK_URL=self.url,
                   WEBHOOK_SECRET=SECRET, WEBHOOK_PORT=str(replica.port), WEBHOOK_LISTEN="127.0.0.1",
                   DATA_DIR=str(self.folder / "data"), STORE_HASH_KEY=HASH_KEY, LOG_LEVEL="INFO",
                   PYTHONUNBUFFERED="1")
        env.update(self.env)
        # A stable name, as compose.yaml gives each: a restarted replica takes its rows back, and on SQLite the
        # name says the store is shared, so each update reads its chat's state from it.
        env.update(REPLICA_ID=replica.name)
        if self.database_url:
            env.update(DATABASE_URL=self.database_url)
        return env

    async def start(self, replica: Replica) -> None:
        replica.log = self.folder / f"{replica.name}.log"
        with replica.log.open("ab") as out:
            replica.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.replica_env(replica), cwd=self.folder,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT)

    async def wait_ready(self, replica: Replica, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            while time.monotonic() < deadline:
                if replica.process is not None and replica.process.returncode is not None:
                    break
                try:
                    if (await client.get(f"{replica.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{replica.name} did not become ready: {self.output(replica)[-2000:]}")

    def kill(self, replica: Replica) -> None:
        """SIGKILL: no drain, no flush, as an OOM kill or a power cut."""
        assert replica.process is not None
        replica.process.send_signal(signal.SIGKILL)

    async def metrics(self, replica: Replica) -> str:
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            return (await client.get(f"{replica.url}/metrics")).text

    def output(self, replica: Replica) -> str:
        return replica.log.read_text(errors="replace") if replica.log and replica.log.exists() else ""

    def upstreams(self) -> list[str]:
        """Per POST through the proxy, the replica port(s) it went to, in order."""
        if not self.access_log.exists():
            return []
        return [line.split()[2] for line in self.access_log.read_text().splitlines() if len(line.split()) >= 3]

    async def stop(self) -> None:
        for replica in self.members:
            if replica.process is not None and replica.process.returncode is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.members:
            if replica.process is not None:
                try:
                    await asyncio.wait_for(replica.process.wait(), 40)
                except TimeoutError:
                    replica.process.kill()
                    await replica.process.wait()
        if self.nginx is not None and self.nginx.returncode is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: finishes the requests it has
            try:
                await asyncio.wait_for(self.nginx.wait(), 10)
            except TimeoutError:
                self.nginx.kill()
                await self.nginx.wait()


def subscribe_due(store: Store, key: str, chats: Iterable[int]) -> None:
    """One CMA reminder per chat, due a minute ago: what replicas starting now race to send."""
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    expires = now.date() + timedelta(days=30)
    reminder = Reminder(due, Kind.BEFORE_1M, "CMA", due + timedelta(days=7),
                        {"expires": expires, "ce_open_until": expires + timedelta(days=90)}, ("CMA-CYCLE",))
    for chat in chats:
        ReminderStore(store, key).subscribe(chat, "CMA", date(2022, 3, 1), [reminder], now)
