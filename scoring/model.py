"""Domain model: territory, bank units, scored units, campaigns and score sheets.

Every document that lives in the store is a msgspec Struct with `to_doc()` / `from_doc()`
(CouchDB JSON with `_id` and a `type` field). Directory documents (territory, bank units,
scored units, campaigns) live in the `config` database; score sheets live in the commune
database `c-<commune code>`.

Numbers on the wire: money (VND) and counts are `int`; ratios and points are `Decimal`,
encoded as strings. Floats are refused so that no amount ever drifts.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, Self

import msgspec

__all__ = [
    "ASSOCIATION_TYPES", "CONFIG_DB", "DIRECT_ASSOCIATION_CODE", "DIRECT_GROUP_CODE", "UNIT_KINDS",
    "AssociationType", "AwardExclusion", "Branch", "Campaign", "Commune", "CommuneAssociation",
    "CommuneKind", "Document", "ExclusionChange", "Hamlet", "HamletHead", "InputValue",
    "ManualEntry", "MonthFigures", "MonthRule", "Period", "Province", "SavingsGroup", "ScoreSheet",
    "ScoredPoint", "SheetStatus", "TransactionOffice", "TransactionPoint", "Unit", "UnitKind",
    "commune_db", "decode_doc", "province_db", "sheet_doc_id", "unit_doc_id", "unit_id",
]

CONFIG_DB = "config"

CommuneKind = Literal["xa", "phuong", "dac_khu"]
AssociationType = Literal["PN", "ND", "CCB", "TN"]
UnitKind = Literal["savings_group", "association_commune", "hamlet_head", "transaction_point", "staff"]
SheetStatus = Literal["draft", "submitted", "reviewed", "locked"]
InputValue = int | Decimal

UNIT_KINDS: tuple[str, ...] = (
    "savings_group", "association_commune", "hamlet_head", "transaction_point", "staff")
ASSOCIATION_TYPES: dict[str, str] = {
    "PN": "Hội Liên hiệp Phụ nữ", "ND": "Hội Nông dân", "CCB": "Hội Cựu chiến binh",
    "TN": "Đoàn Thanh niên"}
#: Direct loans made outside any group: association code 99, group code 0000000 (vbsp-notes
#: Corrections §6). They are never a Savings and Loan Group and never scored as one.
DIRECT_GROUP_CODE = "0000000"
DIRECT_ASSOCIATION_CODE = "99"
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DIGITS = {"province": (2, 2), "commune": (5, 6), "office": (6, 6), "group": (7, 7)}


def _check_code(value: str, what: str) -> None:
    low, high = _DIGITS[what]
    if not (value.isascii() and value.isdigit() and low <= len(value) <= high):
        size = f"{low}" if low == high else f"{low}-{high}"
        raise ValueError(f"mã {what} {value!r} phải gồm {size} chữ số")


def unit_id(kind: str, code: str) -> str:
    """`<kind>:<code>`, the key of a scored unit inside sheets and rankings."""
    return f"{kind}:{code}"


def unit_doc_id(kind: str, code: str) -> str:
    return f"unit:{kind}:{code}"


def sheet_doc_id(campaign: str, unit: str, period: str) -> str:
    """`sheet:<campaign>:<unit id>:<period>`; `unit` is a `unit_id()`."""
    return f"sheet:{campaign}:{unit}:{period}"


def commune_db(commune_code: str) -> str:
    return f"c-{commune_code}"


def province_db(province_code: str) -> str:
    return f"p-{province_code}"


_RESERVED = ("_id", "_rev", "type")


class Document(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every stored document: `doc_type`, and `_id` = `<doc_type>:<code>` by default."""

    doc_type: ClassVar[str] = ""

    def doc_id(self) -> str:
        return f"{self.doc_type}:{getattr(self, 'code')}"  # noqa: B009

    def to_doc(self) -> dict[str, Any]:
        """The CouchDB JSON body: `_id`, `type`, then the fields (no floats, Decimal as str)."""
        body = msgspec.to_builtins(self)
        return {"_id": self.doc_id(), "type": self.doc_type, **body}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        """Validate a stored body. :raises msgspec.ValidationError: wrong type, field or value."""
        if doc.get("type") != cls.doc_type:
            raise msgspec.ValidationError(
                f"Expected a document of type {cls.doc_type!r}, got {doc.get('type')!r}"
            )
        fields = {k: v for k, v in doc.items() if k not in _RESERVED and not k.startswith("_")}
        _refuse_floats(fields, "$")
        obj = msgspec.convert(fields, cls)
        if "_id" in doc and doc["_id"] != obj.doc_id():
            raise msgspec.ValidationError(f"_id {doc['_id']!r} does not match {obj.doc_id()!r}")
        return obj

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        """Decode a JSON body (as replicated from a device) and validate it."""
        return cls.from_doc(msgspec.json.decode(data))


def _has_float(value: object) -> bool:
    """Whether a float is anywhere in `value` (the fast check; paths only on a hit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            return True
        if kind is dict:
            stack.extend(item.values())  # type: ignore[attr-defined]
        elif kind is list:
            stack.extend(item)  # type: ignore[arg-type]
        elif isinstance(item, float | dict | list):  # subclasses: the full walk decides
            return True
    return False


def _refuse_floats(value: object, path: str) -> None:
    if not _has_float(value):
        return
    _name_float(value, path)


def _name_float(value: object, path: str) -> None:
    if isinstance(value, float):
        raise msgspec.ValidationError(
            f"Số thực không được phép (dùng số nguyên hoặc chuỗi thập phân) - at `{path}`"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _name_float(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _name_float(item, f"{path}[{index}]")


# -- territory --------------------------------------------------------------------------


class Province(Document):
    doc_type: ClassVar[str] = "province"
    code: str
    name: str
    kind: Literal["tinh", "thanh_pho"] = "tinh"

    def __post_init__(self) -> None:
        _check_code(self.code, "province")


class Commune(Document):
    """Xã, phường or đặc khu; `old_district_*` keep the pre-2025 district as history."""

    doc_type: ClassVar[str] = "commune"
    code: str
    name: str
    kind: CommuneKind
    province_code: str
    office_code: str
    old_district_code: str | None = None
    old_district_name: str | None = None

    def __post_init__(self) -> None:
        _check_code(self.code, "commune")
        _check_code(self.office_code, "office")


class Hamlet(Document):
    """Ấp, thôn, khu vực or khu phố: a residential community, not an administrative level."""

    doc_type: ClassVar[str] = "hamlet"
    code: str
    name: str
    commune_code: str


# -- bank units -------------------------------------------------------------------------


class Branch(Document):
    doc_type: ClassVar[str] = "branch"
    code: str
    name: str
    province_code: str

    def __post_init__(self) -> None:
        _check_code(self.code, "office")


class TransactionOffice(Document):
    """Phòng giao dịch (PGD): seated in one commune, covering several."""

    doc_type: ClassVar[str] = "office"
    code: str
    name: str
    branch_code: str
    seat_commune_code: str
    commune_codes: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_code(self.code, "office")
        if self.seat_commune_code not in self.commune_codes:
            raise ValueError(f"PGD {self.code}: xã đặt trụ sở không thuộc địa bàn phụ trách")


class TransactionPoint(Document):
    """Điểm giao dịch xã (ĐGD): one office, one commune, a set of hamlets; also scored.

    Hamlet <-> point is many-to-many: a hamlet may be served by several points (each group by
    exactly one, `SavingsGroup.point_code`)."""

    doc_type: ClassVar[str] = "point"
    code: str
    name: str
    office_code: str
    commune_code: str
    hamlet_codes: tuple[str, ...]
    schedule_day: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.schedule_day <= 28:
            raise ValueError(f"ĐGD {self.code}: ngày giao dịch {self.schedule_day} ngoài 1..28")
        if not self.hamlet_codes:
            raise ValueError(f"ĐGD {self.code}: chưa có ấp nào được phục vụ")


# -- scored units -----------------------------------------------------------------------


class Unit(Document):
    """A scored unit, stored as `unit:<kind>:<code>` with a `kind` field beside `type`."""

    doc_type: ClassVar[str] = "unit"
    kind: ClassVar[str] = ""
    code: str
    name: str
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
        _check_code(self.code, "group")
        if self.code == DIRECT_GROUP_CODE:
            raise ValueError(f"mã Tổ {DIRECT_GROUP_CODE} là cho vay trực tiếp, không phải Tổ TK&VV")
        _check_share(self.women_share, f"Tổ {self.code}")
        _check_code(self.office_code, "office")
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
        _check_share(self.women_share, f"Hội {self.code}")
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


# -- campaigns and sheets ---------------------------------------------------------------


def _check_month(value: str, what: str) -> None:
    if not _MONTH_RE.match(value):
        raise ValueError(f"{what}: tháng {value!r} phải có dạng YYYY-MM")


def _check_share(value: Decimal | None, what: str) -> None:
    if value is not None and not (value.is_finite() and 0 <= value <= 1):
        raise ValueError(f"{what}: tỷ lệ nữ {value} phải từ 0 đến 1")


class MonthRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    """Which monthly bank figures feed a period (VBSP scores groups monthly): `latest` month,
    a given `month`, or the `mean` of months; `months` (YYYY-MM) limits the choice, empty =
    every month of the period."""

    how: Literal["latest", "month", "mean"] = "latest"
    month: str | None = None
    months: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for m in (*self.months, *((self.month,) if self.month else ())):
            _check_month(m, "quy tắc tháng")
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
            _check_month(month, "phiếu chấm")
        for name, value in self.inputs.items():
            if isinstance(value, bool):
                raise ValueError(f"chỉ tiêu {name}: giá trị đúng/sai không phải là số")
            if value < 0 or (isinstance(value, Decimal) and not value.is_finite()):
                raise ValueError(f"chỉ tiêu {name}: giá trị {value} phải là số không âm")

    @property
    def unit_id(self) -> str:
        return unit_id(self.unit_kind, self.unit_code)

    @property
    def db(self) -> str:
        return commune_db(self.commune_code)

    def doc_id(self) -> str:
        return sheet_doc_id(self.campaign, self.unit_id, self.period)


class ExclusionChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """One audited change of an exclusion flag: who, when, set or cleared, and why."""

    by: str
    at: datetime
    active: bool
    reason: str


class AwardExclusion(Document):
    """A reviewer's flag that holds a unit or person out of rewards while a discipline,
    investigation, inspection or complaint is pending (NĐ 152/2025/NĐ-CP Art. 4(4)).
    `subject` is a unit id (`<kind>:<code>`) or `person:<id>`; `history` is append-only."""

    doc_type: ClassVar[str] = "exclusion"
    subject: str
    active: bool
    reason: str
    history: tuple[ExclusionChange, ...] = ()

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError(f"{self.subject}: cần ghi lý do tạm dừng xét khen thưởng")

    def doc_id(self) -> str:
        return f"exclusion:{self.subject}"

    def change(self, *, by: str, at: datetime, active: bool, reason: str) -> AwardExclusion:
        """The flag after a reviewer sets or clears it; the change is added to `history`."""
        entry = ExclusionChange(by=by, at=at, active=active, reason=reason)
        return AwardExclusion(subject=self.subject, active=active, reason=reason,
                              history=(*self.history, entry))


_UNIT_CLASSES: dict[str, type[Unit]] = {
    cls.kind: cls for cls in (SavingsGroup, CommuneAssociation, HamletHead, ScoredPoint)}
_DOC_CLASSES: dict[str, type[Document]] = {cls.doc_type: cls for cls in (
    Province, Commune, Hamlet, Branch, TransactionOffice, TransactionPoint, Campaign, ScoreSheet,
    AwardExclusion)}


def decode_doc(doc: dict[str, Any]) -> Document:
    """The Struct for any stored document, chosen by `type` (and `kind` for units)."""
    doc_type = doc.get("type")
    cls = _UNIT_CLASSES.get(doc.get("kind", "")) if doc_type == "unit" else _DOC_CLASSES.get(
        doc_type or "")
    if cls is None:
        raise msgspec.ValidationError(f"Unknown document type {doc_type!r} (kind {doc.get('kind')!r})")
    return cls.from_doc(doc)
