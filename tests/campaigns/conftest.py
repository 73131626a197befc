"""Fixtures of the campaign tests: a throwaway PostgreSQL cluster and the store URLs to test.

``postgres_url`` is ``RECOMMENDER_TEST_PG_URL`` when set; otherwise a cluster started from
``/usr/lib/postgresql/*/bin`` (``initdb`` into a private folder under ``/tmp``, ``pg_ctl start``
on a free port, listening on a unix socket only; as root it runs as the ``postgres`` user
through ``runuser``), stopped and deleted at the end of the session. Without either, the
PostgreSQL cases skip saying why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get("RECOMMENDER_TEST_PG_URL")
    if given:
        yield given
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("no PostgreSQL: neither RECOMMENDER_TEST_PG_URL nor "
                    "/usr/lib/postgresql/*/bin/initdb (Debian's postgresql package) exists")
    bin_dir = Path(found[-1]).parent
    prefix: list[str] = []
    root = tempfile.mkdtemp(prefix="pgtest-")
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, sock = f"{root}/data", root
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    try:
        run(str(bin_dir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E",
            "UTF8", "--no-sync", "--no-instructions")
        run(str(bin_dir / "pg_ctl"), "-D", data, "-l", f"{root}/log", "-w", "-t", "60",
            "-o", f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        log = Path(root, "log").read_text(errors="replace") if Path(root, "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        err = getattr(e, "stderr", b"") or b""
        pytest.skip(f"could not start a throwaway PostgreSQL from {bin_dir}: {e} "
                    f"{err.decode(errors='replace')[-300:]} {log[-300:]}")
    try:
        yield f"postgresql://postgres@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", data, "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def new_store(request: pytest.FixtureRequest, kind: str, folder: Path) -> str:
    """A fresh, empty store location of ``kind``: a SQLite file in ``folder``, or a new
    database in the session's PostgreSQL (skipped, with the reason, where there is none)."""
    if kind == "sqlite":
        return str(folder / "store.db")
    import psycopg

    url: str = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def make_store(request: pytest.FixtureRequest) -> Callable[[str, Path], str]:
    """``make_store(kind, folder)``: ``new_store`` for module-scoped fixtures."""
    return lambda kind, folder: new_store(request, kind, folder)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store location: a SQLite file, or a new database in the session's
    PostgreSQL."""
    return new_store(request, request.param, tmp_path)
