"""Fixtures of the service tests: a PostgreSQL cluster for the session, servers per module.

The service tests run the real thing: ``rotordx serve`` in a child process on 127.0.0.1,
httpx and websockets as clients, SQLite files and a real PostgreSQL server, Debian's
chromium through Playwright. ``service_support.py`` has the helpers.
"""

from __future__ import annotations

import pytest

from service_support import Postgres, Server


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (skipped, with the reason, where it cannot start;
    under CI a failure)."""
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend_server(request, tmp_path_factory):
    """A physics-only server on SQLite, then on PostgreSQL (the same tests on both)."""
    work = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "sqlite":
        db = str(work / "rotordx.db")
    else:
        db = request.getfixturevalue("postgres").database()
    server = Server(work, "--db", db, "--raw-dir", str(work / "raw"))
    server.backend = request.param
    server.raw = work / "raw"
    yield server
    server.stop()
