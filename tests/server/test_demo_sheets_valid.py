"""The demo campaign's sheets pass the gatekeeper's validation, so a scorer can edit and push any of them."""

from __future__ import annotations

from scoring.demo import generate_province
from scoring.demo_sheets import generate_sheets
from scoring.ids import commune_db
from server.territory import _entry, build_directory
from server.validation import Invalid, check_sheet


def test_every_demo_sheet_is_valid_in_its_commune_database() -> None:
    demo = generate_province(seed=1)
    entries = {doc["_id"]: kept for doc in demo.directory_docs() if (kept := _entry(doc))}
    directory = build_directory(entries)
    refused = []
    sheets = list(generate_sheets(demo))
    for sheet in sheets:
        try:
            check_sheet(sheet.to_doc(), commune_db(sheet.commune_code), directory)
        except Invalid as exc:
            refused.append((sheet.to_doc()["_id"], str(exc)))
    assert len(sheets) > 1000
    assert refused == []
