"""Bridge from the stored documents (``scoring.units``, ``scoring.sheet``) to the engine inputs.

The engine only knows input names, manual entries, flags and scopes; this module maps a
unit and its sheet onto them: the exclusion flags of the 2026 set and the ranking scopes
(commune, transaction office, province).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoring.campaign import Period
from scoring.exclusion import AwardExclusion
from scoring.incremental import SheetInput
from scoring.periods import BANK_CLASS_INPUT, sheet_months
from scoring.places import Commune
from scoring.sheet import ScoreSheet
from scoring.units import Unit

__all__ = ["EXCLUSION_FLAG", "FLAG_FIELDS", "sheet_input", "unit_flags", "unit_scopes"]

#: The flag a reviewer's exclusion (`scoring.exclusion.AwardExclusion`) sets for the criteria set.
EXCLUSION_FLAG = "loai_tru_xet_khen"

#: Unit attribute -> exclusion/award flag name used by the criteria set (``nu``, ``ty_le_nu``:
#: NĐ 152/2025 Art. 4(6) tie rule; attributes that are None, i.e. unknown, are left out).
FLAG_FIELDS = {"months_operating": "thang_hoat_dong", "fraud": "vi_pham", "under_inspection": "dang_thanh_tra",
               "female": "nu", "women_share": "ty_le_nu"}


def unit_flags(unit: Unit, extra: dict[str, Any] | None = None,
               exclusion: AwardExclusion | None = None) -> dict[str, Any]:
    """Exclusion/award flags of ``unit`` (attributes it lacks are left out) plus ``extra``;
    an active reviewer ``exclusion`` sets ``loai_tru_xet_khen`` (NĐ 152/2025 Art. 4(4))."""
    flags = {flag: v for attr, flag in FLAG_FIELDS.items() if (v := getattr(unit, attr, None)) is not None}
    if exclusion is not None and exclusion.active:
        flags[EXCLUSION_FLAG] = True
    return {**flags, **(extra or {})}


def unit_scopes(unit: Unit, commune: Commune) -> dict[str, str]:
    """Ranking scopes: the unit's commune, its PGD (own or the commune's) and province."""
    office = getattr(unit, "office_code", None) or commune.office_code
    return {"commune": unit.commune_code, "pgd": office, "province": commune.province_code}


def sheet_input(sheet: ScoreSheet, unit: Unit, commune: Commune, extra_flags: dict[str, Any] | None = None,
                period: Period | None = None) -> SheetInput:
    """The engine's view of one score sheet. With the campaign ``period``, its month rule
    picks the bank figures (`scoring.periods`): one month, or several for a mean."""
    months = sheet_months(sheet, period) if period is not None else {}
    inputs: Mapping[str, Any] = sheet.inputs
    month = sheet.bank_month
    if len(months) == 1:
        ((month, inputs),) = months.items()
    elif not months and sheet.bank_class is not None:
        inputs = {**sheet.inputs, BANK_CLASS_INPUT: sheet.bank_class}
    return SheetInput(
        unit=sheet.unit_id, kind=sheet.unit_kind, scopes=unit_scopes(unit, commune),
        inputs=inputs, manual=sheet.manual, flags=unit_flags(unit, extra_flags),
        month=month if len(months) <= 1 else None, monthly=months if len(months) > 1 else {},
    )
