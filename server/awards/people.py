"""Individuals the branch proposes for an award (`award_person`): group leaders (Tổ trưởng Tổ
TK&VV), association officers, hamlet heads, bank staff, commune officials, model borrowers
(the people Kế hoạch 1308 names, vbsp-notes §1.4). Each is checked (name, salutation, role, the
unit they belong to in the directory, award) and every add or edit is audited in the same
transaction. A person is a decision recipient `person:<id>`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import msgspec
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scoring import CriteriaSet
from server.audit import account_change

from .decisions import RecipientInput
from .directory import Names
from .errors import AwardError
from .tables import AwardPerson

__all__ = ["ROLES", "PersonInput", "Role", "get_person", "list_people", "person_recipient",
           "save_person"]


class Role(msgspec.Struct, frozen=True):
    label_vi: str
    unit_kind: str | None  # the directory kind their unit must be (None: any or none)
    title: str  # the start of the default position line


ROLES: dict[str, Role] = {
    "to_truong": Role("Tổ trưởng Tổ TK&VV", "savings_group", "Tổ trưởng"),
    "can_bo_hoi": Role("Cán bộ Hội, đoàn thể nhận ủy thác", "association_commune", "Chủ tịch"),
    "truong_ap": Role("Trưởng ấp, khu vực", "hamlet_head", "Trưởng"),
    "can_bo_ngan_hang": Role("Cán bộ, nhân viên NHCSXH", None, "Cán bộ"),
    "can_bo_xa": Role("Cán bộ cấp ủy, chính quyền xã", None, "Cán bộ"),
    "ho_vay": Role("Hộ vay vốn, tổ viên tiêu biểu", "savings_group", "Tổ viên"),
}
SALUTATIONS = ("Ông:", "Bà:")
#: The directory field that holds the person of a unit (to fill an empty name).
_PERSON_FIELD = {"savings_group": "leader_name", "association_commune": "chair_name",
                 "hamlet_head": "person_name"}
_NAME = re.compile(r"^[^\W\d_]+(?:[ .'-][^\W\d_]+)*\.?$")


class PersonInput(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    salutation: str
    name: str = ""  # empty: the person the directory names for ``unit``
    unit: str = ""  # `<kind>:<code>`
    position_line: str = ""  # empty: "<title> <unit name>, <commune>"
    award: str = ""
    reason: str = ""


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _checked(cset: CriteriaSet, names: Names, data: PersonInput) -> dict[str, str]:
    """The row's values. :raises AwardError: the first problem, in plain Vietnamese."""
    role = ROLES.get(data.role)
    if role is None:
        raise AwardError("Chọn đối tượng (tổ trưởng, cán bộ Hội, trưởng ấp, cán bộ ngân hàng …)")
    if data.salutation not in SALUTATIONS:
        raise AwardError("Danh xưng phải là Ông hoặc Bà")
    unit, doc = _clean(data.unit), {}
    if unit:
        doc = dict(names.docs.get(f"unit:{unit}", {}))
        if not doc:
            raise AwardError(f"Không có đơn vị {unit} trong danh mục")
        if role.unit_kind is not None and doc.get("kind") != role.unit_kind:
            raise AwardError(f"{role.label_vi} phải thuộc một đơn vị loại {role.unit_kind} "
                             f"(nhập dạng {role.unit_kind}:mã)")
    elif role.unit_kind is not None:
        raise AwardError(f"{role.label_vi}: cần mã đơn vị ({role.unit_kind}:mã)")
    name = _clean(data.name) or _clean(str(doc.get(_PERSON_FIELD.get(str(doc.get("kind")), ""), "")))
    if not name:
        raise AwardError("Cần họ và tên")
    if len(name) > 128 or not _NAME.match(name) or len(name.split()) < 2:
        raise AwardError(f"Họ và tên {name!r} không hợp lệ: cần họ và tên, chỉ có chữ cái")
    commune = str(doc.get("commune_code", ""))
    position = _clean(data.position_line)
    if not position:
        if not doc:
            raise AwardError("Cần ghi chức vụ, đơn vị công tác (dòng thứ hai trên giấy khen)")
        place = names.commune(commune)
        position = f"{role.title} {doc['name']}, {place}" if place else f"{role.title} {doc['name']}"
    if len(position) > 256:
        raise AwardError("Dòng chức vụ, đơn vị quá dài (tối đa 256 ký tự)")
    award = data.award.strip()
    if award and award not in {a.id for a in cset.awards}:
        raise AwardError(f"Không có hình thức khen thưởng {award!r}")
    reason = _clean(data.reason)
    if award and not reason:
        raise AwardError("Cần ghi thành tích (lý do đề nghị khen thưởng)")
    return {"role": data.role, "salutation": data.salutation, "name": name, "unit": unit,
            "commune_code": commune, "position_line": position, "award": award, "reason": reason}


def save_person(engine: Engine, cset: CriteriaSet, names: Names, data: PersonInput, *,
                campaign: str, user: str, person_id: int | None = None) -> int:
    """Add (``person_id`` None) or edit a person; audited. :raises AwardError: refused input."""
    values = _checked(cset, names, data)
    with Session(engine) as session, session.begin():
        if person_id is None:
            row = AwardPerson(campaign=campaign, updated_by=user, updated_at=datetime.now(UTC),
                              **values)  # type: ignore[arg-type]
        else:
            found = session.get(AwardPerson, person_id)
            if found is None or found.campaign != campaign:
                raise AwardError(f"Không có cá nhân số {person_id}")
            row = found
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_by, row.updated_at = user, datetime.now(UTC)
        session.add(row)
        session.flush()
        assert row.id is not None
        detail = f"{values['name']} · {ROLES[values['role']].label_vi} · {values['award'] or '-'}"
        session.add(account_change("award.person.add" if person_id is None
                                   else "award.person.edit", f"person:{row.id}", detail))
        return row.id


def list_people(engine: Engine, campaign: str) -> list[AwardPerson]:
    with Session(engine) as session:
        rows = list(session.exec(select(AwardPerson).where(AwardPerson.campaign == campaign)
                                 .order_by(col(AwardPerson.id))))
        session.expunge_all()
        return rows


def get_person(engine: Engine, person_id: int) -> AwardPerson | None:
    with Session(engine) as session:
        row = session.get(AwardPerson, person_id)
        session.expunge_all()
        return row


def person_recipient(person: AwardPerson) -> RecipientInput:
    """How ``person`` is named on a certificate."""
    return RecipientInput(unit=f"person:{person.id}", name=person.name,
                          salutation=person.salutation, position_line=person.position_line)
