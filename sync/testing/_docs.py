"""Conformance topics: CRUD and databases, revisions and conflicts."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ..errors import BadRequest, Conflict, NotFound, PreconditionFailed
from ..store import DocumentStore
from ._base import StoreFixtures, needs, rev_path

__all__ = ["CrudTests", "RevisionTests"]


class CrudTests(StoreFixtures):
    async def test_server_uuid_is_stable_hex(self, store: DocumentStore) -> None:
        uid = await store.server_uuid()
        assert len(uid) == 32 and int(uid, 16) >= 0 and uid == await store.server_uuid()
        assert await store.ping() is True

    async def test_databases_lifecycle(self, store: DocumentStore, db: str) -> None:
        assert db in await store.list_dbs()
        with pytest.raises(PreconditionFailed):
            await store.create_db(db)
        info = await store.db_info(db)
        assert (info.db_name, info.doc_count, info.doc_del_count) == (db, 0, 0)
        await self.put(store, db, {"_id": "gone", "_attachments": {"a": {"data": "AAEC"}}})
        await store.put_local(db, "gone", {})
        await store.delete_db(db)
        assert db not in await store.list_dbs()
        await store.create_db(db)
        assert (await store.db_info(db)).doc_count == 0
        assert (await store.changes(db)).results == []
        with pytest.raises(NotFound):
            await store.get_local(db, "gone")
        await store.delete_db(db)
        calls: list[Callable[[], Awaitable[Any]]] = [
            lambda: store.db_info(db), lambda: store.get(db, "x"), lambda: store.changes(db),
            lambda: store.bulk_docs(db, [{"_id": "x"}]), lambda: store.delete_db(db),
            lambda: store.all_docs(db), lambda: store.get_local(db, "x"),
            lambda: store.revs_diff(db, {}), lambda: store.wait_for_change(db, 0, 0.01),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                await call()

    @pytest.mark.parametrize("name", ["Upper", "1abc", "_users", "a b", "", "a" * 239])
    async def test_illegal_database_names(self, store: DocumentStore, name: str) -> None:
        with pytest.raises(BadRequest) as info:
            await store.create_db(name)
        assert info.value.error == "illegal_database_name"

    async def test_create_update_delete_recreate(self, store: DocumentStore, db: str) -> None:
        rev1 = await self.put(store, db, {"_id": "a", "n": 1})
        assert rev1.startswith("1-") and len(rev1) == 34
        assert await store.get(db, "a") == {"_id": "a", "_rev": rev1, "n": 1}
        rev2 = await self.put(store, db, {"_id": "a", "_rev": rev1, "n": 2})
        with pytest.raises(Conflict):
            await store.put(db, {"_id": "a", "_rev": rev1, "n": 3})
        with pytest.raises(Conflict):
            await store.put(db, {"_id": "a", "n": 3})
        rev3 = await self.put(store, db, {"_id": "a", "_rev": rev2, "_deleted": True})
        with pytest.raises(NotFound) as info:
            await store.get(db, "a")
        assert info.value.reason == "deleted"
        assert (await store.get(db, "a", rev=rev3))["_deleted"] is True
        assert (await store.db_info(db)).doc_del_count == 1
        rev4 = await self.put(store, db, {"_id": "a", "n": 4})
        assert rev4.startswith("4-")
        doc = await store.get(db, "a", revs=True)
        assert doc["n"] == 4 and doc["_revisions"]["start"] == 4
        assert len(doc["_revisions"]["ids"]) == 4
        info2 = await store.db_info(db)
        assert (info2.doc_count, info2.doc_del_count) == (1, 0)

    async def test_missing_doc_and_rev(self, store: DocumentStore, db: str) -> None:
        with pytest.raises(NotFound) as info:
            await store.get(db, "nope")
        assert info.value.reason == "missing"
        await self.put(store, db, {"_id": "a"})
        with pytest.raises(NotFound):
            await store.get(db, "a", rev="1-" + "f" * 32)

    async def test_revisions_are_deterministic(self, store: DocumentStore, db: str) -> None:
        needs(store, "deterministic_revs")
        results = await store.bulk_docs(db, [{"_id": "a", "x": [1, 2]}, {"_id": "b", "x": [1, 2]}])
        assert results[0].rev == results[1].rev
        other = await self.put(store, db, {"_id": "c", "x": [2, 1]})
        assert other != results[0].rev

    async def test_old_revision_bodies_are_kept(self, store: DocumentStore, db: str) -> None:
        needs(store, "revision_bodies")
        rev1 = await self.put(store, db, {"_id": "a", "v": "old"})
        rev2 = await self.put(store, db, {"_id": "a", "_rev": rev1, "v": "new"})
        assert (await store.get(db, "a", rev=rev1))["v"] == "old"
        info = (await store.get(db, "a", rev=rev2, revs_info=True))["_revs_info"]
        assert info == [{"rev": rev2, "status": "available"}, {"rev": rev1, "status": "available"}]

    async def test_generated_id_and_design_docs(self, store: DocumentStore, db: str) -> None:
        [res] = await store.bulk_docs(db, [{"v": 1}])
        assert res.ok and len(res.id) >= 16
        await self.put(store, db, {"_id": "_design/app", "views": {}})
        assert (await store.get(db, "_design/app"))["views"] == {}


class RevisionTests(StoreFixtures):
    async def test_replicated_conflict_and_winner(self, store: DocumentStore, db: str) -> None:
        await self.replicate(store, db, {"_id": "d", "v": "b", **rev_path(2, "b", "a")},
                             {"_id": "d", "v": "c", **rev_path(2, "c", "a")})
        winner, loser = "2-" + "c" * 32, "2-" + "b" * 32
        doc = await store.get(db, "d", conflicts=True)
        assert (doc["_rev"], doc["v"], doc["_conflicts"]) == (winner, "c", [loser])
        await self.put(store, db, {"_id": "d", "_rev": winner, "_deleted": True})
        doc = await store.get(db, "d", conflicts=True, deleted_conflicts=True)
        assert doc["_rev"] == loser and "_conflicts" not in doc
        assert doc["_deleted_conflicts"][0].startswith("3-")
        leaves = await store.get_open_revs(db, "d", "all")
        assert sorted(e["ok"]["_rev"][0] for e in leaves) == ["2", "3"]
        assert any(e["ok"].get("_deleted") for e in leaves)

    async def test_deeper_branch_wins_and_deleted_loses(self, store: DocumentStore, db: str) -> None:
        await self.replicate(store, db, {"_id": "d", **rev_path(3, "e", "b", "a")},
                             {"_id": "d", **rev_path(2, "f", "a")},
                             {"_id": "d", "_deleted": True, **rev_path(4, "9", "e", "b", "a")})
        assert (await store.get(db, "d"))["_rev"] == "2-" + "f" * 32

    async def test_replicated_writes_are_idempotent(self, store: DocumentStore, db: str) -> None:
        doc = {"_id": "d", "v": 1, **rev_path(2, "b", "a")}
        await self.replicate(store, db, doc)
        seq = (await store.db_info(db)).update_seq
        await self.replicate(store, db, doc, {"_id": "d", **rev_path(1, "a")})
        if "quiet_rewrites" in store.capabilities:
            assert (await store.db_info(db)).update_seq == seq
        assert (await store.get(db, "d", revs=True))["_revisions"]["start"] == 2
        assert (await store.get(db, "d"))["v"] == 1

    async def test_interactive_edit_of_a_conflict_leaf(self, store: DocumentStore, db: str) -> None:
        await self.replicate(store, db, {"_id": "d", **rev_path(2, "b", "a")},
                             {"_id": "d", **rev_path(2, "c", "a")})
        rev = await self.put(store, db, {"_id": "d", "_rev": "2-" + "b" * 32, "fixed": True})
        assert rev.startswith("3-")
        assert (await store.get(db, "d"))["_rev"] == rev
        with pytest.raises(Conflict):
            await store.put(db, {"_id": "d", "_rev": "1-" + "a" * 32})

    async def test_latest_and_open_revs(self, store: DocumentStore, db: str) -> None:
        await self.replicate(store, db, {"_id": "d", "v": 3, **rev_path(3, "c", "b", "a")})
        old, new = "2-" + "b" * 32, "3-" + "c" * 32
        assert (await store.get(db, "d", rev=old, latest=True))["_rev"] == new
        found = await store.get_open_revs(db, "d", [old, "9-" + "f" * 32], latest=True, revs=True)
        assert found[0]["ok"]["_rev"] == new and found[0]["ok"]["_revisions"]["start"] == 3
        assert found[1] == {"missing": "9-" + "f" * 32}
        assert await store.get_open_revs(db, "zz", ["1-" + "a" * 32]) == [{"missing": "1-" + "a" * 32}]

    async def test_stemming_keeps_revs_limit(self, store: DocumentStore, db: str) -> None:
        hashes = [uuid.UUID(int=i).hex for i in range(1005, 0, -1)]
        await self.replicate(store, db, {"_id": "d", "_rev": f"1005-{hashes[0]}",
                                         "_revisions": {"start": 1005, "ids": hashes}})
        doc = await store.get(db, "d", revs=True)
        assert len(doc["_revisions"]["ids"]) == 1000 and doc["_revisions"]["start"] == 1005


