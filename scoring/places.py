"""The territory (province, commune, hamlet) and the bank's units (branch, office, point)."""

from __future__ import annotations

from typing import ClassVar, Literal

from .checks import check_code
from .document import Coded
from .ids import CommuneKind

__all__ = ["Branch", "Commune", "Hamlet", "Province", "TransactionOffice", "TransactionPoint"]


# -- territory --------------------------------------------------------------------------


class Province(Coded):
    doc_type: ClassVar[str] = "province"
    kind: Literal["tinh", "thanh_pho"] = "tinh"

    def __post_init__(self) -> None:
        check_code(self.code, "province")


class Commune(Coded):
    """Xã, phường or đặc khu; `old_district_*` keep the pre-2025 district as history."""

    doc_type: ClassVar[str] = "commune"
    kind: CommuneKind
    province_code: str
    office_code: str
    old_district_code: str | None = None
    old_district_name: str | None = None

    def __post_init__(self) -> None:
        check_code(self.code, "commune")
        check_code(self.office_code, "office")


class Hamlet(Coded):
    """Ấp, thôn, khu vực or khu phố: a residential community, not an administrative level."""

    doc_type: ClassVar[str] = "hamlet"
    commune_code: str


# -- bank units -------------------------------------------------------------------------


class Branch(Coded):
    doc_type: ClassVar[str] = "branch"
    province_code: str

    def __post_init__(self) -> None:
        check_code(self.code, "office")


class TransactionOffice(Coded):
    """Phòng giao dịch (PGD): seated in one commune, covering several."""

    doc_type: ClassVar[str] = "office"
    branch_code: str
    seat_commune_code: str
    commune_codes: tuple[str, ...]

    def __post_init__(self) -> None:
        check_code(self.code, "office")
        if self.seat_commune_code not in self.commune_codes:
            raise ValueError(f"PGD {self.code}: xã đặt trụ sở không thuộc địa bàn phụ trách")


class TransactionPoint(Coded):
    """Điểm giao dịch xã (ĐGD): one office, one commune, a set of hamlets; also scored.

    Hamlet <-> point is many-to-many: a hamlet may be served by several points (each group by
    exactly one, `SavingsGroup.point_code`)."""

    doc_type: ClassVar[str] = "point"
    office_code: str
    commune_code: str
    hamlet_codes: tuple[str, ...]
    schedule_day: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.schedule_day <= 28:
            raise ValueError(f"ĐGD {self.code}: ngày giao dịch {self.schedule_day} ngoài 1..28")
        if not self.hamlet_codes:
            raise ValueError(f"ĐGD {self.code}: chưa có ấp nào được phục vụ")
