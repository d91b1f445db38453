"""Fixtures and helpers of the conformance suite."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ..store import DocumentStore

__all__ = ["StoreFixtures", "in_order", "needs", "rev_path"]

def rev_path(pos: int, *hashes: str) -> dict[str, Any]:
    """`_rev` and `_revisions` of a replicated doc; `hashes` newest first, one letter each
    (expanded to 32 hex chars: `"a"` -> `"aaaa..."`)."""
    ids = [h * 32 if len(h) == 1 else h for h in hashes]
    return {"_rev": f"{pos}-{ids[0]}", "_revisions": {"start": pos, "ids": ids}}


def in_order(store: DocumentStore, got: list[str], expected: list[str]) -> None:
    """`_changes` rows in write order; on a `cluster` the same rows, in any order (each read
    is served by one copy, and copies may have applied the writes in other orders)."""
    if "cluster" in store.capabilities:
        assert sorted(got) == sorted(expected)
    else:
        assert got == expected


def needs(store: DocumentStore, capability: str) -> None:
    if capability not in store.capabilities:
        pytest.skip(f"backend lacks capability {capability!r}")


class StoreFixtures:
    """Subclasses provide `store`; `db` is a fresh database in it."""

    @pytest.fixture
    async def db(self, store: DocumentStore) -> str:
        name = f"t-{uuid.uuid4().hex[:12]}"
        await store.create_db(name)
        return name

    @staticmethod
    async def put(store: DocumentStore, db: str, doc: dict[str, Any]) -> str:
        result = await store.put(db, doc)
        assert result.ok and result.rev
        return result.rev

    @staticmethod
    async def replicate(store: DocumentStore, db: str, *docs: dict[str, Any]) -> None:
        results = await store.bulk_docs(db, list(docs), new_edits=False)
        assert [r.error for r in results] == [None] * len(docs), results


