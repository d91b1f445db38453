"""Reconciling a conflicted sheet: three-way merge of its open leaves, written in one batch.

For a sheet with several open leaves (`scoring.merge.merge_sheet` against their common
ancestor, read from the revision bodies the store keeps):

* the merged revision extends the latest leaf, with the deterministic id
  `sync.revtree.new_rev(latest, merged body)`, and every other open leaf is closed by a
  deterministic tombstone (`sync.closing`); all are written in one `new_edits=false` batch,
  so two workers, or a replay after a crash, write the same revisions, and every device
  converges on its next sync. When the merged body is the latest leaf's, no new revision is
  made: the others are only closed;
* every clash becomes a `review_conflict` record (the sheet needs review), and the merge goes
  to the audit log, in the same transaction as the batch when the store allows;
* a locked sheet is never merged: one `locked` record keeps every open leaf for review;
* a deleted leaf beside an open one (delete against edit) leaves the edit as the winner; the
  delete is recorded (`deleted`), unless it is one of the server's own closing tombstones.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection

from scoring.merge import Clash, Competing, Leaf, Merged, common_ancestor, merge_sheet
from sync import revtree
from sync.closing import closing_rev, tombstones
from sync.errors import NotFound
from sync.store import DocumentStore, WriteResult

from ..audit import Audit, AuditEvent
from ..review.tables import ConflictRecord
from .sqlrows import insert_ignore, table_of
from .writes import Writer

__all__ = ["WORKER_USER", "Reconciler", "revision_path"]

logger = logging.getLogger("thidua.worker")
WORKER_USER = "thidua-worker"
_CONFLICTS = table_of(ConflictRecord)
_JSON = msgspec.json.Encoder(order="sorted")


def revision_path(doc: dict[str, Any]) -> list[str]:
    """The leaf's revision then its ancestors, from `_revisions`."""
    revisions = doc.get("_revisions")
    if not isinstance(revisions, dict):
        return [str(doc.get("_rev"))]
    start = int(revisions.get("start", 0))
    return [f"{start - i}-{h}" for i, h in enumerate(revisions.get("ids", []))]


def _user_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _record_id(*parts: str) -> str:
    return "c" + hashlib.sha256(_JSON.encode(parts)).hexdigest()[:40]


def _now() -> datetime:
    return datetime.now(UTC)


class Reconciler:
    def __init__(
        self, store: DocumentStore, writer: Writer, audit: Audit | None,
        *, clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store, self.writer, self.audit, self.clock = store, writer, audit, clock
        self.merges = 0

    async def reconcile(self, db: str, doc_id: str) -> bool:
        """Merge `doc_id` when it has several open leaves; True when something was written."""
        try:
            found = await self.store.get_open_revs(db, doc_id, "all", revs=True)
        except NotFound:
            return False
        docs = [entry["ok"] for entry in found if "ok" in entry]
        live = [d for d in docs if not d.get("_deleted")]
        dead = [d for d in docs if d.get("_deleted")]
        if not live or doc_id.startswith("result:"):
            return False
        records = self._deletes(db, doc_id, live, dead)
        if len(live) < 2:
            return await self._records_only(db, records)
        if any(d.get("status") == "locked" for d in live):
            records.append(self._locked(db, doc_id, live))
            return await self._records_only(db, records)
        leaves = [Leaf(str(d["_rev"]), _user_fields(d)) for d in live]
        paths = {str(d["_rev"]): revision_path(d) for d in live}
        ancestor_rev = common_ancestor(paths[leaf.rev] for leaf in sorted(leaves, key=lambda x: x.rev))
        ancestor = await self._body(db, doc_id, ancestor_rev)
        merged = merge_sheet(ancestor, leaves)
        base = next(d for d in live if d["_rev"] == merged.base_rev)
        batch, keep = self._batch(doc_id, merged, base, paths)
        records.extend(self._clash(db, doc_id, merged, keep, c) for c in merged.clashes)
        await self.writer.write(db, batch, lambda conn, res: self._rows(conn, db, doc_id, merged,
                                                                          keep, records, res),
                                new_edits=False)
        self.merges += 1
        return True

    async def _body(self, db: str, doc_id: str, rev: str | None) -> dict[str, Any] | None:
        if rev is None:
            return None
        try:
            return _user_fields(await self.store.get(db, doc_id, rev=rev))
        except NotFound:
            return None  # stemmed or compacted away: merge without an ancestor

    @staticmethod
    def _batch(doc_id: str, merged: Merged, base: dict[str, Any],
               paths: dict[str, list[str]]) -> tuple[list[dict[str, Any]], str]:
        """The merged revision (unless it is the base leaf) and the closing tombstones."""
        others = [rev for rev in paths if rev != merged.base_rev]
        if merged.body == _user_fields(base):
            return tombstones(doc_id, sorted(others), merged.base_rev), merged.base_rev
        keep = revtree.new_rev(merged.base_rev, merged.body, deleted=False)
        pos, digest = revtree.parse_rev(keep)
        ids = [digest] + [revtree.parse_rev(r)[1] for r in paths[merged.base_rev]]
        doc = {**merged.body, "_id": doc_id, "_rev": keep,
               "_revisions": {"start": pos, "ids": ids}}
        return [doc, *tombstones(doc_id, sorted(others), keep)], keep

    def _sheet_fields(self, db: str, doc_id: str) -> dict[str, Any]:
        parts = doc_id.split(":")
        campaign = parts[1] if len(parts) > 1 else ""
        period = parts[-1] if len(parts) > 4 else ""
        unit = ":".join(parts[2:-1]) if len(parts) > 4 else ""
        return {"db": db, "doc_id": doc_id, "campaign": campaign, "period": period, "unit": unit,
                "commune_code": db.removeprefix("c-"), "created_at": self.clock(),
                "status": "open"}

    def _clash(self, db: str, doc_id: str, merged: Merged, keep: str, clash: Clash) -> dict[str, Any]:
        revs = sorted(v.rev for v in clash.values)
        return {**self._sheet_fields(db, doc_id), "kind": "clash", "field": clash.field,
                "id": _record_id(db, doc_id, "clash", clash.field, *revs),
                "ancestor": _JSON.encode({"present": clash.ancestor_present,
                                          "value": clash.ancestor}).decode(),
                "values": _JSON.encode(list(clash.values)).decode(),
                "chosen_rev": clash.chosen_rev, "merged_rev": keep}

    def _locked(self, db: str, doc_id: str, live: Sequence[dict[str, Any]]) -> dict[str, Any]:
        values = [Competing(value=_user_fields(d), present=True, rev=str(d["_rev"]),
                            scorer=str(d.get("scorer") or ""), device_id=str(d.get("device_id") or ""),
                            updated_at=str(d.get("updated_at") or "")) for d in live]
        revs = sorted(v.rev for v in values)
        return {**self._sheet_fields(db, doc_id), "kind": "locked", "field": "",
                "id": _record_id(db, doc_id, "locked", *revs),
                "ancestor": _JSON.encode({"present": False, "value": None}).decode(),
                "values": _JSON.encode(values).decode(), "chosen_rev": "", "merged_rev": ""}

    def _deletes(self, db: str, doc_id: str, live: Sequence[dict[str, Any]],
                 dead: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Records of user deletes beside open leaves (not the server's closing tombstones,
        whose kept revision is somewhere in the tree: on a path to a live or deleted leaf)."""
        known = {rev for d in (*live, *dead) for rev in revision_path(d)}
        records = []
        for tomb in dead:
            path = revision_path(tomb)
            rev = str(tomb["_rev"])
            if len(path) > 1 and any(closing_rev(path[1], k) == rev for k in known):
                continue
            kept = [Competing(value=None, present=True, rev=str(d["_rev"]),
                              scorer=str(d.get("scorer") or ""),
                              device_id=str(d.get("device_id") or ""),
                              updated_at=str(d.get("updated_at") or "")) for d in live]
            deleted = Competing(value=None, present=False, rev=rev, scorer="", device_id="",
                                updated_at="")
            records.append({**self._sheet_fields(db, doc_id), "kind": "deleted",
                            "field": "_deleted", "id": _record_id(db, doc_id, "deleted", rev),
                            "ancestor": _JSON.encode({"present": len(path) > 1,
                                                      "value": path[1:2] or None}).decode(),
                            "values": _JSON.encode([deleted, *kept]).decode(),
                            "chosen_rev": str(live[0]["_rev"]), "merged_rev": ""})
        return records

    async def _records_only(self, db: str, records: list[dict[str, Any]]) -> bool:
        if not records:
            return False
        await self.writer.rows(lambda conn, _res: insert_ignore(conn, _CONFLICTS, records), [])
        return True

    def _rows(self, conn: Connection, db: str, doc_id: str, merged: Merged, keep: str,
              records: list[dict[str, Any]], results: list[WriteResult]) -> None:
        insert_ignore(conn, _CONFLICTS, records)
        if self.audit is None:
            return
        detail = _JSON.encode({"leaves": list(merged.leaves), "base": merged.base_rev,
                               "clashes": [c.field for c in merged.clashes]}).decode()
        event = AuditEvent(action="merge", outcome="accepted", user=WORKER_USER, db=db,
                           doc_id=doc_id, rev=keep, detail=detail,
                           reason=f"{len(merged.leaves)} leaves, {len(merged.clashes)} clashes")
        self.audit.write(conn, [event])
