"""The public pages' data from locked results: collectives only, named by collective names.

Shown kinds: savings groups, commune associations, transaction points, and hamlets (the
hamlet head's result, shown under the hamlet's name). Names come from the directory's
collective names only (`Directory.names` never holds a person); a savings group is named
by its code and hamlet, so a group name that carries its leader's name is never shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

import msgspec
from sqlalchemy import Engine, func, select

from reports.public import Breakdown, IndexPage, KindBlock, PublicUnit, ScopeLink, ScopePage
from server.consolidated.labels import kind_classes
from server.consolidated.query import Filters, summary
from server.consolidated.ranks import rank_rows
from server.results.packed import unpack_criteria
from server.results.tables import ResultBreakdown, SheetResult
from server.territory import Directory

__all__ = ["PUBLIC_KINDS", "index_page", "public_name", "scope_page", "version"]

#: Kind -> its label on the public pages (collectives only; never `staff`).
PUBLIC_KINDS = {"savings_group": "Tổ Tiết kiệm và vay vốn", "association_commune":
                "Hội đoàn thể nhận ủy thác cấp xã", "transaction_point": "Điểm giao dịch xã",
                "hamlet_head": "Ấp, khu phố"}
_T = SheetResult.__table__  # type: ignore[attr-defined]
_B = ResultBreakdown.__table__  # type: ignore[attr-defined]


def version(engine: Engine, campaign: str) -> tuple[int, str]:
    """(locked results, latest scoring time): changes whenever a public page may change."""
    query = select(func.count(), func.max(_T.c.scored_at)).where(
        _T.c.campaign == campaign, _T.c.sheet_status == "locked")
    with engine.connect() as conn:
        n, latest = conn.execute(query).one()
    return int(n), str(latest)


def public_name(directory: Directory, unit: str) -> str:
    kind, code = unit.split(":", 1)
    hamlet = directory.unit_hamlets.get(unit, "")
    hamlet_name = directory.names.get(f"hamlet:{hamlet}", hamlet)
    if kind == "hamlet_head":
        return hamlet_name or code
    if kind == "savings_group":
        return f"Tổ TK&VV mã {code}" + (f", {hamlet_name}" if hamlet_name else "")
    return directory.names.get(unit, code)


def _classes(directory: Directory, campaign: str, kind: str,
             counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    labels = kind_classes(directory.campaigns[campaign].criteria_version, kind)
    return tuple((label, counts.get(label, 0)) for label in labels)


def _filters(campaign: str, period: str | None, province: str | None = None) -> Filters:
    return Filters(campaign=campaign, period=period, province=province, locked_only=True)


def index_page(engine: Engine, directory: Directory, campaign: str, period: str | None,
               province: str | None, updated: str) -> IndexPage:
    f = _filters(campaign, period, province=province)
    offices = summary(engine, directory, "pgd", f).rows
    communes = summary(engine, directory, "commune", f).rows
    blocks = []
    for kind, label in PUBLIC_KINDS.items():
        counts: dict[str, int] = defaultdict(int)
        units = 0
        for row in offices:
            if row.unit_kind == kind:
                units += row.units
                for c, n in row.classes.items():
                    counts[c] += n
        if units:
            blocks.append(KindBlock(kind, label, (), _classes(directory, campaign, kind, counts),
                                    units))

    def links(rows: list, prefix: str) -> tuple[ScopeLink, ...]:  # type: ignore[type-arg]
        acc: dict[str, list[int]] = {}
        classes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in rows:
            if r.unit_kind in PUBLIC_KINDS:
                slot = acc.setdefault(r.code, [0, 0])
                slot[0] += r.locked
                slot[1] += r.units
                for c, n in r.classes.items():
                    classes[r.code][c] += n
        out = []
        for code, (locked, total) in sorted(acc.items(), key=lambda kv: directory.names.get(
                f"{prefix}:{kv[0]}", kv[0])):
            parent = ""
            if prefix == "commune":
                office = directory.communes.get(code, ("", ""))[1]
                parent = directory.names.get(f"office:{office}", office)
            out.append(ScopeLink(f"/public/rankings/{prefix}s/{code}",
                                 directory.names.get(f"{prefix}:{code}", code), parent, locked,
                                 total, tuple(sorted(classes[code].items()))))
        return tuple(out)

    info = directory.campaigns[campaign]
    where = directory.names.get(f"province:{province}", province) if province else "Toàn quốc"
    return IndexPage(info.name or campaign, where, updated, links(offices, "office"),
                     links(communes, "commune"), tuple(blocks))


def _breakdowns(engine: Engine, ids: Collection[str]) -> dict[str, list[Breakdown]]:
    found: dict[str, list[Breakdown]] = {}
    id_list = list(ids)
    with engine.connect() as conn:
        for start in range(0, len(id_list), 500):
            query = select(_B.c.result_id, _B.c.packed_criteria).where(
                _B.c.result_id.in_(id_list[start:start + 500]))
            for rid, packed in conn.execute(query):
                found[rid] = [Breakdown(c.label_vi, c.points, c.max_points)
                              for c in unpack_criteria(packed)]
    return found


def scope_page(engine: Engine, directory: Directory, campaign: str, period: str | None,
               scope: str, code: str, updated: str) -> ScopePage | None:
    """A commune's (`scope="commune"`) or office's (`"office"`) page; None: unknown place."""
    prefix, scope_type = ("commune", "commune") if scope == "commune" else ("office", "pgd")
    if f"{prefix}:{code}" not in directory.names:
        return None
    totals: dict[str, int] = defaultdict(int)
    members = ({code} if scope == "commune" else directory.offices.get(code, frozenset()))
    for unit, commune in directory.units.items():
        if commune in members:
            totals[unit.split(":", 1)[0]] += 1
    blocks = []
    for kind, label in PUBLIC_KINDS.items():
        f = msgspec.structs.replace(_filters(campaign, period), unit_kind=kind)
        ranked = list(rank_rows(engine, directory, f, scope_type, code))
        details = _breakdowns(engine, [r.row.result_id for r in ranked])
        counts: dict[str, int] = defaultdict(int)
        units = []
        for r in ranked:
            counts[r.row.classification] += 1
            commune = "" if scope == "commune" else directory.names.get(
                f"commune:{r.row.commune_code}", r.row.commune_code)
            units.append(PublicUnit(
                code=r.row.unit.split(":", 1)[1], name=public_name(directory, r.row.unit),
                rank=r.rank, total=r.row.total, classification=r.row.classification,
                day=f"{r.row.scored_at:%d/%m/%Y}", criteria=r.row.criteria_version,
                breakdown=tuple(details.get(r.row.result_id, ())), commune=commune,
                note="" if r.rank is not None else "không xếp hạng (thuộc diện loại trừ)"))
        if totals.get(kind) or units:
            blocks.append(KindBlock(kind, label, tuple(units),
                                    _classes(directory, campaign, kind, counts),
                                    totals.get(kind, len(units))))
    parent = ""
    if scope == "commune":
        office = directory.communes.get(code, ("", ""))[1]
        parent = directory.names.get(f"office:{office}", office)
    return ScopePage(directory.campaigns[campaign].name or campaign,
                     "Xã, phường" if scope == "commune" else "Phòng giao dịch",
                     directory.names[f"{prefix}:{code}"], parent, updated, tuple(blocks))
