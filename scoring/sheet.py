"""The score sheet: one unit's raw inputs and manual points for one campaign period."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

import msgspec

from .checks import check_month
from .document import Document
from .ids import InputValue, SheetStatus, UnitKind, commune_db, sheet_doc_id, unit_id

__all__ = ["ManualEntry", "MonthFigures", "ScoreSheet"]


class MonthFigures(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One month's imported bank figures of a sheet (and the bank's class, if exported)."""

    inputs: dict[str, InputValue] = {}
    bank_class: str | None = None


class ManualEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Points a scorer gives one manual criterion, with evidence and the deduction reason."""

    points: Decimal
    evidence: str = ""
    deduction_reason: str = ""

    def __post_init__(self) -> None:
        if self.points < 0 or not self.points.is_finite():
            raise ValueError(f"điểm {self.points} phải là số không âm")


class ScoreSheet(Document):
    """One unit's raw inputs and manual points for one campaign period.

    `bank_month` (YYYY-MM) names the month the bank figures in `inputs` are from and
    `bank_class` the bank's own class for it; `monthly` keeps each imported month's figures
    for periods that use a given month or the mean of months."""

    doc_type: ClassVar[str] = "sheet"
    campaign: str
    period: str
    unit_kind: UnitKind
    unit_code: str
    commune_code: str
    inputs: dict[str, InputValue] = {}
    manual: dict[str, ManualEntry] = {}
    status: SheetStatus = "draft"
    unlock_reason: str = ""  # why the branch unlocked a locked sheet (server.review)
    scorer: str = ""
    device_id: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    bank_month: str | None = None
    bank_class: str | None = None
    monthly: dict[str, MonthFigures] = {}

    def __post_init__(self) -> None:
        for month in (*self.monthly, *((self.bank_month,) if self.bank_month else ())):
            check_month(month, "phiếu chấm")
        for name, value in self.inputs.items():
            if isinstance(value, bool):
                raise ValueError(f"chỉ tiêu {name}: giá trị đúng/sai không phải là số")
            if value < 0 or (isinstance(value, Decimal) and not value.is_finite()):
                raise ValueError(f"chỉ tiêu {name}: giá trị {value} phải là số không âm")

    def may_hold_floats(self) -> bool:
        """Only `Decimal` fields take a JSON number: a manual entry's points, an input or a
        month's input that is not an int."""
        return bool(self.manual or self.monthly) or any(
            type(value) is not int for value in self.inputs.values())

    @property
    def unit_id(self) -> str:
        return unit_id(self.unit_kind, self.unit_code)

    @property
    def db(self) -> str:
        return commune_db(self.commune_code)

    def doc_id(self) -> str:
        return sheet_doc_id(self.campaign, self.unit_id, self.period)
