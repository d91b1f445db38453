"""PostgreSQL for the store tests: a throwaway local cluster per session, a database per test.

`THIDUA_TEST_POSTGRES_URL` (e.g. `postgresql+psycopg://user:pw@127.0.0.1:5432/test`) points
the tests at an external server instead; its role needs CREATEDB (each test gets a database).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

from tests.pg import PgUnavailable, create_database, drop_database, throwaway_cluster


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
