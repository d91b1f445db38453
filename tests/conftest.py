"""Shared fixtures: a free loopback port and `Settings` on a temporary data dir."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from server.settings import Settings


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
