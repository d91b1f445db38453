"""Award fixtures: a seeded SQLite results database, copied fresh for each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from scoring import CriteriaSet
from scoring.demo import DemoProvince
from tests.awards.world import seed_results


def sqlite_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False,
                                                             "timeout": 30})


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoProvince, CriteriaSet]:
    path = tmp_path_factory.mktemp("awards") / "seed.sqlite3"
    engine = sqlite_engine(path)
    demo, cset = seed_results(engine, communes=8)
    engine.dispose()
    return path, demo, cset


@pytest.fixture
def world(seeded: tuple[Path, DemoProvince, CriteriaSet],
          tmp_path: Path) -> Iterator[tuple[Engine, DemoProvince, CriteriaSet]]:
    path, demo, cset = seeded
    shutil.copy(path, tmp_path / "db.sqlite3")
    engine = sqlite_engine(tmp_path / "db.sqlite3")
    yield engine, demo, cset
    engine.dispose()
