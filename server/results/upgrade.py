"""Upgrading the results tables of a data folder made by an older version (in the schema
step of `install_result_tables`: one transaction, under the schema lock on PostgreSQL).

* `result_criterion` (a row per criterion) becomes `result_breakdown` (a row per result, its
  criteria packed): every row is moved, in position order, then the old table is dropped.
* The single-column indexes on campaign, period, unit kind, criteria version and scoring
  time are dropped (`tables.SheetResult` says why).
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from .packed import PackedCriterion, pack_criteria

__all__ = ["DROPPED_INDEXES", "upgrade_result_tables"]

DROPPED_INDEXES = tuple(f"ix_result_sheet_{column}" for column in (
    "campaign", "period", "unit_kind", "criteria_version", "scored_at"))
_BATCH = 2000


def upgrade_result_tables(conn: Connection) -> None:
    if inspect(conn).has_table("result_criterion"):
        _move_criteria(conn)
    for name in DROPPED_INDEXES:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def _move_criteria(conn: Connection) -> None:
    rows = conn.execute(text(
        "SELECT result_id, criterion_id, label_vi, points, max_points, source, explanation "
        "FROM result_criterion ORDER BY result_id, position"))
    insert = text("INSERT INTO result_breakdown (result_id, packed_criteria) "
                  "VALUES (:result_id, :packed_criteria)")
    batch: list[dict[str, str]] = []
    current: str | None = None
    criteria: list[PackedCriterion] = []

    def close() -> None:
        if current is not None:
            batch.append({"result_id": current,
                          "packed_criteria": pack_criteria(criteria)})

    for result_id, *criterion in rows:
        if result_id != current:
            close()
            current, criteria = result_id, []
            if len(batch) >= _BATCH:
                conn.execute(insert, batch)
                batch = []
        criteria.append(PackedCriterion(*criterion))
    close()
    if batch:
        conn.execute(insert, batch)
    conn.execute(text("DROP TABLE result_criterion"))
