"""Bridge from the document model (``scoring.model``) to the generic engine inputs.

The engine only knows input names, manual entries, flags and scopes; this module maps a
unit and its sheet onto them: the exclusion flags of the 2026 set and the ranking scopes
(commune, transaction office, province).
"""

from __future__ import annotations

from typing import Any

from scoring.incremental import SheetInput
from scoring.model import Commune, ScoreSheet, Unit

__all__ = ["FLAG_FIELDS", "sheet_input", "unit_flags", "unit_scopes"]

#: Unit attribute -> exclusion flag name used by the criteria set.
FLAG_FIELDS = {"months_operating": "thang_hoat_dong", "fraud": "vi_pham", "under_inspection": "dang_thanh_tra"}


def unit_flags(unit: Unit, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Exclusion/award flags of ``unit`` (attributes it lacks are left out) plus ``extra``."""
    flags = {flag: getattr(unit, attr) for attr, flag in FLAG_FIELDS.items() if hasattr(unit, attr)}
    return {**flags, **(extra or {})}


def unit_scopes(unit: Unit, commune: Commune) -> dict[str, str]:
    """Ranking scopes: the unit's commune, its PGD (own or the commune's) and province."""
    office = getattr(unit, "office_code", None) or commune.office_code
    return {"commune": unit.commune_code, "pgd": office, "province": commune.province_code}


def sheet_input(sheet: ScoreSheet, unit: Unit, commune: Commune, extra_flags: dict[str, Any] | None = None) -> SheetInput:
    """The engine's view of one score sheet."""
    return SheetInput(
        unit=sheet.unit_id, kind=sheet.unit_kind, scopes=unit_scopes(unit, commune),
        inputs=sheet.inputs, manual=sheet.manual, flags=unit_flags(unit, extra_flags),
    )
