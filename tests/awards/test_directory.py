"""Names and flags from the directory documents, as certificates and proposals use them."""

from __future__ import annotations

from scoring.demo import generate_province
from server.awards.directory import Names


def test_recipients_and_flags_from_the_directory() -> None:
    demo = generate_province(1, "province")
    names = Names.from_docs(demo.directory_docs())
    head = demo.hamlet_heads[0]
    r = names.recipient(head.unit_id)
    assert (r.salutation, r.name) == ("Ông/Bà:", head.person_name)
    assert r.position_line.startswith(head.name)
    group = demo.groups[0]
    g = names.recipient(group.unit_id)
    assert (g.salutation, g.name) == ("Tập thể:", group.name)
    flags = names.flags()
    assert flags[group.unit_id]["thang_hoat_dong"] == group.months_operating
    assert flags[group.unit_id]["dang_thanh_tra"] == group.under_inspection
    assert names.campaigns == {"2026": demo.campaign.name}
