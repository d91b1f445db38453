"""What the worker needs of `config`: units, communes, campaigns and their compiled sets.

Loaded once from `config` and refreshed from its `_changes`; `refresh` answers what changed
in a way that affects scores (a campaign's criteria set, a unit's flags or scopes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from scoring import CompiledSet, CriteriaSet, compile_set, load_shipped
from scoring.adapt import sheet_input
from scoring.campaign import Campaign
from scoring.decode import decode_doc
from scoring.ids import CONFIG_DB
from scoring.incremental import SheetInput
from scoring.places import Commune
from scoring.sheet import ScoreSheet
from scoring.units import Unit
from sync.errors import NotFound
from sync.store import DocumentStore, Seq

__all__ = ["Affected", "NotScorable", "WorkerDirectory"]

_PAGE = 500  # at most `sync.backends.sql_engine.SMALL`: read on the event loop, no thread hop
#: The first load's pages (a national `config`: ~276,000 documents): each full page of the
#: store's `_changes` also counts the changes after it, so few large pages (in a thread).
_LOAD_PAGE = 25_000  # the count after a page is O(rest): 11 pages, not 55


class NotScorable(Exception):
    """A sheet the directory cannot score (unknown unit, commune, campaign or criteria set)."""


class Affected(msgspec.Struct):
    """Score-relevant changes found by a refresh."""

    campaigns: set[str] = msgspec.field(default_factory=set)
    units: set[str] = msgspec.field(default_factory=set)
    communes: set[str] = msgspec.field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.campaigns or self.units or self.communes)


class WorkerDirectory:
    def __init__(self) -> None:
        self.units: dict[str, Unit] = {}  # decoded on first use (`unit`)
        self._unit_docs: dict[str, dict[str, Any]] = {}  # unit key -> stored body
        self.communes: dict[str, Commune] = {}
        self.campaigns: dict[str, Campaign] = {}
        self._sets: dict[str, tuple[CriteriaSet, CompiledSet]] = {}
        self.seq: Seq = 0
        self.loaded = False  # the first refresh loads everything and reports nothing

    def criteria(self, version: str) -> tuple[CriteriaSet, CompiledSet]:
        """The shipped criteria set `version`, compiled once. :raises NotScorable:"""
        found = self._sets.get(version)
        if found is None:
            try:
                cset = load_shipped(version)
            except Exception as exc:  # noqa: BLE001 - any loading failure is reported
                raise NotScorable(f"criteria set {version!r} cannot be loaded: {exc}") from None
            found = self._sets[version] = (cset, compile_set(cset))
        return found

    def _apply(self, doc: dict[str, Any], affected: Affected) -> None:
        kind, doc_id = doc.get("type"), str(doc.get("_id", ""))
        deleted = bool(doc.get("_deleted"))
        if kind not in ("unit", "commune", "campaign") and not deleted:
            return
        if doc_id.startswith("unit:") or kind == "unit":
            self._apply_unit(doc_id.removeprefix("unit:"), None if deleted else doc, affected)
            return
        try:
            item = None if deleted else decode_doc(doc)
        except (msgspec.ValidationError, ValueError, TypeError):
            item = None
        if doc_id.startswith("commune:"):
            code = doc_id.removeprefix("commune:")
            if isinstance(item, Commune):
                if self.communes.get(code) != item:
                    self.communes[code] = item
                    affected.communes.add(code)
            elif self.communes.pop(code, None) is not None:
                affected.communes.add(code)
        elif doc_id.startswith("campaign:"):
            cid = doc_id.removeprefix("campaign:")
            old = self.campaigns.get(cid)
            if isinstance(item, Campaign):
                self.campaigns[cid] = item
                if old is None or old.criteria_version != item.criteria_version:
                    affected.campaigns.add(cid)
            elif old is not None:
                del self.campaigns[cid]
                affected.campaigns.add(cid)

    def _apply_unit(self, key: str, doc: dict[str, Any] | None, affected: Affected) -> None:
        """Units are kept as their stored bodies and decoded when a sheet needs one
        (`unit`): a national `config` holds ~230,000 of them."""
        if doc is None:
            if self._unit_docs.pop(key, None) is not None:
                self.units.pop(key, None)
                affected.units.add(key)
            return
        body = {k: v for k, v in doc.items() if k != "_rev"}
        if self._unit_docs.get(key) != body:
            self._unit_docs[key] = body
            self.units.pop(key, None)
            affected.units.add(key)

    def unit(self, key: str) -> Unit | None:
        """The unit `key` (`<kind>:<code>`), decoded once; None if unknown or invalid."""
        found = self.units.get(key)
        if found is None and (doc := self._unit_docs.get(key)) is not None:
            try:
                item = decode_doc(doc)
            except (msgspec.ValidationError, ValueError, TypeError):
                return None
            if isinstance(item, Unit):
                found = self.units[key] = item
        return found

    def apply(self, docs: Iterable[dict[str, Any]]) -> Affected:
        affected = Affected()
        for doc in docs:
            self._apply(doc, affected)
        return affected

    async def refresh(self, store: DocumentStore, checkpoint: Seq | None = None) -> Affected:
        """Apply every `config` change after the last one seen; what changed. The first call
        loads the directory: of it, only the changes after `checkpoint` (the worker's durable
        `config` checkpoint: changes made while no worker ran) count as changed."""
        affected = Affected()
        first, self.loaded = not self.loaded, True
        quiet = Affected()
        while True:
            try:
                page = await store.changes(CONFIG_DB, since=self.seq,
                                           limit=_LOAD_PAGE if first else _PAGE,
                                           include_docs=True)
            except NotFound:
                return affected
            for row in page.results:
                doc = row.doc or {"_id": row.id}
                doc = {**doc, "_deleted": True} if row.deleted else doc
                late = not first or (isinstance(row.seq, int) and isinstance(checkpoint, int)
                                     and row.seq > checkpoint)
                self._apply(doc, affected if late else quiet)
            self.seq = page.last_seq
            if not page.pending or not page.results:
                return affected

    def closed(self, campaign: str) -> bool:
        """Whether the branch closed `campaign` (its results are final)."""
        known = self.campaigns.get(campaign)
        return known is not None and known.closed_at is not None

    def sheet_input(self, sheet: ScoreSheet) -> tuple[SheetInput, CriteriaSet, CompiledSet]:
        """The engine's view of `sheet` and its campaign's criteria set. :raises NotScorable:"""
        campaign = self.campaigns.get(sheet.campaign)
        if campaign is None:
            raise NotScorable(f"campaign {sheet.campaign!r} is not in the directory")
        unit = self.unit(sheet.unit_id)
        if unit is None:
            raise NotScorable(f"unit {sheet.unit_id!r} is not in the directory")
        commune = self.communes.get(sheet.commune_code)
        if commune is None:
            raise NotScorable(f"commune {sheet.commune_code!r} is not in the directory")
        cset, compiled = self.criteria(campaign.criteria_version)
        if sheet.unit_kind not in cset.unit_kinds:
            raise NotScorable(f"criteria set {cset.version!r} does not score {sheet.unit_kind!r}")
        return sheet_input(sheet, unit, commune), cset, compiled
