"""A seeded demo province with its official results, made once and copied per test.

`make_world(dir)` seeds the demo (accounts included: `server.demo`), lets the worker score
every sheet into the results tables (`server.worker`), and returns the settings.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio

from server.accounts import Accounts
from server.audit import Audit
from server.demo import prepare_demo
from server.settings import Settings
from server.worker.service import Worker
from sync.backends import load_store

PASSWORDS = {"admin": "admin-demo", "chinhanh": "chinhanh-demo", "phonggd": "phonggd-demo",
             "canbo1": "canbo1-demo", "canbo2": "canbo2-demo", "xem": "xem-demo"}


def settings_for(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, secret_key="test-secret-key-0123456789abcdef",
                    log_level="WARNING")


async def rescore(settings: Settings) -> int:
    """Let the worker score every change not handled yet."""
    store = load_store(settings)
    accounts = Accounts.from_settings(settings)
    await store.initialize()
    try:
        worker = Worker(store, accounts.engine, Audit(accounts.engine))
        await worker.initialize()
        return await worker.drain()
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
