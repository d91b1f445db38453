"""Fixtures: the two servers the conformance suite runs against, fresh db names, helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import Server, our_server, pouchdb_server

SERVERS = ("ours", "pouchdb-server")


@pytest.fixture(scope="session")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = our_server(tmp_path_factory.mktemp("ours"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pouchdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = pouchdb_server(tmp_path_factory.mktemp("pouchdb-server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> Server:
    """Each conformance test runs once per server; pouchdb-server proves the test right."""
    return request.getfixturevalue("ours" if request.param == "ours" else "pouchdb")


@pytest.fixture
def db_name() -> str:
    """A fresh database name (CouchDB rules: lower case, starts with a letter)."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A private instance of ours for tests that kill it."""
    server = our_server(tmp_path / "data")
    server.start()
    yield server
    server.stop()
