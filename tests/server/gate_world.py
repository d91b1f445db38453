"""A tiny territory for the gatekeeper tests: two provinces, three offices, four communes.

Province 89: office 890100 (communes 89101, 89102), office 890200 (commune 89201).
Province 91: office 910100 (commune 91101). One savings group per commune, a campaign `2026`
with many periods (each write in the matrix uses a fresh period, so a fresh sheet id).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from pathlib import Path
from typing import Any

from replication.servers import Server, our_server

from scoring.campaign import Campaign, Period
from scoring.ids import CONFIG_DB, commune_db, province_db
from scoring.places import Commune, TransactionOffice
from scoring.sheet import ScoreSheet
from scoring.units import SavingsGroup
from server.accounts import Accounts
from server.settings import Settings
from sync.backends import load_store
from sync.store import DocumentStore

PASSWORD = "gate-test-password"
COMMUNES = {
    "89101": ("89", "890100"),
    "89102": ("89", "890100"),
    "89201": ("89", "890200"),
    "91101": ("91", "910100"),
}
#: name -> (role, territories)
USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": ("admin", ()),
    "branch_reviewer": ("branch_reviewer", ("89",)),
    "office_reviewer": ("office_reviewer", ("890100",)),
    "scorer": ("scorer", ("89101",)),
    "viewer": ("viewer", ("89",)),
}
CAMPAIGN = "2026"
PERIODS = tuple(f"2026-{n:04d}" for n in range(1, 2001))
TOOLING_DB = "tooling"
DATABASES = (
    CONFIG_DB,
    TOOLING_DB,
    *(commune_db(c) for c in COMMUNES),
    province_db("89"),
    province_db("91"),
)
_periods = itertools.count(1)


def group_code(commune: str) -> str:
    return f"{commune}01"


def directory_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    offices: dict[str, list[str]] = {}
    for code, (province, office) in COMMUNES.items():
        offices.setdefault(office, []).append(code)
        docs.append(
            Commune(
                code=code, name=f"Xã {code}", kind="xa", province_code=province, office_code=office
            ).to_doc()
        )
        docs.append(
            SavingsGroup(
                code=group_code(code),
                name=f"Tổ {code}",
                commune_code=code,
                leader_name="A",
                hamlet_code=f"{code}-1",
                association="PN",
                point_code=f"{code}-P",
                office_code=office,
                members=20,
                months_operating=12,
            ).to_doc()
        )
    for office, communes in offices.items():
        docs.append(
            TransactionOffice(
                code=office,
                name=f"PGD {office}",
                branch_code="890000",
                seat_commune_code=communes[0],
                commune_codes=tuple(communes),
            ).to_doc()
        )
    periods = tuple(Period(id=p, label=p, start="2026-01-01", end="2026-12-31") for p in PERIODS)
    docs.append(
        Campaign(
            id=CAMPAIGN,
            year=2026,
            name="Thi đua 2026",
            periods=periods,
            criteria_version="vbsp-2026",
        ).to_doc()
    )
    return docs


def sheet(commune: str, period: str | None = None, **fields: Any) -> dict[str, Any]:
    """A valid sheet for the savings group of `commune` (a fresh period unless given)."""
    body = ScoreSheet(
        campaign=CAMPAIGN,
        period=period or PERIODS[next(_periods)],
        unit_kind="savings_group",
        unit_code=group_code(commune),
        commune_code=commune,
        inputs={"du_no": 100},
    ).to_doc()
    body.update(fields)
    return body


def with_attachment(doc: dict[str, Any], data: bytes = b"evidence") -> dict[str, Any]:
    return {
        **doc,
        "_attachments": {
            "scan.txt": {"content_type": "text/plain", "data": base64.b64encode(data).decode()}
        },
    }


async def seed_world(store: DocumentStore) -> None:
    """Create every database, write the directory into `config` (raw store, as the server)."""
    for name in DATABASES:
        await store.create_db(name)
    results = await store.bulk_docs(CONFIG_DB, directory_docs())
    assert not [r for r in results if r.error], results


def add_users(settings: Settings) -> None:
    """The accounts of `USERS` (password `PASSWORD`); existing names are left alone."""
    accounts = Accounts.from_settings(settings)
    accounts.initialize()
    try:
        for name, (role, territories) in USERS.items():
            if accounts.get(name) is None:
                accounts.add(name, PASSWORD, [role], list(territories))
    finally:
        accounts.close()


def basic(name: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def served_world(data_dir: Path, **env: str) -> Server:
    """Our server (a real uvicorn process on a SQLite file in `data_dir`) holding this world and
    its `USERS`; not started yet (`start()`, then `stop()`)."""
    server = our_server(data_dir, **env)
    settings = Settings(data_dir=data_dir, log_level="WARNING")
    add_users(settings)

    async def seed() -> None:
        store = load_store(settings)
        await store.initialize()
        try:
            await seed_world(store)
        finally:
            await store.close()

    asyncio.run(seed())
    return server
