"""Conformance: `bulk_docs(..., validate=...)` judges each document on its stored winner."""

from __future__ import annotations

from typing import Any

from ..closing import closing_rev
from ..store import Doc, DocumentStore, Stored, Verdict
from ._base import StoreFixtures, rev_path

__all__ = ["ValidatorTests"]

A, B, C, D, E = ("a" * 32, "b" * 32, "c" * 32, "d" * 32, "e" * 32)


def _refuse_locked(seen: list[tuple[Any, ...]]) -> Any:
    def validate(index: int, doc: Doc, stored: Stored) -> Verdict:
        winner = stored.winner
        seen.append((index, doc["_id"], winner and winner["_rev"], winner and winner.get("v")))
        return Verdict("it is locked") if winner and winner.get("locked") else Verdict()
    return validate


def _prevail(closes: list[tuple[str, ...]]) -> Any:
    def validate(index: int, doc: Doc, stored: Stored) -> Verdict:
        closes.append(stored.closes)
        return Verdict(prevail=True)
    return validate


class ValidatorTests(StoreFixtures):
    async def test_a_validator_judges_the_stored_winner_and_refuses_in_place(
        self, store: DocumentStore, db: str
    ) -> None:
        locked = await self.put(store, db, {"_id": "a", "locked": True, "v": 1})
        seen: list[tuple[Any, ...]] = []
        results = await store.bulk_docs(
            db, [{"_id": "a", "_rev": locked, "v": 2}, {"_id": "b", "v": 3}, {"_id": 7}],
            validate=_refuse_locked(seen))
        assert (results[0].error, results[0].reason) == ("forbidden", "it is locked")
        assert results[1].ok and results[2].error == "bad_request"  # malformed: never judged
        assert seen == [(0, "a", locked, 1), (1, "b", None, None)]
        assert (await store.get(db, "a"))["_rev"] == locked
        replicated = {"_id": "a", "v": 9, **rev_path(5, "e", "d", "c", "b", "a")}
        [forged] = await store.bulk_docs(db, [replicated], new_edits=False,
                                         validate=_refuse_locked(seen))
        assert forged.error == "forbidden" and (await store.get(db, "a"))["_rev"] == locked

    async def test_a_prevailing_edit_of_a_losing_leaf_closes_the_others(
        self, store: DocumentStore, db: str
    ) -> None:
        await self.replicate(store, db, {"_id": "d", **rev_path(2, "b", "a")},
                             {"_id": "d", **rev_path(3, "d", "c", "a")})
        closes: list[tuple[str, ...]] = []
        [written] = await store.bulk_docs(db, [{"_id": "d", "_rev": f"2-{B}", "won": True}],
                                          validate=_prevail(closes))
        assert written.ok and written.rev and closes == [(f"3-{D}",)]
        doc = await store.get(db, "d", conflicts=True, deleted_conflicts=True)
        assert doc["_rev"] == written.rev and doc["won"] is True and "_conflicts" not in doc
        assert doc["_deleted_conflicts"] == [closing_rev(f"3-{D}", written.rev)]

    async def test_a_prevailing_replicated_revision_closes_the_others(
        self, store: DocumentStore, db: str
    ) -> None:
        await self.replicate(store, db, {"_id": "r", **rev_path(2, "b", "a")},
                             {"_id": "r", **rev_path(4, "e", "d", "f", "a")},
                             {"_id": "r", **rev_path(2, "c", "a")})
        closes: list[tuple[str, ...]] = []
        lock = {"_id": "r", "won": True, **rev_path(3, "1", "b", "a")}
        [written] = await store.bulk_docs(db, [lock], new_edits=False, validate=_prevail(closes))
        assert written.ok
        assert sorted(closes[0]) == sorted((f"4-{E}", f"2-{C}"))
        keep = f"3-{'1' * 32}"
        doc = await store.get(db, "r", conflicts=True, deleted_conflicts=True)
        assert doc["_rev"] == keep and "_conflicts" not in doc
        assert sorted(doc["_deleted_conflicts"]) == sorted(
            closing_rev(leaf, keep) for leaf in (f"4-{E}", f"2-{C}"))
