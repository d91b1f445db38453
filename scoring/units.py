"""The scored units: Savings and Loan Groups, commune associations, hamlet heads, points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Self

import msgspec

from .checks import check_code, check_share
from .document import Coded
from .ids import DIRECT_GROUP_CODE, AssociationType, unit_doc_id, unit_id

__all__ = ["CommuneAssociation", "HamletHead", "SavingsGroup", "ScoredPoint", "Unit"]


class Unit(Coded):
    """A scored unit, stored as `unit:<kind>:<code>` with a `kind` field beside `type`."""

    doc_type: ClassVar[str] = "unit"
    kind: ClassVar[str] = ""
    commune_code: str

    @property
    def unit_id(self) -> str:
        return unit_id(self.kind, self.code)

    def doc_id(self) -> str:
        return unit_doc_id(self.kind, self.code)

    def to_doc(self) -> dict[str, Any]:
        return {**super().to_doc(), "kind": self.kind}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        if doc.get("kind") != cls.kind:
            raise msgspec.ValidationError(f"Expected unit kind {cls.kind!r}, got {doc.get('kind')!r}")
        return super().from_doc({k: v for k, v in doc.items() if k != "kind"})


class SavingsGroup(Unit):
    """Tổ tiết kiệm và vay vốn; links to exactly one hamlet, association, ĐGD and PGD."""

    kind: ClassVar[str] = "savings_group"
    leader_name: str
    hamlet_code: str
    association: AssociationType
    point_code: str
    office_code: str
    members: int
    months_operating: int
    fraud: bool = False
    under_inspection: bool = False
    women_share: Decimal | None = None  # share of women members, where known (NĐ 152 Art. 4(6))

    def __post_init__(self) -> None:
        check_code(self.code, "group")
        if self.code == DIRECT_GROUP_CODE:
            raise ValueError(f"mã Tổ {DIRECT_GROUP_CODE} là cho vay trực tiếp, không phải Tổ TK&VV")
        check_share(self.women_share, f"Tổ {self.code}")
        check_code(self.office_code, "office")
        if not 1 <= self.members <= 60:
            raise ValueError(f"Tổ {self.code}: số tổ viên {self.members} ngoài 1..60")
        if self.months_operating < 0:
            raise ValueError(f"Tổ {self.code}: số tháng hoạt động âm")


class CommuneAssociation(Unit):
    """A commune-level association receiving entrustment; code `<commune>-<type>`."""

    kind: ClassVar[str] = "association_commune"
    association: AssociationType
    chair_name: str
    women_share: Decimal | None = None

    def __post_init__(self) -> None:
        check_share(self.women_share, f"Hội {self.code}")
        if self.code != f"{self.commune_code}-{self.association}":
            raise ValueError(f"mã Hội {self.code!r} phải là <mã xã>-<loại Hội>")


class HamletHead(Unit):
    """Trưởng ấp / khu vực, scored per hamlet; code = hamlet code."""

    kind: ClassVar[str] = "hamlet_head"
    hamlet_code: str
    person_name: str
    female: bool | None = None  # where known (NĐ 152 Art. 4(6): a woman is preferred on a tie)

    def __post_init__(self) -> None:
        if self.code != self.hamlet_code:
            raise ValueError(f"mã Trưởng ấp {self.code!r} phải trùng mã ấp {self.hamlet_code!r}")


class ScoredPoint(Unit):
    """A transaction point as a scored unit (directory entry; the point itself is `point:`)."""

    kind: ClassVar[str] = "transaction_point"
    office_code: str
