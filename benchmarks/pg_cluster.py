"""A throwaway PostgreSQL cluster, and databases in a server, for the store benchmarks and tests.

``throwaway_cluster()`` runs ``initdb`` into a private folder under ``/tmp`` and ``pg_ctl
start`` on a free port, listening on a unix socket only (as root it runs as the ``postgres``
user through ``runuser``), yields the server's URL, and stops and deletes it on leaving. It
takes ``initdb`` from ``/usr/lib/postgresql/*/bin`` (Debian's postgresql package), else from
the ``PATH``; where it cannot start one it raises ``ClusterUnavailableError`` saying why (the
campaign tests skip with that reason, ``tests/campaigns/conftest.py``; a benchmark exits).
``Databases`` creates, copies (``CREATE DATABASE ... TEMPLATE``) and drops databases in a
server, for a benchmark's stores; ``store_said`` names a store's engine and version for its page.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommender.campaigns.store import CampaignStore


class ClusterUnavailableError(RuntimeError):
    """No throwaway PostgreSQL could be started here; the message says why."""


def bin_dir() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest, else the ``PATH``'s."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    raise ClusterUnavailableError("no PostgreSQL: neither /usr/lib/postgresql/*/bin/initdb "
                             "(Debian's postgresql package) nor initdb on the PATH")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_cluster(prefix: str = "pgtest-") -> Iterator[str]:
    """A new PostgreSQL cluster (``fsync=off``, trust authentication, UTF8) for the block: its
    URL, ``postgresql://postgres@/postgres?host=SOCKET_FOLDER&port=PORT``."""
    bins = bin_dir()
    run_as: list[str] = []
    root = tempfile.mkdtemp(prefix=prefix)
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            raise ClusterUnavailableError("running as root and there is no 'postgres' user to run "
                                     "PostgreSQL") from None
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = f"{root}/data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, timeout=120)

    try:
        run(str(bins / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync", "--no-instructions")
        run(str(bins / "pg_ctl"), "-D", data, "-l", f"{root}/log", "-w", "-t", "60",
            "-o", f"-p {port} -k {root} -c listen_addresses='' -c fsync=off", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        log = Path(root, "log").read_text(errors="replace") if Path(root, "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        err = getattr(e, "stderr", b"") or b""
        raise ClusterUnavailableError(f"could not start a throwaway PostgreSQL from {bins}: {e} "
                                 f"{err.decode(errors='replace')[-300:]} {log[-300:]}") from e
    try:
        yield f"postgresql://postgres@/postgres?host={root}&port={port}"
    finally:
        subprocess.run([*run_as, str(bins / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def database_url(server: str, name: str) -> str:
    """``server``'s URL with its database part replaced by ``name``, its query kept."""
    base, _, query = server.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def server_version(server: str) -> str:
    """The server's ``SHOW server_version`` ("15.18 (Debian 15.18-0+deb12u1)")."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


class Databases:
    """Databases a benchmark makes in the server at ``server`` (a URL whose user may ``CREATE
    DATABASE``), each named ``prefix`` + its name, all dropped by ``drop_all``."""

    def __init__(self, server: str, prefix: str) -> None:
        self.server, self.prefix = server, prefix
        self.made: list[str] = []

    def _run(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(sql)  # names are ours, not input

    def url(self, name: str) -> str:
        return database_url(self.server, self.prefix + name)

    def create(self, name: str, template: str | None = None) -> str:
        """A new database ``name`` (a copy of ``template``'s, which nobody may be connected to,
        where given), dropped first if a run before left it: its URL."""
        self.drop(name)
        source = f"TEMPLATE {self.prefix + template}" if template else "TEMPLATE template0"
        self._run(f"CREATE DATABASE {self.prefix + name} ENCODING 'UTF8' {source}")
        self.made.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        self._run(f"DROP DATABASE IF EXISTS {self.prefix + name} WITH (FORCE)")
        if name in self.made:
            self.made.remove(name)

    def drop_all(self) -> None:
        for name in list(self.made):
            self.drop(name)


def store_said(store: CampaignStore) -> str:
    """"SQLite 3.40.1" or "PostgreSQL 15.18 (...)": the store's engine and version."""
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            return f"SQLite {conn.exec_driver_sql('SELECT sqlite_version()').scalar_one()}"
        return f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar_one()}"
