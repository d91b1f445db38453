"""`thidua demo`: seed the demo province when the store is empty and create the demo accounts.

The demo passwords are fixed and documented (README): never use them on a real server.
"""

from __future__ import annotations

import contextlib
from typing import Any

import anyio.to_thread
import msgspec

from .accounts import Accounts
from .settings import Settings

__all__ = ["DEMO_ACCOUNTS", "DemoAccount", "DemoTerritories", "prepare_demo"]


class DemoAccount(msgspec.Struct, frozen=True):
    name: str
    password: str
    role: str
    #: Which territory the account gets: "province", "office", "commune1", "commune2" or "".
    territory: str = ""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "admin-demo", "admin"),
    DemoAccount("chinhanh", "chinhanh-demo", "branch_reviewer", "province"),
    DemoAccount("phonggd", "phonggd-demo", "office_reviewer", "office"),
    DemoAccount("canbo1", "canbo1-demo", "scorer", "commune1"),
    DemoAccount("canbo2", "canbo2-demo", "scorer", "commune2"),
    DemoAccount("xem", "xem-demo", "viewer", "province"),
)


class DemoTerritories(msgspec.Struct, frozen=True):
    province: str
    office: str
    communes: tuple[str, ...]

    def codes(self, which: str) -> list[str]:
        if which == "province":
            return [self.province]
        if which == "office":
            return [self.office]
        if which.startswith("commune"):
            index = int(which.removeprefix("commune")) - 1
            return [self.communes[index]] if index < len(self.communes) else []
        return []


def territories_from(summary: Any, db_names: list[str]) -> DemoTerritories:
    """Codes for the demo accounts: from the seed summary when it names them, else from the
    `p-<code>`/`c-<code>` database names."""
    provinces = [n[2:] for n in db_names if n.startswith("p-")]
    communes = [n[2:] for n in db_names if n.startswith("c-")]
    province = getattr(summary, "province_code", None) or (provinces[0] if provinces else "demo")
    offices = list(getattr(summary, "office_codes", None) or [])
    summary_communes = list(getattr(summary, "commune_codes", None) or [])
    return DemoTerritories(
        province=province,
        office=offices[0] if offices else province,
        communes=tuple(summary_communes or communes)[:2],
    )


async def prepare_demo(
    settings: Settings, *, seed: int = 1
) -> tuple[Any, list[tuple[DemoAccount, list[str], bool]]]:
    """Seed when the store is empty (a seeded demo store is left as is), add the demo accounts.

    Returns the seed summary (None when not seeded) and (account, territories, created) rows.
    """
    from sync.backends import load_store
    from sync.errors import NotFound

    from .seed import MARKER_ID, seed_demo

    store = load_store(settings)
    await store.initialize()
    try:
        summary = None
        dbs = await store.list_dbs()
        demo_there = False
        if "config" in dbs:
            with contextlib.suppress(NotFound):
                demo_there = bool(await store.get("config", MARKER_ID))
        if not dbs or demo_there:  # never write demo data into a real store
            summary = await seed_demo(store, seed=seed)
        territories = territories_from(summary, await store.list_dbs())
    finally:
        await store.close()
    accounts = Accounts.from_settings(settings)
    try:
        await anyio.to_thread.run_sync(accounts.initialize)
        rows = []
        for demo in DEMO_ACCOUNTS:
            codes = territories.codes(demo.territory)
            existing = await anyio.to_thread.run_sync(accounts.get, demo.name)
            if existing is None:
                await anyio.to_thread.run_sync(
                    accounts.add, demo.name, demo.password, [demo.role], codes
                )
            rows.append((demo, list(existing.territories) if existing else codes, existing is None))
    finally:
        accounts.close()
    return summary, rows
