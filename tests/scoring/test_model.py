"""Domain model: document round trips, ids, and precise validation errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest

from scoring.campaign import Campaign, Period
from scoring.decode import decode_doc
from scoring.ids import commune_db, sheet_doc_id, unit_id
from scoring.places import Commune, TransactionOffice, TransactionPoint
from scoring.sheet import ManualEntry, ScoreSheet
from scoring.units import CommuneAssociation, HamletHead, SavingsGroup


def group(**over: object) -> SavingsGroup:
    fields: dict[str, object] = dict(
        code="1000001", name="Tổ TK&VV số 1 Ấp Tân Hòa", leader_name="Nguyễn Thị Lan",
        hamlet_code="8910101", commune_code="89101", association="PN", point_code="89101-1",
        office_code="004602", members=35, months_operating=48)
    fields.update(over)
    return SavingsGroup(**fields)  # type: ignore[arg-type]


def sheet(**over: object) -> ScoreSheet:
    fields: dict[str, object] = dict(
        campaign="2026", period="2026", unit_kind="savings_group", unit_code="1000001",
        commune_code="89101", inputs={"du_no": 1_500_000_000, "no_qua_han": 0},
        manual={"SG-B1": ManualEntry(points=Decimal("3.5"), evidence="Biên bản họp",
                                     deduction_reason="Thiếu chữ ký")},
        status="submitted", scorer="pgd.004602", device_id="dev-1",
        created_at=datetime(2026, 10, 1, 8, 30, tzinfo=UTC),
        updated_at=datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
    fields.update(over)
    return ScoreSheet(**fields)  # type: ignore[arg-type]


def test_group_round_trip_and_ids() -> None:
    g = group()
    doc = g.to_doc()
    assert doc["_id"] == "unit:savings_group:1000001"
    assert doc["type"] == "unit" and doc["kind"] == "savings_group"
    assert SavingsGroup.from_doc(doc) == g
    assert decode_doc(doc) == g
    # a stored doc carries _rev and other CouchDB fields: they are ignored
    assert SavingsGroup.from_doc({**doc, "_rev": "3-abc", "_conflicts": []}) == g


def test_sheet_round_trip_through_json_has_no_floats() -> None:
    s = sheet(inputs={"du_no": 1_500_000_000, "ty_le": Decimal("0.35")})
    doc = s.to_doc()
    assert doc["_id"] == sheet_doc_id("2026", unit_id("savings_group", "1000001"), "2026")
    assert doc["_id"] == "sheet:2026:savings_group:1000001:2026"
    assert s.db == commune_db("89101") == "c-89101"
    raw = msgspec.json.encode(doc)
    assert b'"ty_le":"0.35"' in raw and b'"points":"3.5"' in raw
    assert b'"created_at":"2026-10-01T08:30:00Z"' in raw
    back = ScoreSheet.from_json(raw)
    assert back == s
    assert isinstance(back.inputs["du_no"], int)
    assert back.inputs["ty_le"] == Decimal("0.35")


def test_sheet_defaults_are_written_out() -> None:
    doc = ScoreSheet(campaign="2026", period="2026", unit_kind="hamlet_head",
                     unit_code="8910101", commune_code="89101").to_doc()
    assert doc["status"] == "draft" and doc["inputs"] == {} and doc["manual"] == {}


def test_directory_documents_round_trip() -> None:
    docs = [
        Commune(code="89101", name="Xã Tân Hòa", kind="xa", province_code="89",
                office_code="004602", old_district_code="8901",
                old_district_name="Huyện Châu Thành"),
        TransactionOffice(code="004602", name="PGD NHCSXH Châu Thành", branch_code="004601",
                          seat_commune_code="89101", commune_codes=("89101", "89104")),
        TransactionPoint(code="89101-1", name="Điểm giao dịch xã Tân Hòa", office_code="004602",
                         commune_code="89101", hamlet_codes=("8910101",)),
        CommuneAssociation(code="89101-ND", name="Hội Nông dân xã Tân Hòa", commune_code="89101",
                           association="ND", chair_name="Lê Văn Tâm"),
        HamletHead(code="8910101", name="Trưởng ấp Tân Hòa", commune_code="89101",
                   hamlet_code="8910101", person_name="Phạm Văn Hùng"),
        Campaign(id="2026", year=2026, name="Thi đua 2026", criteria_version="2026",
                 periods=(Period(id="2026", label="Cả năm", start="2026-01-01",
                                 end="2026-12-31"),)),
    ]
    for item in docs:
        doc = msgspec.json.decode(msgspec.json.encode(item.to_doc()))
        assert decode_doc(doc) == item
    assert docs[0].doc_id() == "commune:89101"
    assert docs[3].doc_id() == "unit:association_commune:89101-ND"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"inputs": {"du_no": 1.5}}, "Số thực không được phép"),
        ({"inputs": {"du_no": -5}}, "phải là số không âm"),
        ({"inputs": {"du_no": "abc"}}, "Invalid decimal string"),
        ({"inputs": {"du_no": True}}, "got `bool`"),
        ({"status": "approved"}, "Invalid enum value 'approved'"),
        ({"unit_kind": "tourist"}, "Invalid enum value 'tourist'"),
        ({"manual": {"SG-B1": {"points": "-1"}}}, "phải là số không âm"),
        ({"manual": {"SG-B1": {"points": "2", "note": "x"}}}, "unknown field `note`"),
        ({"surprise": 1}, "unknown field `surprise`"),
        ({"created_at": "yesterday"}, "Invalid RFC3339"),
    ],
)
def test_sheet_validation_errors(change: dict[str, object], message: str) -> None:
    doc = {**sheet().to_doc(), **change}
    with pytest.raises(msgspec.ValidationError, match=message):
        ScoreSheet.from_doc(doc)


def test_wrong_type_kind_or_id_is_refused() -> None:
    doc = group().to_doc()
    with pytest.raises(msgspec.ValidationError, match="type 'sheet'"):
        ScoreSheet.from_doc(doc)
    with pytest.raises(msgspec.ValidationError, match="unit kind 'hamlet_head'"):
        HamletHead.from_doc(doc)
    with pytest.raises(msgspec.ValidationError, match="does not match"):
        SavingsGroup.from_doc({**doc, "_id": "unit:savings_group:9999999"})
    with pytest.raises(msgspec.ValidationError, match="Unknown document type"):
        decode_doc({"_id": "x", "type": "poem"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "12345"}, "mã group '12345' phải gồm 7 chữ số"),
        ({"office_code": "46"}, "mã office '46' phải gồm 6 chữ số"),
        ({"members": 61}, "số tổ viên 61 ngoài 1..60"),
        ({"association": "XYZ"}, "Invalid enum value 'XYZ'"),
    ],
)
def test_group_validation_errors(change: dict[str, object], message: str) -> None:
    doc = {**group().to_doc(), **change}
    with pytest.raises(msgspec.ValidationError, match=message):
        SavingsGroup.from_doc(doc)


def test_cross_field_rules() -> None:
    with pytest.raises(ValueError, match="<mã xã>-<loại Hội>"):
        CommuneAssociation(code="89101-PN", name="x", commune_code="89101", association="ND",
                           chair_name="y")
    with pytest.raises(ValueError, match="không thuộc địa bàn"):
        TransactionOffice(code="004602", name="x", branch_code="004601",
                          seat_commune_code="89999", commune_codes=("89101",))
    with pytest.raises(ValueError, match="chưa có ấp"):
        TransactionPoint(code="1", name="x", office_code="004602", commune_code="89101",
                         hamlet_codes=())
    with pytest.raises(ValueError, match="trùng"):
        Campaign(id="2026", year=2026, name="x", criteria_version="1", periods=(
            Period(id="a", label="a", start="2026-01-01", end="2026-06-30"),
            Period(id="a", label="b", start="2026-07-01", end="2026-12-31")))
