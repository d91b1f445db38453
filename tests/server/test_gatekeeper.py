"""The gatekeeper on document writes: refusals in place, locks, forged histories, territory,
result docs, oversized and malformed documents, write observers (PouchDB: test_gatekeeper_pouchdb)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
import pytest_asyncio
from gate_world import add_users, basic, seed_world, sheet
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.settings import Settings
from sync.closing import closing_rev

pytestmark = pytest.mark.asyncio(loop_scope="module")
Client = AsyncTestClient[Litestar]
MAX_DOC = 200_000  # above the test campaign (2,000 periods)
DB = "c-89101"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("gate"),
        log_level="WARNING",
        secret_key="gate-secret-0123456789abcdef",
        max_document_size=MAX_DOC,
    )
    add_users(settings)
    async with AsyncTestClient(create_app(settings)) as test_client:
        await seed_world(test_client.app.state.store)
        yield test_client


async def bulk(
    client: Client, user: str, docs: list[Any], db: str = DB, new_edits: bool = True
) -> list[dict[str, Any]]:
    answer = await client.post(
        f"/db/{db}/_bulk_docs", headers=basic(user), json={"docs": docs, "new_edits": new_edits}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def stored(client: Client, doc_id: str, db: str = DB) -> dict[str, Any] | None:
    listing = await client.app.state.store.all_docs(db, keys=[doc_id], include_docs=True)
    return listing["rows"][0].get("doc")


async def test_refused_docs_answer_in_place_and_the_rest_is_stored(client: Client) -> None:
    good1, good2 = sheet("89101"), sheet("89101")
    elsewhere = sheet("89102")  # a unit of another commune, written into c-89101
    lying = {**sheet("89101"), "_id": "sheet:2026:savings_group:8910101:other"}
    unknown_unit = sheet("89101", unit_code="8910199")
    unknown_unit["_id"] = unknown_unit["_id"].replace("8910101", "8910199")
    bad_type = {**sheet("89101"), "inputs": {"du_no": "many"}}
    bad_manual = sheet("89101", manual={"AC7": {"points": "3"}})
    answer = await bulk(
        client,
        "scorer",
        [
            good1,
            {"_id": "result:2026:x", "type": "result", "total": 100},
            elsewhere,
            lying,
            {"_id": "note:1", "type": "note"},
            good2,
            unknown_unit,
            bad_type,
            bad_manual,
            {"_id": "_design/app", "views": {}},
            {"type": "note"},  # no _id: the store makes one, and it is judged all the same
        ],
    )
    assert [r.get("ok") for r in answer] == [True] + [None] * 4 + [True] + [None] * 5
    errors = [r for r in answer if "error" in r]
    assert {r["error"] for r in errors} == {"forbidden"}
    reasons = [r["reason"] for r in errors]
    assert "written by the server only" in reasons[0]
    assert "outside the database's territory" in reasons[1] and "89102" in reasons[1]
    assert "does not match" in reasons[2]
    assert "only score sheets" in reasons[3] and "'note'" in reasons[3]
    assert "outside the database's territory" in reasons[4] and "8910199" in reasons[4]
    assert "inputs.du_no: " in reasons[5]
    assert "manual.AC7" in reasons[6]
    assert "admins only" in reasons[7]
    assert "only score sheets" in reasons[8] and "'note'" in reasons[8]
    assert [r["id"] for r in errors][:2] == ["result:2026:x", elsewhere["_id"]]
    assert await stored(client, good1["_id"]) and await stored(client, good2["_id"])
    assert await stored(client, "result:2026:x") is None


async def test_manual_points_within_criterion_max(client: Client) -> None:
    ok = sheet("89101", unit_kind="association_commune", unit_code="89101-PN")
    ok["_id"] = ok["_id"].replace("savings_group:8910101", "association_commune:89101-PN")
    store = client.app.state.store
    await store.bulk_docs(
        "config",
        [
            {
                "_id": "unit:association_commune:89101-PN",
                "type": "unit",
                "kind": "association_commune",
                "code": "89101-PN",
                "name": "Hội PN",
                "commune_code": "89101",
                "association": "PN",
                "chair_name": "B",
            }
        ],
    )
    too_many = {**ok, "manual": {"AC7": {"points": "5.5"}}}
    answer = await bulk(client, "scorer", [too_many])
    assert answer[0]["error"] == "forbidden"
    assert answer[0]["reason"] == "manual.AC7.points: 5.5 is outside 0..5"
    fine = await bulk(client, "scorer", [{**ok, "manual": {"AC7": {"points": "4.5"}}}])
    assert fine[0]["ok"]


async def test_oversized_and_malformed_entries_fail_alone(client: Client) -> None:
    good = sheet("89101")
    big = sheet("89101", scorer="x" * (MAX_DOC + 10))
    body = msgspec.json.encode({"docs": [good, big, [1, 2], sheet("89101")]})
    body = body[:-2] + b',{"_id": "broken", "x": tru}]}'  # one invalid JSON entry
    answer = await client.post(
        f"/db/{DB}/_bulk_docs",
        content=body,
        headers={**basic("scorer"), "Content-Type": "application/json"},
    )
    if answer.status_code == 400:  # the whole body is not JSON: CouchDB answers 400 too
        assert answer.json()["error"] == "bad_request"
        body = msgspec.json.encode({"docs": [good, big, [1, 2], sheet("89101")]})
        answer = await client.post(
            f"/db/{DB}/_bulk_docs",
            content=body,
            headers={**basic("scorer"), "Content-Type": "application/json"},
        )
    results = answer.json()
    assert answer.status_code == 201
    assert results[0]["ok"] and results[3]["ok"]
    assert results[1]["error"] == "too_large" and results[1]["id"] == big["_id"]
    assert results[2]["error"] == "bad_request" and "JSON object" in results[2]["reason"]
    put = await client.put(f"/db/{DB}/{big['_id']}", json=big, headers=basic("scorer"))
    assert put.status_code == 413 and put.json()["error"] == "too_large"
    garbled = await client.put(
        f"/db/{DB}/x",
        content=b"{not json",
        headers={**basic("scorer"), "Content-Type": "application/json"},
    )
    assert garbled.status_code == 400 and garbled.json()["error"] == "bad_request"


async def _put(client: Client, user: str, doc: dict[str, Any], db: str = DB) -> Any:
    return await client.put(f"/db/{db}/{doc['_id']}", json=doc, headers=basic(user))


async def test_locks_are_for_reviewers_within_their_territory(client: Client) -> None:
    doc = sheet("89101")
    first = await _put(client, "scorer", doc)
    assert first.status_code == 201
    doc["_rev"] = first.json()["rev"]
    refused = await _put(client, "scorer", {**doc, "status": "locked"})
    assert refused.status_code == 403 and "only reviewers" in refused.json()["reason"]
    draft = await _put(client, "office_reviewer", {**doc, "status": "locked"})
    assert draft.status_code == 403 and "before it is locked" in draft.json()["reason"]
    submitted = await _put(client, "scorer", {**doc, "status": "submitted"})
    doc["_rev"] = submitted.json()["rev"]
    locked = await _put(client, "office_reviewer", {**doc, "status": "locked"})
    assert locked.status_code == 201
    doc["_rev"] = locked.json()["rev"]
    for attempt in (
        _put(client, "scorer", {**doc, "status": "draft"}),
        _put(client, "office_reviewer", {**doc, "inputs": {"du_no": 7}}),
        client.delete(
            f"/db/{DB}/{doc['_id']}", headers={**basic("scorer"), "If-Match": doc["_rev"]}
        ),
    ):
        answer = await attempt
        assert answer.status_code == 403 and "is locked" in answer.json()["reason"]
    assert (await stored(client, doc["_id"]))["status"] == "locked"
    office = await _put(client, "office_reviewer", {**doc, "status": "submitted",
                                                    "unlock_reason": "sai số liệu"})
    assert office.status_code == 403 and "only the branch unlocks" in office.json()["reason"]
    no_reason = await _put(client, "branch_reviewer", {**doc, "status": "submitted"})
    assert no_reason.status_code == 403 and "unlock_reason" in no_reason.json()["reason"]
    unlocked = await _put(client, "branch_reviewer", {**doc, "status": "submitted",
                                                      "unlock_reason": "Nhập sai dư nợ"})
    assert unlocked.status_code == 201
    doc["_rev"] = unlocked.json()["rev"]
    assert (await _put(client, "scorer", {**doc, "inputs": {"du_no": 5}})).status_code == 201
    # Outside the office's territory (c-89201 belongs to office 890200): the database is closed.
    other = sheet("89201", status="submitted")
    assert (await _put(client, "office_reviewer", other, "c-89201")).status_code == 403
    assert (await _put(client, "branch_reviewer", other, "c-89201")).status_code == 201


async def test_forged_histories_cannot_change_a_locked_sheet(client: Client) -> None:
    doc = sheet("89101", status="submitted")
    doc["_rev"] = (await _put(client, "branch_reviewer", doc)).json()["rev"]
    doc["status"] = "locked"
    locked = await _put(client, "branch_reviewer", doc)
    rev = locked.json()["rev"]
    start, digest = rev.split("-")
    f0f0, ffff, dead = "f0" * 16, "f" * 32, "dead" * 8  # well-formed ids: the lock refuses
    forged = [
        {
            **doc,
            "_rev": f"{int(start) + 1}-{f0f0}",
            "status": "draft",
            "_revisions": {"start": int(start) + 1, "ids": [f0f0, digest]},
        },
        {**doc, "_rev": f"99-{ffff}", "status": "draft", "_revisions": {"start": 99, "ids": [ffff]}},
        {
            "_id": doc["_id"],
            "_rev": f"{int(start) + 1}-{dead}",
            "_deleted": True,
            "_revisions": {"start": int(start) + 1, "ids": [dead, digest]},
        },
    ]
    answer = await bulk(client, "scorer", forged, new_edits=False)
    assert len(answer) == 3 and all(r["error"] == "forbidden" for r in answer)
    assert all("is locked" in r["reason"] for r in answer)
    current = await client.app.state.store.get(DB, doc["_id"], conflicts=True)
    assert current["_rev"] == rev and current["status"] == "locked"
    assert "_conflicts" not in current
    # A forged history that sets `locked` on a new doc is refused too.
    new = sheet("89101", status="locked")
    answer = await bulk(client, "scorer", [{**new, "_rev": "1-" + "ab" * 16}], new_edits=False)
    assert answer[0]["error"] == "forbidden" and "only reviewers" in answer[0]["reason"]


async def test_viewers_read_only_and_outsiders_get_nothing(client: Client) -> None:
    doc = sheet("89101")
    assert (await _put(client, "viewer", doc)).status_code == 403
    assert (await client.get(f"/db/{DB}/_changes", headers=basic("viewer"))).status_code == 200
    assert (await _put(client, "scorer", sheet("91101"), "c-91101")).status_code == 403
    gone = await client.get("/db/c-91101/_changes", headers=basic("scorer"))
    assert gone.status_code == 403 and gone.json()["error"] == "forbidden"


async def test_observers_see_accepted_refused_lock_and_unlock(client: Client) -> None:
    seen: list[tuple[Any, ...]] = []

    async def observer(*event: Any) -> None:
        seen.append(event)

    observers = client.app.state.write_observers
    observers.append(observer)
    try:
        doc = sheet("89101", status="submitted")
        answer = await bulk(client, "office_reviewer", [doc, {"_id": "result:y", "type": "result"}])
        doc["_rev"] = answer[0]["rev"]
        doc["_rev"] = (await _put(client, "office_reviewer", {**doc, "status": "locked"})).json()["rev"]
        await _put(client, "branch_reviewer", {**doc, "status": "draft", "unlock_reason": "sửa"})
    finally:
        observers.remove(observer)
    outcomes = [(e[0], e[2], e[3], e[5]) for e in seen]
    assert outcomes == [
        ("office_reviewer", DB, doc["_id"], "accepted"),
        ("office_reviewer", DB, "result:y", "refused"),
        ("office_reviewer", DB, doc["_id"], "accepted"),
        ("office_reviewer", DB, doc["_id"], "lock"),
        ("branch_reviewer", DB, doc["_id"], "accepted"),
        ("branch_reviewer", DB, doc["_id"], "unlock"),
    ]
    assert seen[2][4] == doc["_rev"] and "server only" in seen[1][6]


async def test_refused_replicated_put_is_403_and_query_is_not_part_of_the_id(
    client: Client,
) -> None:
    forged = {"_id": "result:q", "_rev": "1-" + "a" * 32, "type": "result"}
    answer = await client.put(
        f"/db/{DB}/result:q?new_edits=false", json=forged, headers=basic("scorer")
    )
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
    doc = sheet("89101")
    created = await _put(client, "scorer", doc)
    rev = created.json()["rev"]
    got = await client.get(f"/db/{DB}/{doc['_id']}?rev={rev}", headers=basic("scorer"))
    assert got.status_code == 200 and got.json()["_rev"] == rev


async def test_batch_observers_get_one_call_per_bulk_docs(client: Client) -> None:
    batches: list[list[tuple[Any, ...]]] = []

    async def observer(*event: Any) -> None:  # never called: record_batch takes precedence
        raise AssertionError(event)

    async def record_batch(reports: Any) -> None:
        batches.append(list(reports))

    observer.record_batch = record_batch  # type: ignore[attr-defined]
    observers = client.app.state.write_observers
    observers.append(observer)
    try:
        docs = [sheet("89101"), sheet("89101")]  # two periods of one group
        await bulk(client, "scorer", [*docs, {"_id": "result:z", "type": "result"}])
    finally:
        observers.remove(observer)
    assert len(batches) == 1
    assert [(r[3], r[5]) for r in batches[0]] == [
        (docs[0]["_id"], "accepted"), (docs[1]["_id"], "accepted"), ("result:z", "refused")]


def _branch(doc: dict[str, Any], *revs: str, **fields: Any) -> dict[str, Any]:
    """`doc` as a replicated revision with the path `revs` (newest first)."""
    start = int(revs[0].split("-")[0])
    return {**doc, **fields, "_rev": revs[0],
            "_revisions": {"start": start, "ids": [r.split("-")[1] for r in revs]}}


async def _two_branches(client: Client) -> tuple[dict[str, Any], str, str, str]:
    """A submitted sheet with a losing leaf `2-…a` and the winner `3-…c` (both scorer edits of
    rev 1; submitted, so that a reviewer may lock it)."""
    doc = sheet("89101", status="submitted")
    first = (await _put(client, "scorer", doc)).json()["rev"]
    losing, middle, winning = "2-" + "a" * 32, "2-" + "b" * 32, "3-" + "c" * 32
    answer = await bulk(client, "scorer", [_branch(doc, losing, first),
                                           _branch(doc, winning, middle, first)], new_edits=False)
    assert not [r for r in answer if "error" in r], answer
    assert (await client.app.state.store.get(DB, doc["_id"]))["_rev"] == winning
    return doc, first, losing, winning


async def test_a_lock_on_a_losing_branch_closes_the_other_leaves(client: Client) -> None:
    seen: list[tuple[Any, ...]] = []

    async def observer(*event: Any) -> None:
        seen.append(event)

    doc, _, losing, winning = await _two_branches(client)
    client.app.state.write_observers.append(observer)
    try:
        locked = await _put(client, "office_reviewer", {**doc, "_rev": losing, "status": "locked"})
    finally:
        client.app.state.write_observers.remove(observer)
    assert locked.status_code == 201, locked.text
    rev = locked.json()["rev"]
    current = await client.app.state.store.get(DB, doc["_id"], conflicts=True,
                                               deleted_conflicts=True)
    assert current["_rev"] == rev and current["status"] == "locked"
    assert "_conflicts" not in current
    assert current["_deleted_conflicts"] == [closing_rev(winning, rev)]  # deterministic
    assert [(e[5], e[6]) for e in seen] == [
        ("accepted", ""), ("lock", f"closed the other open leaves: {winning}")]
    # The scorer cannot reopen the closed branch: the winner is locked.
    reopen = _branch(doc, "4-" + "d" * 32, winning)
    answer = await bulk(client, "scorer", [reopen], new_edits=False)
    assert answer[0]["error"] == "forbidden" and "is locked" in answer[0]["reason"]


async def test_an_offline_lock_pushed_after_a_newer_branch_wins(client: Client) -> None:
    doc, first, losing, winning = await _two_branches(client)
    lock_rev = "3-" + "1" * 32  # the reviewer's phone locked its copy (2-…a) offline
    answer = await bulk(client, "office_reviewer",
                        [_branch(doc, lock_rev, losing, first, status="locked")], new_edits=False)
    assert answer == []  # accepted (new_edits=false answers errors only)
    current = await client.app.state.store.get(DB, doc["_id"], conflicts=True,
                                               deleted_conflicts=True)
    assert current["_rev"] == lock_rev and current["status"] == "locked"
    assert "_conflicts" not in current
    assert current["_deleted_conflicts"] == [closing_rev(winning, lock_rev)]
