"""`create_tables` when several processes create the schema at once (two servers, or a server
and `thidua worker`, starting together on a fresh database): nobody fails, the tables exist."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect, text

from sync.backends.sql_schema import create_tables

STARTERS = 8


def _metadata() -> MetaData:
    metadata = MetaData()
    for n in range(6):
        Table(f"race_{n}", metadata, Column("id", Integer, primary_key=True),
              Column("name", String(40), index=True))
    return metadata


def _race(url: str) -> list[BaseException]:
    """`STARTERS` threads, each with its own engine (its own connections), start together."""
    engines = [create_engine(url) for _ in range(STARTERS)]
    barrier, failures = threading.Barrier(STARTERS), []

    def start(engine: object) -> None:
        barrier.wait()
        try:
            create_tables(engine, _metadata(),  # type: ignore[arg-type]
                          then=lambda conn: conn.execute(text("SELECT 1")))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    names = set(inspect(engines[0]).get_table_names())
    for engine in engines:
        engine.dispose()
    assert {f"race_{n}" for n in range(6)} <= names
    return failures


@pytest.mark.parametrize("rounds", [3])
def test_concurrent_starts_on_postgresql(postgres_url: str, rounds: int) -> None:
    from tests.pg import create_database, drop_database

    for n in range(rounds):
        name = f"thidua_schema_race_{n}_{threading.get_ident() % 10_000}"
        url = create_database(postgres_url, name)
        try:
            assert _race(url) == []
        finally:
            drop_database(postgres_url, name)


def test_concurrent_starts_on_sqlite(tmp_path: Path) -> None:
    for n in range(3):
        assert _race(f"sqlite:///{tmp_path / f'race{n}.sqlite3'}") == []
