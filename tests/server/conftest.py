"""Fixtures of the server tests: the real app on a temporary SQLite store, and a client."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient
from replication.servers import Server

from server.accounts import Accounts
from server.app import create_app
from server.settings import Settings


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as test_client:
        yield test_client


FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.fixture
async def accounts(app: Litestar, client: AsyncTestClient[Litestar]) -> Accounts:
    """The app's accounts (fast hashing) with `admin` and the scorer `canbo1` of commune 26734;
    a module defining its own `accounts` fixture overrides this one."""
    store: Accounts = app.state.accounts
    store.hasher = FAST
    store.add("admin", "admin-password", ["admin"])
    store.add("canbo1", "canbo1-password", ["scorer"], ["26734"])
    return store


def _basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def basic() -> Callable[[str, str], dict[str, str]]:
    """`basic(name, password)` -> the HTTP Basic `Authorization` header."""
    return _basic


@pytest.fixture(scope="session")
def world_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Our server as a real process holding `gate_world` (its users and directory), shared by
    the modules that need one; each uses its own sheet periods (`gate_world.PERIODS[1000:]`)."""
    from gate_world import served_world

    server = served_world(tmp_path_factory.mktemp("world-server"))
    server.start()
    yield server
    server.stop()
