"""The directory in `config`, as the gatekeeper needs it: territory codes -> database names.

A territory code is a commune code (its database `c-<code>`), a transaction office code (the
`c-` databases of every commune under it) or a province code (its communes and `p-<code>`).
A code the directory does not know is read literally as a commune code (`c-<code>`), so an
account may be assigned a commune before the directory lists it.

`Territory` keeps a `Directory` snapshot built from the `config` database and refreshes it
incrementally from `config`'s `_changes`. It looks at `config` only when it may have
changed: at once after a write by this process (the store signals each commit to `config`),
and at most every `RECHECK` seconds otherwise, for writes by other processes (the CLI, a
second server). A store without a change signal is read on every call.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import msgspec

from scoring.ids import CONFIG_DB, commune_db, province_db
from sync.errors import NotFound
from sync.store import DocumentStore, Seq

__all__ = ["RECHECK", "CampaignInfo", "Directory", "Territory", "build_directory"]

#: Seconds a directory is trusted without reading `config` while no write of this process
#: changed it: how late a change made by another process may show.
RECHECK = 1.0


class CampaignInfo(msgspec.Struct, frozen=True):
    criteria_version: str
    periods: frozenset[str]
    unit_kinds: frozenset[str]
    year: int = 0
    name: str = ""
    closed: bool = False  # closed campaigns take no more changes (server.review)
    period_labels: tuple[tuple[str, str], ...] = ()  # (period id, label)


class Directory(msgspec.Struct, frozen=True):
    """An immutable view of the `config` directory."""

    #: commune code -> (province code, office code)
    communes: dict[str, tuple[str, str]] = {}
    #: office code -> commune codes (from the office's list and the communes' `office_code`)
    offices: dict[str, frozenset[str]] = {}
    #: province code -> commune codes
    provinces: dict[str, frozenset[str]] = {}
    #: `<kind>:<code>` -> the unit's commune code
    units: dict[str, str] = {}
    campaigns: dict[str, CampaignInfo] = {}
    #: display names of collectives: `commune:<code>`, `office:<code>`, `province:<code>`,
    #: `hamlet:<code>` and unit ids `<kind>:<code>` (never a person's name)
    names: dict[str, str] = {}
    #: unit id -> hamlet code, for units that belong to one hamlet (groups, hamlet heads)
    unit_hamlets: dict[str, str] = {}

    def dbs_for(self, codes: tuple[str, ...]) -> frozenset[str]:
        """The `c-`/`p-` databases that territory `codes` cover."""
        names: set[str] = set()
        for code in codes:
            if code in self.provinces:
                names.add(province_db(code))
                names.update(commune_db(c) for c in self.provinces[code])
            if code in self.offices:
                names.update(commune_db(c) for c in self.offices[code])
            if code in self.communes or not (code in self.provinces or code in self.offices):
                names.add(commune_db(code))
        return frozenset(names)

    def communes_of_db(self, db: str) -> frozenset[str]:
        """The commune codes whose sheets belong in `db` (`c-X`: X; `p-Y`: Y's communes)."""
        if db.startswith("c-"):
            return frozenset({db[2:]})
        if db.startswith("p-"):
            return self.provinces.get(db[2:], frozenset())
        return frozenset()


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _entry(doc: dict[str, Any]) -> tuple[str, tuple[Any, ...]] | None:
    """The part of a `config` document the directory keeps, or None (ignored doc)."""
    kind = doc.get("type")
    code = doc.get("code")
    name = str(doc.get("name", ""))
    if kind == "commune" and isinstance(code, str):
        return "commune", (code, str(doc.get("province_code", "")), str(doc.get("office_code", "")),
                           name)
    if kind == "office" and isinstance(code, str):
        communes = _list(doc.get("commune_codes"))
        return "office", (code, tuple(c for c in communes if isinstance(c, str)), name)
    if kind == "unit" and isinstance(code, str) and isinstance(doc.get("kind"), str):
        hamlet = doc.get("hamlet_code")
        return "unit", (f"{doc['kind']}:{code}", str(doc.get("commune_code", "")), name,
                        hamlet if isinstance(hamlet, str) else "")
    if kind in ("province", "hamlet") and isinstance(code, str):
        return "name", (f"{kind}:{code}", name)
    if kind == "campaign" and isinstance(doc.get("id"), str):
        periods = _list(doc.get("periods"))
        kinds = _list(doc.get("unit_kinds"))
        year = doc.get("year")
        info = CampaignInfo(
            criteria_version=str(doc.get("criteria_version", "")),
            periods=frozenset(str(p.get("id")) for p in periods if isinstance(p, dict)),
            unit_kinds=frozenset(str(k) for k in kinds),
            year=year if type(year) is int else 0,
            name=name,
            closed=bool(doc.get("closed_at")),
            period_labels=tuple((str(p.get("id")), str(p.get("label", p.get("id"))))
                                for p in periods if isinstance(p, dict)),
        )
        return "campaign", (doc["id"], info)
    return None


def build_directory(entries: dict[str, tuple[str, tuple[Any, ...]]]) -> Directory:
    """A `Directory` from the kept entries of every `config` document."""
    communes: dict[str, tuple[str, str]] = {}
    offices: defaultdict[str, set[str]] = defaultdict(set)
    provinces: defaultdict[str, set[str]] = defaultdict(set)
    units: dict[str, str] = {}
    campaigns: dict[str, CampaignInfo] = {}
    names: dict[str, str] = {}
    unit_hamlets: dict[str, str] = {}
    for kind, value in entries.values():
        if kind == "commune":
            code, province, office, names[f"commune:{code}"] = value
            communes[code] = (province, office)
            provinces[province].add(code)
            offices[office].add(code)
        elif kind == "office":
            offices[value[0]].update(value[1])
            names[f"office:{value[0]}"] = value[2]
        elif kind == "unit":
            units[value[0]] = value[1]
            names[value[0]] = value[2]
            if value[3]:
                unit_hamlets[value[0]] = value[3]
        elif kind == "name":
            names[value[0]] = value[1]
        elif kind == "campaign":
            campaigns[value[0]] = value[1]
    return Directory(
        communes=communes,
        offices={k: frozenset(v) for k, v in offices.items() if k},
        provinces={k: frozenset(v) for k, v in provinces.items() if k},
        units=units,
        campaigns=campaigns,
        names=names,
        unit_hamlets=unit_hamlets,
    )


def change_signal(store: DocumentStore, db: str) -> asyncio.Event | None:
    """An event the store sets after its next commit to `db`, or None when it has none.

    A store may offer `change_signal(db)` (`SqlStore` does: one event per database, set and
    dropped after each commit, what `wait_for_change` waits on).
    """
    offered = getattr(store, "change_signal", None)
    if callable(offered):
        event = offered(db)
        return event if isinstance(event, asyncio.Event) else None
    return None


class Territory:
    """The current `Directory` of a store's `config` database (one per app)."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        recheck: float = RECHECK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.recheck = recheck
        self.clock = clock
        self._seq: Seq = 0
        self._entries: dict[str, tuple[str, tuple[Any, ...]]] = {}
        self._directory = Directory()
        self._lock: asyncio.Lock | None = None
        self._signal: asyncio.Event | None = None  # set by the store when `config` changes
        self._trusted_until = float("-inf")

    def _current(self) -> bool:
        """True while the snapshot cannot be stale (no signal, not past `recheck`)."""
        signal = self._signal
        return signal is not None and not signal.is_set() and self.clock() < self._trusted_until

    async def directory(self) -> Directory:
        """The directory, after reading whatever changed in `config` since the last read
        (no read while it cannot have changed; see the module doc)."""
        if self._current():
            return self._directory
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._current():  # else another caller has just refreshed it
                # Signal first: a commit during the read sets it, and the next call re-reads.
                # Trusted only once read: a caller arriving during the read waits for it
                # (trusting from the start let it take the previous, maybe empty, snapshot).
                self._signal = change_signal(self.store, CONFIG_DB)
                self._trusted_until = float("-inf")
                try:
                    await self._refresh()
                except BaseException:
                    self._signal = None  # not refreshed: the next call tries again
                    raise
                self._trusted_until = self.clock() + self.recheck
            return self._directory

    async def _refresh(self) -> None:
        try:
            page = await self.store.changes(CONFIG_DB, since=self._seq, include_docs=True)
            if not page.results and _before(page.last_seq, self._seq):
                self._seq, self._entries = 0, {}  # `config` was re-created: start over
                page = await self.store.changes(CONFIG_DB, since=0, include_docs=True)
        except NotFound:  # no `config` yet (or it was deleted): an empty directory
            self._seq, self._entries, self._directory = 0, {}, Directory()
            return
        if page.results:
            for row in page.results:
                entry = None if row.deleted or row.doc is None else _entry(row.doc)
                if entry is None:
                    self._entries.pop(row.id, None)
                else:
                    self._entries[row.id] = entry
            self._directory = build_directory(self._entries)
        self._seq = page.last_seq


def _before(seq: Seq, other: Seq) -> bool:
    return isinstance(seq, int) and isinstance(other, int) and seq < other
