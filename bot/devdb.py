"""A throwaway PostgreSQL server for the tests and the benchmarks: `initdb` + `pg_ctl` into a temporary folder,
listening on a free loopback port only, trusting local connections, removed on stop.

    with throwaway_postgres() as pg:
        url = pg.create_database()        # a fresh, empty database: postgresql://postgres@127.0.0.1:PORT/db_1
        store = Store(url)

The server binaries come from `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin (Debian's
`postgresql` package). initdb refuses to run as root, so as root the server runs as the unprivileged user
`nobody`, owning its folder. `fsync=False` (the tests) trades crash safety for speed; benchmarks keep it on.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNPRIVILEGED = "nobody"
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections


class NoPostgres(RuntimeError):
    """The PostgreSQL server binaries are not installed (Debian: apt-get install postgresql)."""


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl are, or None."""
    if shutil.which("pg_ctl") and shutil.which("initdb"):
        return Path(shutil.which("pg_ctl") or "").parent
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if (Path(out) / "pg_ctl").exists():
            return Path(out)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
                    if p.parent.parent.name.isdigit() else 0)
    return debian[-1].parent if debian else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ThrowawayPostgres:
    bindir: Path
    folder: Path
    port: int
    user: str | None  # who runs the server (None: this process's user)
    databases: int = field(default=0)

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database on this server; its URL."""
        import psycopg

        self.databases += 1
        name = name or f"db_{self.databases}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            # FILE_COPY: copying the tiny template is quicker than PostgreSQL 15's default of WAL-logging it
            conn.execute(f'CREATE DATABASE "{name}" STRATEGY = FILE_COPY')
        return self.url(name)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            self._run(["pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return _run(self.bindir, self.user, command, **kwargs)


def _run(bindir: Path, user: str | None, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    program = [str(bindir / command[0]), *command[1:]]
    as_user: dict[str, Any] = {}
    if user is not None:
        entry = pwd.getpwnam(user)
        as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    return subprocess.run(program, check=True, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"},
                          **as_user, **kwargs)


def start_postgres(*, fsync: bool = True, attempts: int = 3) -> ThrowawayPostgres:
    """Starts a server (initdb, then pg_ctl start on a free port: a port taken meanwhile is retried)."""
    bindir = find_bindir()
    if bindir is None:
        raise NoPostgres("no PostgreSQL server binaries (pg_ctl, initdb): apt-get install postgresql")
    user = UNPRIVILEGED if os.geteuid() == 0 else None
    # as root, under /tmp: a TMPDIR inside root's own 0700 folders would be out of the server user's reach
    folder = Path(tempfile.mkdtemp(prefix="recertbot-pg-", dir="/tmp" if user else None))
    data, sockets = folder / "data", folder / "run"
    sockets.mkdir()
    if user is not None:  # the server's user must reach its folders; nothing else in them is secret
        folder.chmod(0o755)
        entry = pwd.getpwnam(user)
        os.chown(sockets, entry.pw_uid, entry.pw_gid)
        data.mkdir(mode=0o700)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    try:
        _run(bindir, user, ["initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                            "--no-instructions", "--no-sync"], cwd=folder)
        last: subprocess.CalledProcessError | None = None
        for _ in range(attempts):
            port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} "
                       f"-c fsync={'on' if fsync else 'off'} -c max_connections=200")
            try:
                _run(bindir, user, ["pg_ctl", "-D", str(data), "-o", options, "-l", str(sockets / "server.log"),
                                    "-t", str(START_TIMEOUT), "-w", "start"], cwd=folder)
                return ThrowawayPostgres(bindir, folder, port, user)
            except subprocess.CalledProcessError as exc:
                last = exc
        raise RuntimeError(f"PostgreSQL did not start: {last.stderr if last else ''}{_tail(sockets / 'server.log')}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _tail(log: Path) -> str:
    try:
        return log.read_text()[-2000:]
    except OSError:
        return ""


@contextlib.contextmanager
def throwaway_postgres(*, fsync: bool = True) -> Iterator[ThrowawayPostgres]:
    server = start_postgres(fsync=fsync)
    try:
        yield server
    finally:
        server.stop()
