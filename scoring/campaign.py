"""A campaign (phong trào thi đua) of one year, its periods and their bank-month rules."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

import msgspec

from .checks import check_month
from .document import Document
from .ids import UnitKind

__all__ = ["Campaign", "MonthRule", "Period"]


class MonthRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    """Which monthly bank figures feed a period (VBSP scores groups monthly): `latest` month,
    a given `month`, or the `mean` of months; `months` (YYYY-MM) limits the choice, empty =
    every month of the period."""

    how: Literal["latest", "month", "mean"] = "latest"
    month: str | None = None
    months: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for m in (*self.months, *((self.month,) if self.month else ())):
            check_month(m, "quy tắc tháng")
        if (self.how == "month") != (self.month is not None):
            raise ValueError("quy tắc tháng: `month` đi cùng và chỉ đi cùng how = month")


class Period(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    """A round of a campaign (`2026`, `2026-Q1`, ...); dates are ISO `YYYY-MM-DD`;
    `bank_months` says which months' bank figures feed it."""

    id: str
    label: str
    start: str
    end: str
    bank_months: MonthRule = MonthRule()

    def __post_init__(self) -> None:
        if not self.start <= self.end:
            raise ValueError(f"kỳ {self.id}: ngày bắt đầu sau ngày kết thúc")


class Campaign(Document):
    """An emulation campaign (phong trào thi đua) of one year."""

    doc_type: ClassVar[str] = "campaign"
    id: str
    year: int
    name: str
    periods: tuple[Period, ...]
    criteria_version: str
    unit_kinds: tuple[UnitKind, ...] = ("savings_group", "association_commune", "hamlet_head",
                                        "transaction_point")
    #: A plan of the Kế hoạch 1308 kind is a thematic ("theo chuyên đề") emulation movement:
    #: its rewards are no basis for a higher merit award (NĐ 152/2025/NĐ-CP Art. 4(3)).
    movement: Literal["thematic", "regular"] = "thematic"
    closed_at: datetime | None = None  # set when the branch closes the campaign
    closed_by: str = ""

    def __post_init__(self) -> None:
        ids = [p.id for p in self.periods]
        if not ids or len(set(ids)) != len(ids):
            raise ValueError(f"chiến dịch {self.id}: danh sách kỳ rỗng hoặc trùng")

    def doc_id(self) -> str:
        return f"campaign:{self.id}"
