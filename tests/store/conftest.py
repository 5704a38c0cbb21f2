"""Stores to test on: a SQLite file, and a database on a real PostgreSQL server.

The server is the one ``.ci/run`` starts (a throwaway cluster on loopback, its URL in
``MINERAL_COMPLIANCE_TEST_POSTGRESQL``); without it, one is started here the same way when
PostgreSQL's programs are installed, and the PostgreSQL cases skip with the reason when they
are not. Each test gets a database of its own.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "MINERAL_COMPLIANCE_TEST_POSTGRESQL"


def _bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _cluster(folder: Path) -> Iterator[str]:
    """A PostgreSQL cluster in ``folder``, on 127.0.0.1 only; its admin URL."""
    pg = _bin()
    if pg is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser to start PostgreSQL as another user")
        prefix = [runuser, "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, log = folder / "data", folder / "server.log"
    subprocess.run([*prefix, str(pg / "initdb"), "-D", str(data), "-U", "mc",
                    "--auth=trust", "-E", "UTF8", "--locale=C"], check=True,
                   capture_output=True)
    port = _free_port()
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
               "-c full_page_writes=off -c synchronous_commit=off")
    subprocess.run([*prefix, str(pg / "pg_ctl"), "-D", str(data), "-l", str(log), "-o",
                    options, "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://mc@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], check=False, capture_output=True)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    """The admin URL of a running PostgreSQL server."""
    given = os.environ.get(ENV)
    if given:
        yield given
        return
    pytest.importorskip("psycopg", reason="psycopg is not installed (the [test] extra has it)")
    # not under pytest's own temporary folder, which the server's user cannot enter
    folder = Path(tempfile.mkdtemp(prefix="mineral-compliance-pg-"))
    try:
        with _cluster(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_numbers = itertools.count()


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A new, empty database on the server, dropped after the test."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_admin)
    name = f"mc_test_{os.getpid()}_{next(_numbers)}"
    plain = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store, on each database the store supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'campaign.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
