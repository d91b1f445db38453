"""The basis of a Bằng khen (an award's ``requires_any_flag``): flags carried from the locked
results of earlier campaigns (`scoring.awards.carried_flags`, e.g. Xuất sắc the year before)
and flags a reviewer sets with a reason (e.g. an outstanding achievement, "thành tích đột
xuất"), stored append-only in `award_flag` and audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scoring import CriteriaSet
from scoring.awards import carried_flags
from server.audit import account_change
from server.results import list_results

from .errors import AwardError
from .tables import AwardFlag

__all__ = ["FLAG_LABELS", "Basis", "basis_flags", "load_basis", "set_flag", "with_basis"]

#: Vietnamese names of the basis flags of the shipped criteria (others show their id).
FLAG_LABELS = {"xuat_sac_nam_truoc": "Xuất sắc năm trước",
               "thanh_tich_dot_xuat": "Thành tích đột xuất"}


class Basis(msgspec.Struct, frozen=True):
    """Every unit's basis flags (flag -> where it comes from, in Vietnamese)."""

    by_unit: Mapping[str, Mapping[str, str]]

    def flags(self, unit: str) -> dict[str, bool]:
        return dict.fromkeys(self.by_unit.get(unit, {}), True)

    def label(self, unit: str, only: Collection[str] | None = None) -> str:
        """"Xuất sắc năm trước (kết quả đã khóa của …); ..." or "" (``only`` these flags)."""
        return "; ".join(f"{FLAG_LABELS.get(f, f)} ({why})"
                         for f, why in self.by_unit.get(unit, {}).items()
                         if only is None or f in only)


def basis_flags(cset: CriteriaSet) -> tuple[str, ...]:
    """The flags some award requires, except thematic ones (NĐ 152/2025 Art. 4(3))."""
    rule = cset.award_principles.thematic_not_basis
    thematic = set(rule.thematic_flags) if rule is not None and rule.enabled else set()
    return tuple(dict.fromkeys(f for a in cset.awards for f in a.requires_any_flag
                               if f not in thematic))


def _reviewer_flags(engine: Engine, campaign: str) -> dict[tuple[str, str], AwardFlag]:
    with Session(engine) as session:
        rows = session.exec(select(AwardFlag).where(AwardFlag.campaign == campaign)
                            .order_by(col(AwardFlag.id)))
        latest = {(r.unit, r.flag): r for r in rows}
        session.expunge_all()
    return latest


def load_basis(engine: Engine, cset: CriteriaSet, campaign: str,
               earlier: Sequence[tuple[str, str, str]]) -> Basis:
    """The basis of ``campaign``: ``earlier`` = (campaign id, period, its name) of the earlier
    campaigns, the latest first; their locked classes feed `carried_flags`."""
    history = [{r.unit: r.classification for r in list_results(engine, campaign=c, period=p)
                if r.sheet_status == "locked"} for c, p, _ in earlier]
    found: dict[str, dict[str, str]] = {}
    for unit, flags in carried_flags(cset, history).items():
        for flag in flags:
            years = next((a.carried_flags[flag].years for a in cset.awards
                          if flag in a.carried_flags), 1)
            names = ", ".join(n for _, _, n in earlier[:years])
            found.setdefault(unit, {})[flag] = f"kết quả đã khóa của {names}"
    for (unit, flag), row in _reviewer_flags(engine, campaign).items():
        if row.active:
            found.setdefault(unit, {})[flag] = f"{row.user} ghi: {row.reason}"
        else:
            found.get(unit, {}).pop(flag, None)
    return Basis({u: f for u, f in found.items() if f})


def set_flag(engine: Engine, cset: CriteriaSet, *, campaign: str, period: str, unit: str,
             flag: str, active: bool, reason: str, user: str) -> None:
    """A reviewer sets or clears a basis flag of ``unit`` (audited).

    :raises AwardError: unknown flag or unit, no reason."""
    allowed = basis_flags(cset)
    if flag not in allowed:
        names = ", ".join(FLAG_LABELS.get(f, f) for f in allowed)
        raise AwardError(f"Căn cứ {flag!r} không dùng được (chỉ: {names})")
    if not reason.strip():
        raise AwardError("Cần ghi lý do (văn bản, thành tích cụ thể)")
    if not any(r.unit == unit for r in list_results(engine, campaign=campaign, period=period)):
        raise AwardError(f"Không có kết quả chấm điểm của đơn vị {unit}")
    with Session(engine) as session, session.begin():
        session.add(AwardFlag(campaign=campaign, unit=unit, flag=flag, active=active,
                              reason=reason.strip(), user=user, at=datetime.now(UTC)))
        row = account_change("award.basis" if active else "award.basis.clear", unit[:64],
                             f"{flag}: {reason.strip()}")
        row.reason = reason.strip()
        session.add(row)


def with_basis(flags: Mapping[str, Mapping[str, Any]] | None, basis: Basis,
               units: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Directory flags of ``units`` with their basis flags over them."""
    known = flags or {}
    return {u: {**known.get(u, {}), **basis.flags(u)} for u in units}
