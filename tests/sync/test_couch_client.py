"""The CouchDB backend's fast replication path on real Apache CouchDB 3.5: `_bulk_get`
answered by CouchDB in one request (its bytes passed through), the async client bound to
its event loop, and the change signal the gatekeeper's directory relies on."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest

from sync.backends.couchdb import CouchStore
from sync.errors import BadRequest
from sync.store import DocumentStore
from tests.couchdb import CouchNode


@pytest.fixture
async def store(couchdb_node: CouchNode) -> AsyncIterator[CouchStore]:
    store = CouchStore(couchdb_node.url_with_auth, poll_seconds=1)
    await store.initialize()
    yield store
    await store.close()


async def _world(store: CouchStore) -> tuple[str, dict[str, str]]:
    """A database with a plain doc, a conflicted doc (two leaves) and a deleted doc."""
    db = f"t-{uuid.uuid4().hex[:12]}"
    await store.create_db(db)
    plain = (await store.put(db, {"_id": "plain", "n": 1})).rev
    assert plain is not None
    second = (await store.put(db, {"_id": "plain", "_rev": plain, "n": 2})).rev
    gone = (await store.put(db, {"_id": "gone"})).rev
    await store.put(db, {"_id": "gone", "_rev": gone, "_deleted": True})
    branch = [{"_id": "split", "_rev": rev, "side": rev} for rev in
              ("1-" + "a" * 32, "1-" + "b" * 32)]
    await store.bulk_docs(db, branch, new_edits=False)
    return db, {"plain1": plain, "plain2": str(second)}


ASKS = [{"id": "plain"}, {"id": "split"}, {"id": "gone"}, {"id": "never"},
        {"id": "split", "rev": "1-" + "a" * 32}, {"id": "plain", "rev": "9-" + "f" * 32}]


@pytest.mark.parametrize("flags", [{}, {"revs": True}, {"revs": True, "latest": True}])
async def test_bulk_get_is_one_request_with_the_generic_answer(
    store: CouchStore, flags: dict[str, bool]
) -> None:
    db, revs = await _world(store)
    asks = [*ASKS, {"id": "plain", "rev": revs["plain1"]}]
    generic = [await DocumentStore._bulk_get_one(store, db, ask, **flags) for ask in asks]
    native = await store.bulk_get(db, asks, **flags)
    assert _normal(native) == _normal(generic)
    body = json.loads(await store.bulk_get_json(db, asks, **flags))
    assert _normal(body["results"]) == _normal(generic)
    if flags.get("latest"):  # the old rev of `plain` answers its newest leaf
        [entry] = body["results"][-1]["docs"]
        assert entry["ok"]["_rev"] == revs["plain2"]


def _normal(results: list[dict]) -> list[dict]:
    """Entries with their docs in a fixed order (CouchDB does not promise leaf order)."""
    return [{**r, "docs": sorted(r["docs"], key=lambda d: json.dumps(d, sort_keys=True))}
            for r in results]


async def test_bulk_get_refuses_a_bad_rev_and_answers_a_missing_id(store: CouchStore) -> None:
    db, _ = await _world(store)
    with pytest.raises(BadRequest):
        await store.bulk_get_json(db, [{"id": "plain", "rev": "not-a-rev"}])
    [entry] = json.loads(await store.bulk_get_json(db, [{"rev": "1-" + "a" * 32}]))["results"]
    assert entry["docs"][0]["error"]["error"] == "bad_request"


async def test_change_signal_is_set_by_a_write_to_its_database_only(store: CouchStore) -> None:
    db, _ = await _world(store)
    other = f"t-{uuid.uuid4().hex[:12]}"
    await store.create_db(other)
    signal = store.change_signal(db)
    assert store.change_signal(db) is signal  # one event per database until it fires
    await store.put(other, {"_id": "x"})
    assert not signal.is_set()
    await store.put(db, {"_id": "y"})
    assert signal.is_set() and store.change_signal(db) is not signal
    refused = store.change_signal(db)
    [result] = await store.bulk_docs(db, [{"_id": "z", "_rev": "bad"}], new_edits=False)
    assert result.error and refused.is_set()  # set however the write ended


def test_one_store_serves_successive_event_loops(couchdb_node: CouchNode) -> None:
    """The async client is bound to the loop that made it; a new loop gets a new one."""
    store = CouchStore(couchdb_node.url_with_auth, poll_seconds=1)
    db = f"t-{uuid.uuid4().hex[:12]}"

    async def first() -> None:
        await store.initialize()
        await store.create_db(db)
        await store.put(db, {"_id": "a"})

    async def second() -> list[str]:
        rows = (await store.all_docs(db))["rows"]
        await store.close()
        return [row["id"] for row in rows]

    asyncio.run(first())
    assert asyncio.run(second()) == ["a"]
