"""Award tables (same SQL database as the accounts and the results).

* `award_adjustment`: a reviewer adds a unit to, or removes it from, an award's proposals,
  with a reason (audited in the same transaction);
* `award_decision` and `award_recipient`: a decision (số, ký hiệu, date, signer) and the units
  or people it rewards, in order;
* `certificate_register` (the register, "sổ vàng"): one number per recipient, per issuer,
  assigned once; `register_counter` the last number given per issuer (the row locked while a
  batch prints); `print_batch` / `print_record`: every printing, first or reprint;
* `certificate_field`: per-issuer field boxes (mm) of the blank, over the default layout;
* `award_flag`: a reviewer sets or clears a Bằng khen basis flag of a unit, with a reason;
* `award_person`: individuals the branch proposes (group leaders, association officers, staff);
* `council_report_job`: a council report built in the background, with its progress, and the
  finished PDF stored with its hash (`server.awards.report_jobs`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Engine, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from sync.backends.sql_schema import create_tables

__all__ = [
    "AwardAdjustment", "AwardDecision", "AwardFlag", "AwardPerson", "AwardRecipient", "FieldRow", "PrintBatch",
    "PrintRecord", "RegisterCounter", "ReportJob", "RegisterEntry", "award_tables", "install_award_tables",
]


class AwardAdjustment(SQLModel, table=True):
    __tablename__ = "award_adjustment"

    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(index=True, max_length=64)
    period: str = Field(max_length=32)
    award: str = Field(max_length=64)
    unit: str = Field(max_length=128)
    action: str = Field(max_length=8)  # add | remove
    reason: str
    user: str = Field(max_length=64)
    at: datetime


class AwardFlag(SQLModel, table=True):
    __tablename__ = "award_flag"

    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(index=True, max_length=64)
    unit: str = Field(max_length=128)
    flag: str = Field(max_length=64)
    active: bool
    reason: str
    user: str = Field(max_length=64)
    at: datetime


class AwardPerson(SQLModel, table=True):
    """An individual the branch proposes: ``role`` a key of `server.awards.people.ROLES`;
    ``unit`` the unit they lead or work in (`<kind>:<code>`, may be empty); ``award`` the
    proposed award ("" = recorded, not proposed). Recipient id: `person:<id>`."""

    __tablename__ = "award_person"

    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(index=True, max_length=64)
    role: str = Field(max_length=32)
    salutation: str = Field(max_length=8)  # "Ông:" | "Bà:"
    name: str = Field(max_length=128)
    position_line: str = Field(max_length=256)
    unit: str = Field(default="", max_length=128)
    commune_code: str = Field(default="", max_length=32)
    award: str = Field(default="", max_length=64)
    reason: str = ""
    updated_by: str = Field(max_length=64)
    updated_at: datetime


class AwardDecision(SQLModel, table=True):
    __tablename__ = "award_decision"
    __table_args__ = (UniqueConstraint("issuer", "number", "symbol", "signed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(index=True, max_length=64)
    period: str = Field(max_length=32)
    award: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # giay_khen | bang_khen
    number: str = Field(default="", max_length=16)  # "" until the decision is numbered
    symbol: str = Field(max_length=32)  # "QĐ-NHCS"
    signed_on: date
    place: str = Field(max_length=64)
    issuer: str = Field(max_length=64)  # the layout key, e.g. "cn-92"
    issuer_line: str  # "GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI …"
    signer_title: str = Field(max_length=128)
    signer_name: str = Field(max_length=128)
    achievement: str
    created_by: str = Field(max_length=64)
    created_at: datetime


class AwardRecipient(SQLModel, table=True):
    __tablename__ = "award_recipient"
    __table_args__ = (UniqueConstraint("decision_id", "unit"),)

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="award_decision.id", index=True)
    position: int
    unit: str = Field(max_length=128)  # `<kind>:<code>` (a person: `person:<id>`)
    result_id: str | None = Field(default=None, max_length=512)
    salutation: str = Field(max_length=16)  # "Tập thể:" | "Ông:" | "Bà:" | "Ông/Bà:"
    name: str = Field(max_length=256)
    position_line: str = Field(default="", max_length=256)


class RegisterCounter(SQLModel, table=True):
    __tablename__ = "register_counter"

    issuer: str = Field(primary_key=True, max_length=64)
    last_no: int = 0
    locked_at: datetime | None = None


class RegisterEntry(SQLModel, table=True):
    __tablename__ = "certificate_register"
    __table_args__ = (UniqueConstraint("issuer", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=64)
    number: int
    recipient_id: int = Field(foreign_key="award_recipient.id", unique=True)
    decision_id: int = Field(foreign_key="award_decision.id", index=True)
    assigned_at: datetime


class PrintBatch(SQLModel, table=True):
    __tablename__ = "print_batch"

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="award_decision.id", index=True)
    mode: str = Field(max_length=8)  # blank | full
    pages: int
    sha256: str = Field(max_length=64)
    user: str = Field(max_length=64)
    at: datetime


class PrintRecord(SQLModel, table=True):
    __tablename__ = "print_record"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="print_batch.id", index=True)
    register_id: int = Field(foreign_key="certificate_register.id", index=True)
    reprint: bool = False


class FieldRow(SQLModel, table=True):
    __tablename__ = "certificate_field"

    issuer: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    field: str = Field(primary_key=True, max_length=32)
    x: float
    y: float
    w: float
    h: float
    size: float
    lines: int
    align: str = Field(max_length=8)
    bold: bool
    italic: bool


class ReportJob(SQLModel, table=True):
    """One build of a council report. ``slot`` is "active" while it is queued or running
    (unique per campaign: one build at a time), None once done or failed."""

    __tablename__ = "council_report_job"
    __table_args__ = (UniqueConstraint("campaign", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(index=True, max_length=64)
    slot: str | None = Field(default=None, max_length=8)
    params: str  # JSON: number, signed_on, signer_title, signer_name, previous
    status: str = Field(max_length=8)  # queued | running | done | failed
    step: str = Field(default="", max_length=128)  # in Vietnamese, for the progress bar
    progress: int = 0  # percent
    error: str = ""
    fingerprint: str = Field(default="", max_length=64)  # sha256 of the report's content
    sha256: str = Field(default="", max_length=64)  # of the PDF
    pages: int = 0
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    seconds: float = 0.0  # the whole build
    requested_by: str = Field(max_length=64)
    created_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None = None


def award_tables() -> list[Any]:
    models: list[Any] = [AwardAdjustment, AwardFlag, AwardPerson, AwardDecision, AwardRecipient, RegisterCounter,
                         RegisterEntry, PrintBatch, PrintRecord, FieldRow, ReportJob]
    return [m.__table__ for m in models]


def install_award_tables(engine: Engine) -> None:
    """Create the award tables if missing (idempotent)."""
    create_tables(engine, SQLModel.metadata, award_tables())
