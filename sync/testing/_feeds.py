"""Conformance topics: changes feed, local documents, revs_diff and bulk_get, attachments."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import pytest

from ..errors import NotFound
from ..store import DocumentStore
from ._base import StoreFixtures, in_order, rev_path

__all__ = ["AttachmentTests", "ChangesTests", "LocalDocTests", "RevsDiffBulkGetTests"]


class ChangesTests(StoreFixtures):
    async def _seed_changes(self, store: DocumentStore, db: str) -> dict[str, str]:
        revs = {}
        for doc_id in ("a", "b", "c"):
            revs[doc_id] = await self.put(store, db, {"_id": doc_id, "kind": doc_id})
        revs["a"] = await self.put(store, db, {"_id": "a", "_rev": revs["a"], "kind": "A"})
        return revs

    async def test_one_row_per_doc_in_seq_order(self, store: DocumentStore, db: str) -> None:
        revs = await self._seed_changes(store, db)
        page = await store.changes(db)
        in_order(store, [r.id for r in page.results], ["b", "c", "a"])
        assert {r.id: r.changes for r in page.results}["a"] == [{"rev": revs["a"]}]
        assert page.last_seq == page.results[-1].seq
        if "integer_seqs" in store.capabilities:
            assert [r.seq for r in page.results] == [2, 3, 4]
        empty = await store.changes(db, since=page.last_seq)
        now = await store.changes(db, since="now")
        assert empty.results == [] and now.results == []
        if "cluster" not in store.capabilities:  # one position, one string
            assert empty.last_seq == page.last_seq and now.last_seq == page.last_seq
        assert (await store.changes(db, since=now.last_seq)).results == []

    async def test_since_limit_and_pending(self, store: DocumentStore, db: str) -> None:
        await self._seed_changes(store, db)
        first = await store.changes(db, limit=2)
        assert len(first.results) == 2 and first.pending == 1
        rest = await store.changes(db, since=first.last_seq)
        in_order(store, [r.id for r in first.results + rest.results], ["b", "c", "a"])
        back = await store.changes(db, descending=True, limit=2)
        assert len(back.results) == 2
        if "cluster" not in store.capabilities:
            assert [r.id for r in back.results] == ["a", "c"]

    async def test_filters_and_docs(self, store: DocumentStore, db: str) -> None:
        revs = await self._seed_changes(store, db)
        only = await store.changes(db, doc_ids=["c", "zz"], include_docs=True)
        assert [(r.id, r.doc) for r in only.results] == [("c", {"_id": "c", "_rev": revs["c"],
                                                               "kind": "c"})]
        chosen = await store.changes(db, selector={"kind": {"$in": ["A", "b"]}})
        in_order(store, [r.id for r in chosen.results], ["b", "a"])
        assert all(r.doc is None for r in chosen.results)

    async def test_all_docs_style_and_deleted(self, store: DocumentStore, db: str) -> None:
        await self.replicate(store, db, {"_id": "d", **rev_path(2, "b", "a")},
                             {"_id": "d", **rev_path(2, "c", "a")},
                             {"_id": "e", "_deleted": True, **rev_path(1, "e")})
        rows = {r.id: r for r in (await store.changes(db, style="all_docs")).results}
        assert rows["d"].changes[0] == {"rev": "2-" + "c" * 32}
        assert sorted(c["rev"] for c in rows["d"].changes) == ["2-" + "b" * 32, "2-" + "c" * 32]
        assert rows["e"].deleted is True and rows["d"].deleted is False
        main = (await store.changes(db, include_docs=True, conflicts=True)).results
        assert main[0].changes == [{"rev": "2-" + "c" * 32}]
        assert main[0].doc is not None and main[0].doc["_conflicts"] == ["2-" + "b" * 32]

    async def test_wait_for_change(self, store: DocumentStore, db: str) -> None:
        since = (await store.db_info(db)).update_seq
        assert await store.wait_for_change(db, since, 0.05) is False
        waiter = asyncio.create_task(store.wait_for_change(db, since, 5))
        await asyncio.sleep(0.05)
        await self.put(store, db, {"_id": "x"})
        assert await asyncio.wait_for(waiter, 5) is True
        assert await store.wait_for_change(db, since, 0.01) is True


class LocalDocTests(StoreFixtures):
    async def test_local_docs(self, store: DocumentStore, db: str) -> None:
        with pytest.raises(NotFound):
            await store.get_local(db, "ck")
        first = await store.put_local(db, "ck", {"last_seq": 1})
        assert (first.id, first.rev) == ("_local/ck", "0-1")
        second = await store.put_local(db, "ck", {"_rev": "0-1", "last_seq": 2})
        assert second.rev == "0-2"
        assert await store.get_local(db, "ck") == {"_id": "_local/ck", "_rev": "0-2",
                                                   "last_seq": 2}
        assert (await store.changes(db)).results == []
        assert (await store.all_docs(db))["rows"] == []
        await store.delete_local(db, "ck")
        with pytest.raises(NotFound):
            await store.get_local(db, "ck")
        with pytest.raises(NotFound):
            await store.delete_local(db, "ck")


class RevsDiffBulkGetTests(StoreFixtures):
    async def test_revs_diff(self, store: DocumentStore, db: str) -> None:
        await self.replicate(store, db, {"_id": "d", **rev_path(2, "b", "a")})
        diff = await store.revs_diff(db, {
            "d": ["1-" + "a" * 32, "2-" + "b" * 32, "3-" + "c" * 32],
            "new": ["1-" + "f" * 32], "e": []})
        assert diff == {"d": {"missing": ["3-" + "c" * 32], "possible_ancestors": ["2-" + "b" * 32]},
                        "new": {"missing": ["1-" + "f" * 32]}}
        assert await store.revs_diff(db, {"d": ["2-" + "b" * 32]}) == {}

    async def test_bulk_get(self, store: DocumentStore, db: str) -> None:
        await self.replicate(store, db, {"_id": "d", "v": 2, **rev_path(2, "b", "a")},
                             {"_id": "d", "v": 3, **rev_path(2, "c", "a")})
        results = await store.bulk_get(db, [
            {"id": "d", "rev": "1-" + "a" * 32}, {"id": "d"}, {"id": "nope"},
            {"id": "d", "rev": "5-" + "e" * 32}], revs=True, latest=True)
        assert [r["id"] for r in results] == ["d", "d", "nope", "d"]
        assert sorted(d["ok"]["v"] for d in results[0]["docs"]) == [2, 3]
        assert sorted(d["ok"]["_rev"] for d in results[1]["docs"]) == [
            "2-" + "b" * 32, "2-" + "c" * 32]
        assert results[1]["docs"][0]["ok"]["_revisions"]["start"] == 2
        assert results[2]["docs"][0]["error"]["error"] == "not_found"
        assert results[3]["docs"] == [{"error": {"id": "d", "rev": "5-" + "e" * 32,
                                                 "error": "not_found", "reason": "missing"}}]


def _att(data: bytes, content_type: str = "text/plain") -> dict[str, Any]:
    return {"content_type": content_type, "data": base64.b64encode(data).decode()}


class AttachmentTests(StoreFixtures):
    async def test_inline_stub_and_raw(self, store: DocumentStore, db: str) -> None:
        data = "Bảng điểm".encode() * 100
        digest = "md5-" + base64.b64encode(hashlib.md5(data).digest()).decode()
        rev1 = await self.put(store, db, {"_id": "a", "_attachments": {"s.txt": _att(data)}})
        stub = (await store.get(db, "a"))["_attachments"]["s.txt"]
        if "identity_digests" not in store.capabilities:  # CouchDB digests the gzipped text
            digest = stub["digest"]
        assert stub == {"content_type": "text/plain", "revpos": 1, "digest": digest,
                        "length": len(data), "stub": True}
        inline = (await store.get(db, "a", attachments=True))["_attachments"]["s.txt"]
        assert base64.b64decode(inline["data"]) == data and "stub" not in inline
        rev2 = await self.put(store, db, {"_id": "a", "_rev": rev1, "more": 1,
                                          "_attachments": {"s.txt": {"stub": True}}})
        att = await store.get_attachment(db, "a", "s.txt", rev=rev2)
        assert (att.data, att.content_type, att.digest) == (data, "text/plain", digest)
        assert (await store.get(db, "a"))["_attachments"]["s.txt"]["revpos"] == 1
        rev3 = await self.put(store, db, {"_id": "a", "_rev": rev2})
        assert "_attachments" not in await store.get(db, "a", rev=rev3)
        with pytest.raises(NotFound):
            await store.get_attachment(db, "a", "s.txt")
        assert (await store.get_attachment(db, "a", "s.txt", rev=rev1)).data == data

    async def test_missing_stub_fails_only_that_doc(self, store: DocumentStore, db: str) -> None:
        results = await store.bulk_docs(db, [
            {"_id": "a", "_attachments": {"x": {"stub": True}}}, {"_id": "b"}])
        assert results[0].error == "missing_stub" and results[1].ok

    async def test_replicated_attachment(self, store: DocumentStore, db: str) -> None:
        att = {**_att(b"\x00\x01binary", "application/octet-stream"), "revpos": 1}
        await self.replicate(store, db, {"_id": "p", "_attachments": {"b": att},
                                         **rev_path(2, "b", "a")})
        got = (await store.get_open_revs(db, "p", "all", attachments=True))[0]["ok"]
        assert base64.b64decode(got["_attachments"]["b"]["data"]) == b"\x00\x01binary"
        if "replicated_revpos" in store.capabilities:
            assert got["_attachments"]["b"]["revpos"] == 1
