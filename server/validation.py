"""Validation of a score sheet written into a commune (or province) database, and of the
revision ids a non-admin client sends (`malformed_revision`).

`check_sheet` raises `Invalid` with a reason naming the field at fault: the schema
(`scoring.sheet.ScoreSheet`, which also checks that `_id` matches the content), the campaign,
period and unit kind known to `config`, the unit's existence, kind and commune, the database's
territory, and the manual criteria of the campaign's criteria set with their 0..max points.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

import msgspec

from scoring import CriteriaError, load_shipped
from scoring.ids import InputValue
from scoring.sheet import ManualEntry, ScoreSheet
from sync.revtree import is_replication_hash, is_replication_rev

from .territory import Directory

__all__ = ["OUTSIDE_TERRITORY", "Invalid", "check_sheet", "malformed_revision", "manual_criteria"]

#: The reason's prefix when a sheet does not belong in the database it is written to.
OUTSIDE_TERRITORY = "doc ids outside the database's territory"


class Invalid(Exception):
    """A document refused by validation; `str(exc)` is the reason sent to the client."""


@lru_cache(maxsize=16)
def manual_criteria(version: str) -> dict[str, dict[str, Decimal]]:
    """`{unit kind: {manual criterion id: max points}}` of a shipped criteria set.

    :raises Invalid: unknown or broken criteria set.
    """
    try:
        cset = load_shipped(version)
    except (OSError, CriteriaError) as exc:
        raise Invalid(f"criteria set {version!r} cannot be loaded: {exc}") from None
    return {
        kind: {c.id: c.max_points for c in unit.criteria if c.rule.manual is not None}
        for kind, unit in cset.unit_kinds.items()
    }


def malformed_revision(doc: dict[str, Any]) -> str | None:
    """Why the revision ids of `doc` are refused (None: they are fine): `_rev` and every
    `_revisions.ids` entry must be `N-<32 lowercase hex>` as CouchDB and PouchDB make them;
    one other id stored would make every PouchDB 9 pull of the database fail."""
    rev = doc.get("_rev")
    if rev is not None and not is_replication_rev(rev):
        return (f"invalid revision id {rev!r} in _rev: expected a number, '-' and 32 "
                "lowercase hexadecimal digits, as CouchDB and PouchDB make them")
    revisions = doc.get("_revisions")
    ids = revisions.get("ids") if isinstance(revisions, dict) else None
    for index, digest in enumerate(ids if isinstance(ids, list) else ()):
        if not is_replication_hash(digest):
            return (f"invalid revision id {digest!r} in _revisions.ids[{index}]: expected 32 "
                    "lowercase hexadecimal digits, as CouchDB and PouchDB make them")
    return None


def _entries(doc: dict[str, Any]) -> None:
    """Check `inputs` and `manual` value by value, so that the reason names the key."""
    for field, kind in (("inputs", InputValue), ("manual", ManualEntry)):
        values = doc.get(field)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            try:
                msgspec.convert(value, kind)  # type: ignore[arg-type]
            except (msgspec.ValidationError, ValueError, TypeError) as exc:
                raise Invalid(f"invalid score sheet: {field}.{key}: {exc}") from None


def _schema(doc: dict[str, Any]) -> ScoreSheet:
    try:
        return ScoreSheet.from_doc(doc)
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        _entries(doc)  # a bad entry is named by its key (the sheet's own types, entry by entry)
        raise Invalid(f"invalid score sheet: {exc}") from None


def check_sheet(doc: dict[str, Any], db: str, directory: Directory) -> ScoreSheet:
    """The validated sheet. :raises Invalid: the reason names the field at fault."""
    sheet = _schema(doc)
    communes = directory.communes_of_db(db)
    if sheet.commune_code not in communes:
        raise Invalid(
            f"{OUTSIDE_TERRITORY}: commune_code {sheet.commune_code!r} does not belong in {db!r}"
        )
    unit_key = sheet.unit_id
    unit_commune = directory.units.get(unit_key)
    if unit_commune is None:
        raise Invalid(
            f"{OUTSIDE_TERRITORY}: unit_code {sheet.unit_code!r} is not a known "
            f"{sheet.unit_kind} unit in the directory"
        )
    if unit_commune != sheet.commune_code:
        raise Invalid(
            f"{OUTSIDE_TERRITORY}: unit {unit_key!r} belongs to commune {unit_commune!r}, "
            f"not commune_code {sheet.commune_code!r}"
        )
    campaign = directory.campaigns.get(sheet.campaign)
    if campaign is None:
        raise Invalid(f"campaign {sheet.campaign!r} is not in the directory")
    if sheet.period not in campaign.periods:
        raise Invalid(f"period {sheet.period!r} is not a period of campaign {sheet.campaign!r}")
    if campaign.unit_kinds and sheet.unit_kind not in campaign.unit_kinds:
        raise Invalid(f"unit_kind {sheet.unit_kind!r} is not scored in campaign {sheet.campaign!r}")
    known = manual_criteria(campaign.criteria_version).get(sheet.unit_kind, {})
    for criterion, entry in sheet.manual.items():
        top = known.get(criterion)
        if top is None:
            raise Invalid(
                f"manual.{criterion}: not a manual criterion of {sheet.unit_kind} in "
                f"criteria set {campaign.criteria_version!r} (known: {', '.join(known) or 'none'})"
            )
        if not Decimal(0) <= entry.points <= top:
            raise Invalid(f"manual.{criterion}.points: {entry.points} is outside 0..{top}")
    return sheet
