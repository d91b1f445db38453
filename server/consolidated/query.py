"""Summaries by level and filtered, sorted, paged unit tables over `result_sheet`.

Levels: province -> transaction office (`pgd`) -> commune -> hamlet. Counts of scored and
locked units come from SQL (one GROUP BY); the number of units to score comes from the
directory; hamlet level groups a commune's results by each unit's hamlet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.sql import ColumnElement

from server.results.tables import SheetResult
from server.territory import Directory

__all__ = [
    "LEVELS",
    "SORTS",
    "Filters",
    "Level",
    "Summary",
    "SummaryRow",
    "UnitPage",
    "UnitRow",
    "count_rows",
    "summary",
    "unit_page",
    "unit_rows",
]

Level = Literal["province", "pgd", "commune", "hamlet"]
LEVELS: tuple[Level, ...] = ("province", "pgd", "commune", "hamlet")
_T = SheetResult.__table__  # type: ignore[attr-defined]
_LEVEL_COLUMN = {"province": _T.c.province_code, "pgd": _T.c.office_code,
                 "commune": _T.c.commune_code}
#: sort key -> ORDER BY (ties broken by unit id, so pages are stable)
SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "rank": (_T.c.rank_key.desc(), _T.c.unit),
    "-total": (_T.c.total.desc(), _T.c.unit),
    "total": (_T.c.total, _T.c.unit),
    "unit": (_T.c.unit,),
    "-unit": (_T.c.unit.desc(),),
    "classification": (_T.c.classification, _T.c.unit),
    "scored_at": (_T.c.scored_at, _T.c.unit),
    "-scored_at": (_T.c.scored_at.desc(), _T.c.unit),
}


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """What a table or summary shows; `communes` None: no territory restriction."""

    campaign: str
    period: str | None = None
    unit_kind: str | None = None
    province: str | None = None
    office: str | None = None
    commune: str | None = None
    hamlet: str | None = None
    classification: str | None = None
    status: str | None = None
    needs_review: bool | None = None
    locked_only: bool = False
    communes: frozenset[str] | None = None


def _where(f: Filters, directory: Directory | None = None) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = [_T.c.campaign == f.campaign]
    pairs = ((f.period, _T.c.period), (f.unit_kind, _T.c.unit_kind),
             (f.province, _T.c.province_code), (f.office, _T.c.office_code),
             (f.commune, _T.c.commune_code), (f.classification, _T.c.classification),
             (f.status, _T.c.sheet_status))
    cond += [column == value for value, column in pairs if value is not None]
    if f.locked_only:
        cond.append(_T.c.sheet_status == "locked")
    if f.needs_review is not None:
        cond.append(_T.c.needs_review == f.needs_review)
    if f.communes is not None:
        cond.append(_T.c.commune_code.in_(sorted(f.communes)))
    if f.hamlet is not None:
        units = [u for u, h in (directory.unit_hamlets if directory else {}).items()
                 if h == f.hamlet]
        cond.append(_T.c.unit.in_(units))
    return cond


class SummaryRow(msgspec.Struct, frozen=True, kw_only=True):
    """One place (or the whole selection) for one unit kind; points in tenths."""

    code: str
    name: str
    unit_kind: str
    units: int  # units of this kind to score there (directory)
    scored: int
    locked: int
    points_sum: int
    average: int  # tenths, rounded down
    classes: dict[str, int]


class Summary(msgspec.Struct, frozen=True):
    level: str
    rows: list[SummaryRow]


def _place(directory: Directory, level: Level, unit: str, commune: str) -> str:
    if level == "hamlet":
        return directory.unit_hamlets.get(unit, "")
    province, office = directory.communes.get(commune, ("", ""))
    return {"province": province, "pgd": office, "commune": commune}[level]


def _unit_counts(directory: Directory, level: Level, f: Filters) -> dict[tuple[str, str], int]:
    """(place code, unit kind) -> units in the directory, within the filters' places."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for unit, commune in directory.units.items():
        kind = unit.split(":", 1)[0]
        if f.unit_kind is not None and kind != f.unit_kind:
            continue
        province, office = directory.communes.get(commune, ("", ""))
        if ((f.communes is not None and commune not in f.communes)
                or (f.province is not None and province != f.province)
                or (f.office is not None and office != f.office)
                or (f.commune is not None and commune != f.commune)):
            continue
        counts[(_place(directory, level, unit, commune), kind)] += 1
    return counts


def summary(engine: Engine, directory: Directory, level: Level, f: Filters) -> Summary:
    """Scored/total counts, points and class distribution per place of `level` and kind."""
    if level == "hamlet":
        return _hamlet_summary(engine, directory, f)
    place = _LEVEL_COLUMN[level]
    query = (
        select(place, _T.c.unit_kind, _T.c.classification, func.count(),
               func.sum(_T.c.total), func.sum(case((_T.c.sheet_status == "locked", 1), else_=0)))
        .where(and_(*_where(f))).group_by(place, _T.c.unit_kind, _T.c.classification)
    )
    with engine.connect() as conn:
        found = [(r[0], r[1], r[2], r[3], int(r[4] or 0), int(r[5] or 0))
                 for r in conn.execute(query)]
    return _rows(directory, level, f, found)


def _hamlet_summary(engine: Engine, directory: Directory, f: Filters) -> Summary:
    query = select(_T.c.unit, _T.c.unit_kind, _T.c.classification, _T.c.total,
                   _T.c.sheet_status).where(and_(*_where(f)))
    acc: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    with engine.connect() as conn:
        for unit, kind, klass, total, status in conn.execute(query):
            hamlet = directory.unit_hamlets.get(unit)
            if hamlet is None:
                continue  # associations and points are not scored per hamlet
            slot = acc[(hamlet, kind, klass)]
            slot[0] += 1
            slot[1] += total
            slot[2] += status == "locked"
    found = [(h, k, c, n, s, lk) for (h, k, c), (n, s, lk) in acc.items()]
    return _rows(directory, "hamlet", f, found)


def _rows(directory: Directory, level: Level, f: Filters,
          found: Iterable[tuple[str, str, str, int, int, int]]) -> Summary:
    units = _unit_counts(directory, level, f)
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for code, kind, klass, n, points, locked in found:
        slot = acc.setdefault((code, kind), {"scored": 0, "locked": 0, "points": 0, "classes": {}})
        slot["scored"] += n
        slot["locked"] += locked
        slot["points"] += points
        slot["classes"][klass] = slot["classes"].get(klass, 0) + n
    prefix = {"province": "province", "pgd": "office", "commune": "commune", "hamlet": "hamlet"}
    rows = []
    for key in sorted(set(acc) | {k for k in units if k[0]}):
        code, kind = key
        slot = acc.get(key, {"scored": 0, "locked": 0, "points": 0, "classes": {}})
        rows.append(SummaryRow(
            code=code, name=directory.names.get(f"{prefix[level]}:{code}", code), unit_kind=kind,
            units=max(units.get(key, 0), slot["scored"]), scored=slot["scored"],
            locked=slot["locked"], points_sum=slot["points"],
            average=slot["points"] // slot["scored"] if slot["scored"] else 0,
            classes=dict(sorted(slot["classes"].items())),
        ))
    return Summary(level, rows)


class UnitRow(msgspec.Struct, frozen=True, kw_only=True):
    """One result in a unit table; points in tenths."""

    result_id: str
    unit: str
    name: str
    unit_kind: str
    commune_code: str
    office_code: str
    province_code: str
    period: str
    total: int
    max_total: int
    classification: str
    status: str
    excluded: bool
    needs_review: bool
    criteria_version: str
    scored_at: datetime
    rank_key: str = ""


class UnitPage(msgspec.Struct, frozen=True):
    total: int
    limit: int
    offset: int
    rows: list[UnitRow]


_COLUMNS = (_T.c.id, _T.c.unit, _T.c.unit_kind, _T.c.commune_code, _T.c.office_code,
            _T.c.province_code, _T.c.period, _T.c.total, _T.c.max_total, _T.c.classification,
            _T.c.sheet_status, _T.c.excluded, _T.c.needs_review, _T.c.criteria_version,
            _T.c.scored_at, _T.c.rank_key)


def _unit_row(r: Any, names: dict[str, str]) -> UnitRow:
    return UnitRow(
        result_id=r[0], unit=r[1], name=names.get(r[1], r[1]), unit_kind=r[2],
        commune_code=r[3], office_code=r[4], province_code=r[5], period=r[6], total=r[7],
        max_total=r[8], classification=r[9], status=r[10], excluded=bool(r[11]),
        needs_review=bool(r[12]), criteria_version=r[13], scored_at=r[14], rank_key=r[15])


def unit_rows(engine: Engine, directory: Directory, f: Filters, sort: str = "rank",
              limit: int | None = None, offset: int = 0,
              units: Collection[str] | None = None) -> Iterable[UnitRow]:
    """The rows of `f` in `sort` order (streamed; all of them when `limit` is None)."""
    cond = _where(f, directory)
    if units is not None:
        cond.append(_T.c.unit.in_(list(units)))
    query = select(*_COLUMNS).where(and_(*cond)).order_by(*SORTS[sort]).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=5000).execute(query)
        for r in result:
            yield _unit_row(r, directory.names)


def count_rows(engine: Engine, directory: Directory, f: Filters) -> int:
    """How many results match `f`."""
    query = select(func.count()).select_from(_T).where(and_(*_where(f, directory)))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def unit_page(engine: Engine, directory: Directory, f: Filters, *, sort: str = "rank",
              limit: int = 50, offset: int = 0) -> UnitPage:
    """One page of the table and the number of matching rows."""
    total = count_rows(engine, directory, f)
    rows = list(unit_rows(engine, directory, f, sort, limit, offset))
    return UnitPage(total, limit, offset, rows)
