"""A results database for award tests: the demo province scored, most results locked."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import msgspec
from sqlalchemy import Engine
from sqlmodel import Session

from scoring import CriteriaSet, compile_set, load_shipped
from scoring.adapt import sheet_input
from scoring.demo import DemoProvince, generate_province
from scoring.demo_sheets import generate_sheets
from server.audit_tables import install_audit_table
from server.awards import DecisionInput, install_award_tables
from server.results import ResultBreakdown, SheetResult, install_result_tables
from server.results.build import breakdown_row, build_result

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def seed_results(engine: Engine, *, lock_share: float = 0.9, communes: int | None = None,
                 campaign: str | None = None) -> tuple[DemoProvince, CriteriaSet]:
    """Install every table and store the demo's results (of the first ``communes`` only when
    given); ``lock_share`` of them locked; as results of ``campaign`` (its period the same
    id) when given."""
    install_audit_table(engine)
    install_result_tables(engine)
    install_award_tables(engine)
    demo = generate_province(1, "province")
    cset = load_shipped(demo.campaign.criteria_version)
    compiled = compile_set(cset)
    units = {u.unit_id: u for u in demo.units()}
    by_code = {c.code: c for c in demo.communes}
    keep = {c.code for c in demo.communes[:communes]} if communes else set(by_code)
    rng = random.Random(7)
    with Session(engine) as session:
        for sheet in generate_sheets(demo):
            if sheet.commune_code not in keep:
                continue
            status = "locked" if rng.random() < lock_share else "submitted"
            sheet = msgspec.structs.replace(sheet, status=status)
            if campaign is not None:
                sheet = msgspec.structs.replace(sheet, campaign=campaign, period=campaign)
            given = sheet_input(sheet, units[sheet.unit_id], by_code[sheet.commune_code])
            score = compiled.score(given.kind, given.inputs, given.manual, given.flags)
            row, criteria = build_result(sheet, sheet_rev="1-abc", scopes=dict(given.scopes),
                                         cset=cset, score=score, scored_at=AT)
            session.add(SheetResult(**row))
            session.add(ResultBreakdown(**breakdown_row(row["id"], criteria)))
        session.commit()
    return demo, cset


def decision_input(award: str = "GK-XA", kind: str = "giay_khen", number: str = "125",
                   issuer: str = "cn-test") -> DecisionInput:
    return DecisionInput(
        campaign="2026", period="2026", award=award, kind=kind, number=number,
        symbol="QĐ-NHCS", signed_on=date(2026, 12, 5), place="Cần Thơ", issuer=issuer,
        issuer_line="GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI THÀNH PHỐ CẦN THƠ",
        signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", signer_name="Nguyễn Thị Ánh Tuyết",
        achievement="Đã có thành tích xuất sắc trong phong trào thi đua thực hiện tín dụng "
                    "chính sách xã hội năm 2026")
