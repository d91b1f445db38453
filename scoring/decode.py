"""The Struct of any stored document, chosen by its `type` (and `kind` for units)."""

from __future__ import annotations

from typing import Any

import msgspec

from .campaign import Campaign
from .document import Document
from .exclusion import AwardExclusion
from .places import Branch, Commune, Hamlet, Province, TransactionOffice, TransactionPoint
from .sheet import ScoreSheet
from .units import CommuneAssociation, HamletHead, SavingsGroup, ScoredPoint, Unit

__all__ = ["decode_doc"]

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
