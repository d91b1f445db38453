"""`server.validation.check_sheet` and the territory resolution of `server.territory`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from gate_world import directory_docs, seed_world, sheet

from server.territory import Directory, Territory
from server.validation import OUTSIDE_TERRITORY, Invalid, check_sheet, manual_criteria
from sync.backends.sql import SqlStore
from tests.server.test_territory import NEW_COMMUNE


@pytest.fixture
async def territory(tmp_path: Path) -> AsyncIterator[Territory]:
    store = SqlStore(f"sqlite:///{tmp_path / 'v.sqlite3'}")
    await store.initialize()
    await seed_world(store)
    yield Territory(store)
    await store.close()


@pytest.fixture
async def directory(territory: Territory) -> Directory:
    return await territory.directory()


def _reason(doc: dict[str, Any], db: str, directory: Directory) -> str:
    with pytest.raises(Invalid) as caught:
        check_sheet(doc, db, directory)
    return str(caught.value)


async def test_territory_codes_resolve_to_databases(directory: Directory) -> None:
    assert directory.dbs_for(("89101",)) == {"c-89101"}
    assert directory.dbs_for(("890100",)) == {"c-89101", "c-89102"}
    assert directory.dbs_for(("89",)) == {"p-89", "c-89101", "c-89102", "c-89201"}
    assert directory.dbs_for(("91", "890200")) == {"p-91", "c-91101", "c-89201"}
    assert directory.dbs_for(("77777",)) == {"c-77777"}  # not in the directory yet: literal
    assert directory.communes_of_db("p-89") == {"89101", "89102", "89201"}


async def test_directory_follows_config_changes(territory: Territory) -> None:
    store = territory.store
    first = await territory.directory()
    assert await territory.directory() is first  # nothing changed: same snapshot
    await store.put("config", NEW_COMMUNE)
    second = await territory.directory()
    assert "c-89301" in second.dbs_for(("890200",)) and "c-89301" in second.dbs_for(("89",))
    current = await store.get("config", "commune:89301")
    await store.put("config", {"_id": current["_id"], "_rev": current["_rev"], "_deleted": True})
    assert "c-89301" not in (await territory.directory()).dbs_for(("890200",))
    await store.delete_db("config")
    assert (await territory.directory()).communes == {}


async def test_a_valid_sheet_passes(directory: Directory) -> None:
    doc = sheet("89101", status="submitted")
    assert check_sheet(doc, "c-89101", directory).unit_code == "8910101"
    assert check_sheet(doc, "p-89", directory).commune_code == "89101"


@pytest.mark.parametrize(
    ("change", "db", "expected"),
    [
        ({"commune_code": "89102"}, "c-89101", "commune_code '89102' does not belong"),
        ({}, "c-89102", f"{OUTSIDE_TERRITORY}: commune_code '89101'"),
        ({}, "p-91", OUTSIDE_TERRITORY),
        ({"status": "approved"}, "c-89101", "$.status"),
        ({"unit_kind": "castle"}, "c-89101", "$.unit_kind"),
        ({"surprise": 1}, "c-89101", "surprise"),
        ({"inputs": {"du_no": 1.5}}, "c-89101", "inputs.du_no"),
        ({"inputs": {"du_no": -3}}, "c-89101", "du_no"),
        ({"manual": {"X": {"points": "1", "oops": 1}}}, "c-89101", "manual.X"),
        ({"period": "1999"}, "c-89101", "does not match"),
    ],
)
def test_refusals_name_the_field(
    directory: Directory, change: dict[str, Any], db: str, expected: str
) -> None:
    assert expected in _reason({**sheet("89101"), **change}, db, directory)


def test_unit_must_exist_with_kind_and_commune(directory: Directory) -> None:
    doc = sheet("89101", unit_kind="hamlet_head")
    doc["_id"] = doc["_id"].replace("savings_group", "hamlet_head")
    assert "not a known hamlet_head unit" in _reason(doc, "c-89101", directory)
    moved = Directory(**{**_fields(directory), "units": {"savings_group:8910101": "89102"}})
    assert "belongs to commune '89102'" in _reason(sheet("89101"), "c-89101", moved)


def test_campaign_and_period_must_be_known(directory: Directory) -> None:
    doc = sheet("89101", campaign="2030")
    doc["_id"] = f"sheet:2030:savings_group:8910101:{doc['period']}"
    assert "campaign '2030' is not in the directory" in _reason(doc, "c-89101", directory)
    doc = sheet("89101", period="2026-9999")
    doc["_id"] = "sheet:2026:savings_group:8910101:2026-9999"
    assert "period '2026-9999' is not a period" in _reason(doc, "c-89101", directory)


def test_manual_criteria_of_the_shipped_set() -> None:
    known = manual_criteria("vbsp-2026")
    assert set(known["hamlet_head"]) == {"HH4", "HH5", "HH6"}
    assert known["savings_group"] == {}
    with pytest.raises(Invalid, match="cannot be loaded"):
        manual_criteria("no-such-set")


def test_directory_docs_are_valid_model_docs() -> None:
    from scoring.decode import decode_doc

    assert all(decode_doc(doc) for doc in directory_docs())


def _fields(directory: Directory) -> dict[str, Any]:
    return {f: getattr(directory, f) for f in directory.__struct_fields__}
