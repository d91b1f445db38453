"""Fixtures: the three servers the conformance suite runs against, fresh db names, helpers.

Where Apache CouchDB and pouchdb-server disagree, CouchDB is right."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.couchdb import CouchNode

from .servers import Server, couchdb_server, our_server, pouchdb_server

SERVERS = ("ours", "pouchdb-server", "couchdb")


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


@pytest.fixture(scope="session")
def couchdb(couchdb_node: CouchNode) -> Server:
    return couchdb_server(couchdb_node.url, couchdb_node.auth)


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> Server:
    """Each conformance test runs once per server; CouchDB proves the test right."""
    names = {"ours": "ours", "pouchdb-server": "pouchdb", "couchdb": "couchdb"}
    return request.getfixturevalue(names[request.param])


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


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    """A client of the parametrised `server` (modules about one server override it)."""
    with server.client() as client:
        yield client


@pytest.fixture
def db(http: httpx.Client, db_name: str) -> str:
    """A fresh database on `http`'s server."""
    assert http.put(db_name).status_code == 201
    return db_name
