"""A seeded demo province with its official results, made once and copied per test.

`make_world(dir)` seeds the demo (accounts included: `server.demo`), scores every sheet into
the results tables (`server.consolidated.backfill`), and returns the settings.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import anyio

from server.accounts import Accounts
from server.consolidated.backfill import backfill_results
from server.demo import prepare_demo
from server.settings import Settings
from sync.backends import load_store

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
PASSWORDS = {"admin": "admin-demo", "chinhanh": "chinhanh-demo", "phonggd": "phonggd-demo",
             "canbo1": "canbo1-demo", "canbo2": "canbo2-demo", "xem": "xem-demo"}


def settings_for(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, secret_key="test-secret-key-0123456789abcdef",
                    log_level="WARNING")


async def rescore(settings: Settings) -> int:
    """Score every stored sheet again into the results tables."""
    store = load_store(settings)
    accounts = Accounts.from_settings(settings)
    await store.initialize()
    try:
        return await backfill_results(store, accounts.engine, AT)
    finally:
        await store.close()
        accounts.close()


def make_world(data_dir: Path) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_for(data_dir)
    anyio.run(lambda: prepare_demo(settings, seed=1))
    anyio.run(rescore, settings)
    return settings


def copy_world(source: Settings, target: Path) -> Settings:
    shutil.copytree(source.data_dir, target)
    return settings_for(target)
