"""Fixtures: the seeded demo world (once per session) and an app + client on a copy of it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.settings import Settings
from tests.consolidated.world import PASSWORDS, copy_world, make_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_world(tmp_path_factory.mktemp("world") / "data")


@pytest.fixture
def world_copy(world: Settings, tmp_path: Path) -> Settings:
    return copy_world(world, tmp_path / "data")


@pytest.fixture
async def client(world_copy: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(create_app(world_copy)) as test_client:
        yield test_client


def auth(user: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
