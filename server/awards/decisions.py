"""Award decisions: số and ký hiệu, date, signer, issuer and the ordered list of recipients.

A decision may be saved before it is numbered (number ""): it cannot print until it has one.
Every recipient that is a unit must have a locked, non-excluded result of the campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import msgspec
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from reports.certificates import KINDS
from scoring import CriteriaSet
from server.audit import account_change
from server.results import get_result

from .errors import AwardError
from .proposals import check_awardable
from .tables import AwardDecision, AwardRecipient

__all__ = ["DecisionInput", "DecisionView", "RecipientInput", "create_decision", "get_decision",
           "list_decisions", "result_id_of", "set_number"]

SALUTATIONS = ("Tập thể:", "Ông:", "Bà:", "Ông/Bà:")


class DecisionInput(msgspec.Struct, frozen=True, kw_only=True):
    campaign: str
    period: str
    award: str
    kind: str
    symbol: str
    signed_on: date
    place: str
    issuer: str
    issuer_line: str
    signer_title: str
    signer_name: str
    achievement: str
    number: str = ""


class RecipientInput(msgspec.Struct, frozen=True, kw_only=True):
    unit: str
    name: str
    salutation: str = "Tập thể:"
    position_line: str = ""


class DecisionView(msgspec.Struct, frozen=True):
    decision: AwardDecision
    recipients: tuple[AwardRecipient, ...]

    @property
    def reference(self) -> str:
        d = self.decision
        return f"{d.number}/{d.symbol}" if d.number else f"(chưa có số)/{d.symbol}"


def result_id_of(campaign: str, unit: str, period: str) -> str:
    return f"result:{campaign}:{unit}:{period}"


def _check(cset: CriteriaSet, data: DecisionInput, recipients: Sequence[RecipientInput]) -> None:
    if data.award not in {a.id for a in cset.awards}:
        raise AwardError(f"Không có hình thức khen thưởng {data.award!r} trong bộ tiêu chí")
    if data.kind not in KINDS:
        raise AwardError(f"Loại phôi {data.kind!r} không có (giay_khen, bang_khen)")
    for name in ("symbol", "place", "issuer", "issuer_line", "signer_title", "signer_name",
                 "achievement"):
        if not getattr(data, name).strip():
            raise AwardError(f"Quyết định thiếu trường {name}")
    if not recipients:
        raise AwardError("Quyết định chưa có ai được khen thưởng")
    units = [r.unit for r in recipients]
    if len(set(units)) != len(units):
        raise AwardError("Một đơn vị có tên hai lần trong quyết định")
    for r in recipients:
        if r.salutation not in SALUTATIONS:
            raise AwardError(f"Danh xưng {r.salutation!r} không hợp lệ ({', '.join(SALUTATIONS)})")
        if not r.name.strip():
            raise AwardError(f"Đơn vị {r.unit} chưa có tên")


def create_decision(engine: Engine, cset: CriteriaSet, data: DecisionInput,
                    recipients: Sequence[RecipientInput], user: str) -> int:
    """Store a decision and its recipients (audited). :raises AwardError: refused input."""
    _check(cset, data, recipients)
    result_ids = {}
    for r in recipients:
        if not r.unit.startswith("person:"):
            rid = result_id_of(data.campaign, r.unit, data.period)
            check_awardable(cset, get_result(engine, rid), r.unit)
            result_ids[r.unit] = rid
    try:
        with Session(engine) as session, session.begin():
            row = AwardDecision(**msgspec.structs.asdict(data), created_by=user,
                                created_at=datetime.now(UTC))
            session.add(row)
            session.flush()
            assert row.id is not None
            for i, r in enumerate(recipients):
                session.add(AwardRecipient(decision_id=row.id, position=i, unit=r.unit,
                                           result_id=result_ids.get(r.unit), name=r.name.strip(),
                                           salutation=r.salutation,
                                           position_line=r.position_line.strip()))
            ref = f"{data.number}/{data.symbol}"
            session.add(account_change("award.decide", ref[:64],
                                       f"{data.award}: {len(recipients)} người/đơn vị"))
            return row.id
    except IntegrityError as exc:
        raise AwardError(f"Đã có quyết định số {data.number}/{data.symbol} ngày "
                         f"{data.signed_on:%d/%m/%Y}") from exc


def set_number(engine: Engine, decision_id: int, number: str) -> None:
    """Give a saved decision its number (audited). :raises AwardError:"""
    if not number.strip():
        raise AwardError("Số quyết định trống")
    with Session(engine) as session, session.begin():
        row = session.get(AwardDecision, decision_id)
        if row is None:
            raise AwardError(f"Không có quyết định {decision_id}")
        row.number = number.strip()
        session.add(account_change("award.number", f"{row.number}/{row.symbol}"[:64], ""))


def get_decision(engine: Engine, decision_id: int) -> DecisionView:
    """:raises AwardError: no such decision."""
    with Session(engine) as session:
        row = session.get(AwardDecision, decision_id)
        if row is None:
            raise AwardError(f"Không có quyết định {decision_id}")
        query = select(AwardRecipient).where(AwardRecipient.decision_id == decision_id)
        recipients = tuple(session.exec(query.order_by(col(AwardRecipient.position))))
        session.expunge_all()
        return DecisionView(row, recipients)


def list_decisions(engine: Engine, campaign: str | None = None) -> list[AwardDecision]:
    with Session(engine) as session:
        query = select(AwardDecision).order_by(col(AwardDecision.id))
        if campaign is not None:
            query = query.where(AwardDecision.campaign == campaign)
        rows = list(session.exec(query))
        session.expunge_all()
        return rows
