"""Conformance topics: `_all_docs`, bad input, concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest

from ..errors import BadRequest, NotFound
from ..store import DocumentStore
from ._base import StoreFixtures, rev_path

__all__ = ["AllDocsTests", "BadInputTests", "CompactionTests", "ConcurrencyTests"]


class AllDocsTests(StoreFixtures):
    async def _seed_listing(self, store: DocumentStore, db: str) -> dict[str, str]:
        docs = [{"_id": i, "n": n} for n, i in enumerate(["b", "a", "C", "_design/x", "é", "c"])]
        revs = {r.id: r.rev for r in await store.bulk_docs(db, docs) if r.rev}
        await self.put(store, db, {"_id": "c", "_rev": revs["c"], "_deleted": True})
        return revs

    @staticmethod
    def _ids(answer: dict[str, Any]) -> list[str]:
        return [row["id"] for row in answer["rows"]]

    async def test_order_and_ranges(self, store: DocumentStore, db: str) -> None:
        await self._seed_listing(store, db)
        every = await store.all_docs(db)
        assert self._ids(every) == ["C", "_design/x", "a", "b", "é"]
        assert every["total_rows"] == 5 and every["offset"] == 0
        assert self._ids(await store.all_docs(db, startkey="a", endkey="b")) == ["a", "b"]
        assert self._ids(await store.all_docs(db, startkey="a", endkey="b",
                                              inclusive_end=False)) == ["a"]
        down = await store.all_docs(db, descending=True, startkey="b", endkey="a",
                                    inclusive_end=False)
        assert self._ids(down) == ["b"]
        assert self._ids(await store.all_docs(db, descending=True, limit=2)) == ["é", "b"]
        page = await store.all_docs(db, skip=1, limit=2)
        assert self._ids(page) == ["_design/x", "a"] and page["offset"] == 1
        after = await store.all_docs(db, startkey="a", skip=1)
        assert self._ids(after) == ["b", "é"] and after["offset"] == 3

    async def test_keys_and_docs(self, store: DocumentStore, db: str) -> None:
        revs = await self._seed_listing(store, db)
        answer = await store.all_docs(db, keys=["b", "zz", "c"], include_docs=True)
        b, missing, deleted = answer["rows"]
        assert b == {"id": "b", "key": "b", "value": {"rev": revs["b"]},
                     "doc": {"_id": "b", "_rev": revs["b"], "n": 0}}
        assert missing == {"key": "zz", "error": "not_found"}
        assert deleted["id"] == "c" and deleted["value"]["deleted"] is True
        assert deleted["value"]["rev"].startswith("2-") and deleted.get("doc") is None
        with_docs = await store.all_docs(db, include_docs=True, limit=1)
        assert with_docs["rows"][0]["doc"]["n"] == 2

    async def test_winning_bodies(self, store: DocumentStore, db: str) -> None:
        """Each live document's winning rev and body JSON, as `all_docs` gives them (a
        backend may leave `_` members out of the body; none here is deleted or missing)."""
        revs = await self._seed_listing(store, db)
        await self.put(store, db, {"_id": "v", "type": "sheet", "inputs": {"a": 1, "b": "1.5"},
                                   "nested": [None, True, {"x": "đ"}]})
        await self.replicate(store, db, {"_id": "w", **rev_path(1, "a"), "v": 1},
                             {"_id": "w", **rev_path(1, "b"), "v": 2})
        found = await store.winning_bodies(db, ["b", "zz", "c", "v", "w", "b", "é"])
        listing = await store.all_docs(db, keys=["b", "v", "w", "é"], include_docs=True)
        assert sorted(found) == ["b", "v", "w", "é"] and found["b"][0] == revs["b"]
        for row in listing["rows"]:
            rev, body = found[row["id"]]
            fields = {k: v for k, v in msgspec.json.decode(body).items() if k[:1] != "_"}
            assert rev == row["doc"]["_rev"]
            assert fields == {k: v for k, v in row["doc"].items() if k[:1] != "_"}
        assert msgspec.json.decode(found["w"][1])["v"] == 2


class BadInputTests(StoreFixtures):
    async def test_bad_entries_fail_alone(self, store: DocumentStore, db: str) -> None:
        docs: list[Any] = [
            5, {"_id": "good"}, {"_id": "_bad"}, {"_id": "r", "_rev": "abc"},
            {"_id": "f", "_foo": 1}, {"_id": "big", "blob": "x" * 8_100_000},
            {"_id": "att", "_attachments": {"a": {"data": "!!not base64"}}}, {"_id": 7},
            {"_id": "d", "_deleted": "yes"},
        ]
        results = await store.bulk_docs(db, docs)
        errors = [r.error for r in results]
        assert errors == [
            "bad_request", None, "bad_request", "bad_request", "doc_validation", "too_large",
            "bad_request", "bad_request", "bad_request"]
        assert all(r.reason for r in results if r.error)
        assert results[1].ok and (await store.get(db, "good"))["_id"] == "good"
        assert (await store.db_info(db)).doc_count == 1

    async def test_bad_replicated_entries(self, store: DocumentStore, db: str) -> None:
        docs: list[Any] = [
            {"_id": "a"},
            {"_id": "b", "_revisions": {"start": 1, "ids": ["b" * 32, "a" * 32]}},
            {"_id": "c", "_rev": "2-x", "_revisions": {"start": 2, "ids": "x"}},
            {"v": 1, **rev_path(1, "a")},
            {"_id": "ok", **rev_path(2, "b", "a")},
        ]
        results = await store.bulk_docs(db, docs, new_edits=False)
        assert [r.error for r in results] == ["bad_request"] * 4 + [None]
        assert (await store.get(db, "ok"))["_rev"] == "2-" + "b" * 32

    async def test_revisions_win_over_rev(self, store: DocumentStore, db: str) -> None:
        """PouchDB sends `_rev: 2-a` with `_revisions: {start: 1, ids: [a]}` for a tree with
        a repeated hash; CouchDB writes `1-a`."""
        await self.replicate(store, db, {"_id": "d", "_rev": "2-" + "a" * 32,
                                         "_revisions": {"start": 1, "ids": ["a" * 32]}})
        assert (await store.get(db, "d"))["_rev"] == "1-" + "a" * 32

    async def test_bad_arguments(self, store: DocumentStore, db: str) -> None:
        calls: list[Callable[[], Awaitable[Any]]] = [
            lambda: store.changes(db, since="yesterday"),
            lambda: store.changes(db, since=-1),
            lambda: store.changes(db, selector={"a": {"$nope": 1}}),
            lambda: store.revs_diff(db, {"a": ["bad"]}),
            lambda: store.get(db, "a", rev="bad"),
            lambda: store.get_open_revs(db, "a", ["1-"]),
        ]
        for call in calls:
            with pytest.raises(BadRequest):
                await call()


class ConcurrencyTests(StoreFixtures):
    async def test_one_winner_among_concurrent_edits(self, store: DocumentStore, db: str) -> None:
        rev = await self.put(store, db, {"_id": "a"})
        results = await asyncio.gather(*(
            store.bulk_docs(db, [{"_id": "a", "_rev": rev, "by": i}]) for i in range(10)))
        errors = sorted(str(r[0].error) for r in results)
        assert errors == ["None"] + ["conflict"] * 9

    async def test_changes_cursor_never_skips(self, store: DocumentStore, db: str) -> None:
        writers, batches, size = 6, 5, 20
        expected = {f"w{w}-{b}-{i}" for w in range(writers) for b in range(batches)
                    for i in range(size)}

        async def write(w: int) -> None:
            for b in range(batches):
                docs = [{"_id": f"w{w}-{b}-{i}"} for i in range(size)]
                assert all(r.ok for r in await store.bulk_docs(db, docs))
                await asyncio.sleep(0)

        async def follow() -> set[str]:
            seen: set[str] = set()
            since: Any = 0
            while seen != expected:
                page = await store.changes(db, since=since, limit=37)
                seen.update(r.id for r in page.results)
                since = page.last_seq
                if not page.results:
                    await store.wait_for_change(db, since, 1.0)
            return seen

        follower = asyncio.create_task(follow())
        await asyncio.gather(*(write(w) for w in range(writers)))
        assert await asyncio.wait_for(follower, 30) == expected
        info = await store.db_info(db)
        assert info.doc_count == len(expected)


class CompactionTests(StoreFixtures):
    async def test_compaction_keeps_leaves_only(self, store: DocumentStore, db: str) -> None:
        """Non-leaf bodies and their attachments go; leaves (conflicts too) stay readable.
        CouchDB compacts in the background: wait for it (bounded)."""
        att = {"a.bin": {"content_type": "application/octet-stream", "data": "AAECAw=="}}
        rev1 = await self.put(store, db, {"_id": "a", "v": 1, "_attachments": att})
        rev2 = await self.put(store, db, {"_id": "a", "_rev": rev1, "v": 2})
        await self.replicate(store, db, {"_id": "c", "v": "b", **rev_path(2, "b", "a")},
                             {"_id": "c", "v": "c", **rev_path(2, "c", "a")})
        await store.compact(db)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while True:
            try:
                await store.get(db, "a", rev=rev1)
            except NotFound:
                break
            assert loop.time() < deadline, "old revision still readable after compaction"
            await asyncio.sleep(0.2)
        with pytest.raises(NotFound):
            await store.get_attachment(db, "a", "a.bin", rev=rev1)
        assert (await store.get(db, "a"))["v"] == 2 and (await store.get(db, "a"))["_rev"] == rev2
        leaves = await store.get_open_revs(db, "c", "all")
        assert sorted(e["ok"]["v"] for e in leaves) == ["b", "c"]
        assert await store.revs_diff(db, {"a": [rev1]}) == {}  # the rev id is still known
        with pytest.raises(NotFound):
            await store.compact(f"{db}-never")
