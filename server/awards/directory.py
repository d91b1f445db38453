"""Names for reports and certificates, from the `config` directory documents.

`Names.from_docs` is pure (any iterable of directory documents); `load_names` reads them from
the store. A hamlet head is a person ("Ông/Bà:", the person's name, "Trưởng … , <commune>");
every other unit is a collective ("Tập thể:", its name, its commune and office).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from scoring.adapt import unit_flags
from scoring.decode import decode_doc
from scoring.units import Unit
from sync.store import DocumentStore

from .decisions import RecipientInput

__all__ = ["Names", "load_names"]


class Names(msgspec.Struct, frozen=True):
    docs: Mapping[str, Mapping[str, Any]]  # `_id` -> document
    campaigns: Mapping[str, str]  # campaign id -> name

    @classmethod
    def from_docs(cls, docs: Iterable[Mapping[str, Any]]) -> Names:
        by_id = {d["_id"]: d for d in docs if "_id" in d and "name" in d}
        campaigns = {d["id"]: d["name"] for d in by_id.values() if d.get("type") == "campaign"}
        return cls(by_id, campaigns)

    def _name(self, doc_id: str, default: str) -> str:
        return unicodedata.normalize("NFC", str(self.docs.get(doc_id, {}).get("name", default)))

    def unit(self, unit: str) -> str:
        return self._name(f"unit:{unit}", unit)

    def commune(self, code: str) -> str:
        return self._name(f"commune:{code}", code)

    def office(self, code: str) -> str:
        return self._name(f"office:{code}", code)

    def province(self, code: str) -> str:
        return self._name(f"province:{code}", code)

    def scope(self, scope_type: str, code: str) -> str:
        """The name of a ranking scope (a commune, an office or the province), in NFC."""
        by_type = {"commune": self.commune, "pgd": self.office, "province": self.province}
        return by_type[scope_type](code) if scope_type in by_type else code

    def place(self, commune: str, office: str) -> str:
        return f"{self.commune(commune)}, {self.office(office)}" if office else self.commune(commune)

    def of_kind(self, doc_type: str) -> list[Mapping[str, Any]]:
        return [d for d in self.docs.values() if d.get("type") == doc_type]

    def flags(self) -> dict[str, dict[str, Any]]:
        """The award and exclusion flags of every unit, from its directory document (the
        same `scoring.adapt.unit_flags` the scorer uses; undecodable documents are skipped)."""
        found: dict[str, dict[str, Any]] = {}
        for doc in self.of_kind("unit"):
            try:
                unit = decode_doc(dict(doc))
            except (msgspec.ValidationError, ValueError):
                continue
            if isinstance(unit, Unit):
                found[unit.unit_id] = unit_flags(unit)
        return found

    def recipient(self, unit: str) -> RecipientInput:
        """How ``unit`` is named on its certificate."""
        doc = self.docs.get(f"unit:{unit}", {})
        commune = self.commune(str(doc.get("commune_code", "")))
        if doc.get("kind") == "hamlet_head" and doc.get("person_name"):
            return RecipientInput(unit=unit, name=str(doc["person_name"]), salutation="Ông/Bà:",
                                  position_line=f"{doc['name']}, {commune}")
        return RecipientInput(unit=unit, name=self.unit(unit), position_line=commune)


async def load_names(store: DocumentStore) -> Names:
    """The directory of the `config` database."""
    rows = (await store.all_docs("config", include_docs=True))["rows"]
    return Names.from_docs(r["doc"] for r in rows if r.get("doc"))
