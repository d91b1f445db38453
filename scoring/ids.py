"""Identifiers: document ids, database names, unit kinds and the fixed codes of the domain."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

__all__ = [
    "ASSOCIATION_TYPES", "CONFIG_DB", "DIRECT_ASSOCIATION_CODE", "DIRECT_GROUP_CODE", "UNIT_KINDS",
    "AssociationType", "CommuneKind", "InputValue", "SheetStatus", "UnitKind",
    "commune_db", "province_db", "sheet_doc_id", "unit_doc_id", "unit_id",
]

#: The database of the directory: campaigns, criteria, territory and units.
CONFIG_DB = "config"

CommuneKind = Literal["xa", "phuong", "dac_khu"]
AssociationType = Literal["PN", "ND", "CCB", "TN"]
UnitKind = Literal["savings_group", "association_commune", "hamlet_head", "transaction_point", "staff"]
SheetStatus = Literal["draft", "submitted", "reviewed", "locked"]
#: A sheet input: money (VND) and counts are `int`; ratios are `Decimal` (strings on the wire).
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
