"""Typed shape of a criteria-set YAML file (decoded with msgspec; cross-field rules live in
``scoring.criteria``). Every Struct forbids unknown fields so a typo fails loudly."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

__all__ = [
    "Award",
    "AwardPrinciples",
    "Band",
    "CarriedFlag",
    "ClassExport",
    "Condition",
    "CriteriaSetFile",
    "Criterion",
    "Deduction",
    "DifferenceRatio",
    "Exclusion",
    "InputDef",
    "Linear",
    "ManualRule",
    "Measure",
    "Movement",
    "Op",
    "Override",
    "OverrideCondition",
    "Part",
    "PerItem",
    "PerScopes",
    "Provenance",
    "Quota",
    "Ratio",
    "Rule",
    "Scale",
    "ScaleBand",
    "ThematicRule",
    "TieRule",
    "UnitKind",
]

Op = Literal[">=", ">", "<=", "<", "=="]
Tag = Literal["S", "R", "Q", "M", "A"]
InputSource = Literal["bank_export", "manual"]


class _Base(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class Provenance(_Base, kw_only=True, frozen=True):
    """Where a rule comes from: confidence tags (see vbsp-notes.md) and a sentence."""

    tags: tuple[Tag, ...]
    text: str


class Ratio(_Base, kw_only=True, frozen=True):
    """measure = num / den. ``if_den_zero``: "skip" (criterion scores 0, shown) or a number
    used as the measure (e.g. "1": nothing fell due counts as fully collected)."""

    num: str
    den: str
    if_den_zero: str = "skip"


class DifferenceRatio(_Base, kw_only=True, frozen=True):
    """measure = (plus - minus) / den, e.g. savings growth (end - start) / target."""

    plus: str
    minus: str
    den: str
    if_den_zero: str = "skip"


class Measure(_Base, kw_only=True, frozen=True):
    """Exactly one of ``ratio``, ``difference_ratio``, ``value`` (an input taken as is)."""

    ratio: Ratio | None = None
    difference_ratio: DifferenceRatio | None = None
    value: str | None = None
    label_vi: str = ""
    display: Literal["percent", "number"] | None = None


class Band(_Base, kw_only=True, frozen=True):
    """Condition ``measure <op> value`` gives ``points``; first matching band wins."""

    op: Op
    value: Decimal
    points: Decimal


class Linear(_Base, kw_only=True, frozen=True):
    """points = max * min(1, measure / full_at), rounded half up to tenths, floor 0."""

    full_at: Decimal = Decimal(1)


class ManualRule(_Base, kw_only=True, frozen=True):
    """Scorer enters 0..max points with evidence; a deduction needs a reason."""

    require_reason_below_max: bool = True


class PerItem(_Base, kw_only=True, frozen=True):
    """points = base + count(input) * points, clamped to 0..max (points may be negative)."""

    input: str
    points: Decimal
    base: Decimal = Decimal(0)


class Deduction(_Base, kw_only=True, frozen=True):
    """After the rule: subtract ``points`` per counted item, floor 0."""

    input: str
    points: Decimal
    label_vi: str = ""


class Condition(_Base, kw_only=True, frozen=True):
    """Gate: unless ``input <op> value`` holds, the rule scores 0."""

    input: str
    op: Op
    value: Decimal


class Rule(_Base, kw_only=True, frozen=True):
    """Exactly one of the rule kinds."""

    bands: tuple[Band, ...] | None = None
    linear: Linear | None = None
    manual: ManualRule | None = None
    sum: tuple[Part, ...] | None = None
    per_item: PerItem | None = None


class Part(_Base, kw_only=True, frozen=True):
    """A scored component of a ``sum`` rule (not itself a sum or manual)."""

    id: str
    label_vi: str
    max_points: Decimal
    measure: Measure | None = None
    rule: Rule
    require: Condition | None = None


class Criterion(_Base, kw_only=True, frozen=True):
    id: str
    label_vi: str
    label_en: str
    max_points: Decimal
    input_source: InputSource
    provenance: Provenance
    measure: Measure | None = None
    rule: Rule
    require: Condition | None = None
    deduct_per_item: Deduction | None = None
    code_export: str | None = None
    note: str = ""


class InputDef(_Base, kw_only=True, frozen=True):
    """A named raw input; ``signed`` inputs may be negative (others must be >= 0)."""

    source: InputSource
    origin: str = ""
    desc: str = ""
    signed: bool = False


class OverrideCondition(_Base, kw_only=True, frozen=True):
    """Holds when criterion ``criterion``'s measure satisfies ``op value``."""

    criterion: str
    op: Op
    value: Decimal


class Override(_Base, kw_only=True, frozen=True):
    """Forces ``force_class`` when any condition holds; optional, so off unless ``enabled``."""

    id: str
    force_class: str
    when_any: tuple[OverrideCondition, ...]
    provenance: Provenance
    enabled: bool = False


class ClassExport(_Base, kw_only=True, frozen=True):
    """The bank's own class arrives in input ``input`` (a label, e.g. "Tốt"); it is used as
    the class when it names a band of the scale (directly or through ``aliases``). A 0 or
    blank value (BC0437 exports hold 0) means the class is recomputed from the points."""

    input: str
    aliases: dict[str, str] = {}
    provenance: Provenance


class UnitKind(_Base, kw_only=True, frozen=True):
    label_vi: str
    label_en: str
    scale: str
    total_max: Decimal
    inputs: dict[str, InputDef]
    criteria: tuple[Criterion, ...]
    overrides: tuple[Override, ...] = ()
    class_export: ClassExport | None = None
    provenance_note: str = ""


class ScaleBand(_Base, kw_only=True, frozen=True):
    label_vi: str
    label_en: str
    min: Decimal


class Scale(_Base, kw_only=True, frozen=True):
    provenance: Provenance
    bands: tuple[ScaleBand, ...]


class Exclusion(_Base, kw_only=True, frozen=True):
    """A unit whose flag satisfies ``op value`` is scored but not ranked for awards."""

    id: str
    flag: str
    op: Op
    value: Decimal
    reason_vi: str
    provenance: Provenance
    article: str = ""


class PerScopes(_Base, kw_only=True, frozen=True):
    """Quota of ``max`` awards per ``per`` distinct ``scope`` units inside the award scope."""

    scope: str
    per: int
    max: int = 1


class Quota(_Base, kw_only=True, frozen=True):
    """Award quota inside each ``scope``: a share of ranked units or a count per sub-scopes."""

    scope: str
    max_share: Decimal | None = None
    per_scopes: PerScopes | None = None


class CarriedFlag(_Base, kw_only=True, frozen=True):
    """A flag a unit earns from its locked results of earlier campaigns: its class was one of
    ``classes`` in each of the last ``years`` campaigns (e.g. Xuất sắc the year before)."""

    classes: tuple[str, ...]
    years: int = 1


class Award(_Base, kw_only=True, frozen=True):
    id: str
    level_vi: str
    level_en: str
    unit_kinds: tuple[str, ...]
    eligible_classes: tuple[str, ...]
    requires_any_flag: tuple[str, ...] = ()
    #: flag of ``requires_any_flag`` -> the earlier results that set it (`scoring.awards`)
    carried_flags: dict[str, CarriedFlag] = {}
    quota: Quota
    provenance: Provenance
    higher_merit: bool = False


class ThematicRule(_Base, kw_only=True, frozen=True):
    """A thematic reward (``thematic_flags``) is no basis for a ``higher_merit`` award."""

    article: str
    thematic_flags: tuple[str, ...]
    enabled: bool = True


class TieRule(_Base, kw_only=True, frozen=True):
    """At the quota line, units tied on rank that are a woman (``female_flag``) or a
    collective with at least ``collective_min_share`` women (``women_share_flag``) go first."""

    article: str
    female_flag: str = "nu"
    women_share_flag: str = "ty_le_nu"
    collective_min_share: Decimal = Decimal("0.7")
    enabled: bool = True


class AwardPrinciples(_Base, kw_only=True, frozen=True):
    """Principles of awarding that bind the proposals (NĐ 152/2025/NĐ-CP Art. 4)."""

    thematic_not_basis: ThematicRule | None = None
    tie_prefers_women: TieRule | None = None


class Movement(_Base, kw_only=True, frozen=True):
    """The emulation movement the set scores: ``thematic`` (theo chuyên đề) or ``regular``."""

    kind: Literal["thematic", "regular"]
    text_vi: str
    provenance: Provenance


class CriteriaSetFile(_Base, kw_only=True, frozen=True):
    version: str
    campaign_year: int
    title_vi: str
    period: str = "annual"
    ranking_scopes: tuple[str, ...] = ("commune", "pgd", "province")
    classification_scales: dict[str, Scale]
    movement: Movement | None = None
    exclusions: tuple[Exclusion, ...] = ()
    awards: tuple[Award, ...] = ()
    award_principles: AwardPrinciples = AwardPrinciples()
    unit_kinds: dict[str, UnitKind]
