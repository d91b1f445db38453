"""Shared fixtures: a free loopback port, `Settings` on a temporary data dir, and PostgreSQL.

PostgreSQL: a throwaway local cluster per session and a database per test;
`THIDUA_TEST_POSTGRES_URL` (e.g. `postgresql+psycopg://user:pw@127.0.0.1:5432/test`) points
the tests at an external server instead; its role needs CREATEDB (each test gets a database).
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.settings import Settings
from tests.couchdb import couchdb_cluster, couchdb_node  # noqa: F401 - session fixtures
from tests.pg import PgUnavailable, create_database, drop_database, throwaway_cluster


@pytest.fixture
def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh data dir (SQLite store inside), quiet logs, a fixed secret."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    return Settings(
        data_dir=data_dir,
        secret_key="test-secret-key-0123456789abcdef",
        log_level="WARNING",
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A `postgresql+psycopg://` URL of a database on a running server (skips if none)."""
    external = os.environ.get("THIDUA_TEST_POSTGRES_URL", "")
    if external:
        yield external
        return
    with contextlib.ExitStack() as stack:
        try:
            cluster = stack.enter_context(throwaway_cluster())
        except PgUnavailable as exc:
            pytest.skip(f"no PostgreSQL server for the store tests: {exc}")
        yield create_database(cluster.url(), "thidua_test")


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database on the `postgres_url` server, dropped after the test."""
    name = f"thidua_t_{uuid.uuid4().hex[:12]}"
    url = create_database(postgres_url, name)
    try:
        yield url
    finally:
        drop_database(postgres_url, name)
