"""Printing a decision's certificates with register numbers ("số sổ vàng").

A batch runs in one transaction: it first updates the issuer's `register_counter` row (the
lock: a second batch of the same issuer waits, on SQLite and PostgreSQL alike), gives each
recipient without a number the next ones, lays the PDF out, then writes the register entries,
the batch and its print records and commits. Any failure (bad input, a name too long for its
box, a rendering error) rolls everything back: no number is consumed, none skipped, none
shared. A recipient printed before keeps its number: the record says "bản in lại".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from datetime import UTC, datetime

import msgspec
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from reports.certificates import FIELDS, Certificate, Field, Layout, Mode, certificates_pdf
from reports.certificates import default_layout as _default_layout
from reports.certificates_pool import RenderFailed
from reports.pdf import vi_date
from scoring import CriteriaSet
from server.audit import account_change
from server.results import get_result

from .decisions import DecisionView, get_decision
from .errors import AwardError
from .proposals import check_awardable
from .tables import (
    AwardDecision,
    AwardRecipient,
    FieldRow,
    PrintBatch,
    PrintRecord,
    RegisterCounter,
    RegisterEntry,
)

__all__ = ["PrintOutcome", "RegisterLine", "check_field", "layout_for", "print_decision",
           "register_lines", "save_field"]


class PrintOutcome(msgspec.Struct, frozen=True):
    batch_id: int
    pdf: bytes
    numbers: tuple[tuple[str, int, bool], ...]  # (name, register number, reprint)


class RegisterLine(msgspec.Struct, frozen=True):
    number: int
    name: str
    decision: str
    printed_at: datetime
    mode: str
    note: str  # "" or "bản in lại"


def layout_for(engine: Engine, issuer: str, kind: str) -> Layout:
    """The issuer's saved boxes over the default layout of ``kind``."""
    base = _default_layout(kind)  # type: ignore[arg-type]
    with Session(engine) as session:
        rows = session.exec(select(FieldRow).where(FieldRow.issuer == issuer, FieldRow.kind == kind))
        saved = {r.field: Field(x=r.x, y=r.y, w=r.w, h=r.h, size=r.size, lines=r.lines,
                                align=r.align, bold=r.bold, italic=r.italic)  # type: ignore[arg-type]
                 for r in rows}
    return Layout(kind=base.kind, fields={**base.fields, **saved})


def check_field(kind: str, name: str, box: Field) -> None:
    """:raises AwardError: unknown field or kind, a box off the page or a bad size."""
    base = _default_layout(kind) if kind in ("giay_khen", "bang_khen") else None  # type: ignore[arg-type]
    if base is None or name not in base.fields:
        raise AwardError(f"Không có ô {name!r} trên phôi {kind!r}")
    width, height = base.size_mm
    if box.x < 0 or box.y < 0 or box.w <= 0 or box.h <= 0 or box.x + box.w > width \
            or box.y + box.h > height or not 4 <= box.size <= 72 or not 1 <= box.lines <= 10:
        raise AwardError(f"Ô {FIELDS.get(name, name)}: tọa độ, cỡ chữ (4–72) hoặc số dòng "
                         f"(1–10) ngoài giới hạn; trang {width} × {height} mm")


def save_field(engine: Engine, issuer: str, kind: str, name: str, box: Field) -> None:
    """Save one field box for ``issuer`` (audited). :raises AwardError: see `check_field`."""
    check_field(kind, name, box)
    with Session(engine) as session, session.begin():
        session.merge(FieldRow(issuer=issuer, kind=kind, field=name,
                               **msgspec.structs.asdict(box)))
        session.add(account_change("certificate.layout", issuer[:64],
                                   f"{kind}.{name}: {msgspec.json.encode(box).decode()}"))


def _certificate(view: DecisionView, r: AwardRecipient, number: int) -> Certificate:
    d = view.decision
    return Certificate(
        kind=d.kind, issuer=d.issuer_line, salutation=r.salutation,  # type: ignore[arg-type]
        name=r.name, position=r.position_line, achievement=d.achievement,
        place_date=vi_date(d.signed_on, d.place), signer_title=d.signer_title,
        signer_name=d.signer_name, register=f"Số sổ vàng: {number}",
        decision=f"Quyết định số {view.reference} ngày {d.signed_on:%d/%m/%Y}")


def _validate(engine: Engine, cset: CriteriaSet, view: DecisionView,
              recipient_ids: Collection[int] | None) -> list[AwardRecipient]:
    if not view.decision.number:
        raise AwardError(f"Quyết định {view.reference} chưa có số: chưa in được")
    chosen = [r for r in view.recipients if recipient_ids is None or r.id in recipient_ids]
    unknown = set(recipient_ids or ()) - {r.id for r in view.recipients}
    if unknown:
        raise AwardError(f"Quyết định {view.reference} không có người/đơn vị số {sorted(unknown)}")
    if not chosen:
        raise AwardError(f"Quyết định {view.reference} không có ai để in")
    for r in chosen:
        if r.result_id is not None:
            check_awardable(cset, get_result(engine, r.result_id), r.unit)
    return chosen


def _ensure_counter(engine: Engine, issuer: str) -> None:
    with Session(engine) as session:
        if session.get(RegisterCounter, issuer) is None:
            session.add(RegisterCounter(issuer=issuer))
            try:
                session.commit()
            except IntegrityError:  # another batch created it first
                session.rollback()


def print_decision(engine: Engine, cset: CriteriaSet, decision_id: int, *, mode: Mode,
                   user: str, recipient_ids: Collection[int] | None = None,
                   progress: Callable[[int], None] | None = None) -> PrintOutcome:
    """Print the decision (or the given recipients of it) into one PDF, numbering as above.

    :raises AwardError: refused input; :raises reports.certificates.DoesNotFit: a text too
    long for its box. Either way nothing is recorded and no number is used.
    """
    if mode not in ("blank", "full"):
        raise AwardError(f"Chế độ in {mode!r} không có (blank, full)")
    view = get_decision(engine, decision_id)
    chosen = _validate(engine, cset, view, recipient_ids)
    issuer = view.decision.issuer
    layout = layout_for(engine, issuer, view.decision.kind)
    _ensure_counter(engine, issuer)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        session.execute(update(RegisterCounter).where(col(RegisterCounter.issuer) == issuer)
                        .values(locked_at=now))  # the lock, held to commit
        counter = session.get(RegisterCounter, issuer)
        assert counter is not None
        ids = [r.id for r in chosen]
        existing = {e.recipient_id: e for e in session.exec(
            select(RegisterEntry).where(col(RegisterEntry.recipient_id).in_(ids)))}
        numbers: list[tuple[AwardRecipient, int, bool]] = []
        last = counter.last_no
        for r in chosen:
            assert r.id is not None
            if r.id in existing:
                numbers.append((r, existing[r.id].number, True))
            else:
                last += 1
                numbers.append((r, last, False))
        try:
            pdf = certificates_pdf([_certificate(view, r, n) for r, n, _ in numbers],
                                   layout, mode, progress)
        except RenderFailed as exc:  # a worker process died: roll back, say so plainly
            raise AwardError(str(exc)) from exc
        batch = PrintBatch(decision_id=decision_id, mode=mode, pages=len(numbers),
                           sha256=hashlib.sha256(pdf).hexdigest(), user=user, at=now)
        session.add(batch)
        session.flush()
        assert batch.id is not None
        for r, n, again in numbers:
            entry = existing.get(r.id) if again else None  # type: ignore[arg-type]
            if entry is None:
                entry = RegisterEntry(issuer=issuer, number=n, recipient_id=r.id,  # type: ignore[arg-type]
                                      decision_id=decision_id, assigned_at=now)
                session.add(entry)
                session.flush()
            session.add(PrintRecord(batch_id=batch.id, register_id=entry.id, reprint=again))  # type: ignore[arg-type]
        counter.last_no = last
        session.add(counter)
        reprints = sum(again for _, _, again in numbers)
        session.add(account_change("certificate.reprint" if reprints == len(numbers)
                                   else "certificate.print", view.reference[:64],
                                   f"lô {batch.id}: {len(numbers)} trang, {reprints} bản in lại"))
        return PrintOutcome(batch.id, pdf, tuple((r.name, n, again) for r, n, again in numbers))


def register_lines(engine: Engine, issuer: str | None = None) -> list[RegisterLine]:
    """Every printing in register order, reprints marked "bản in lại"."""
    query = (select(RegisterEntry, AwardRecipient, PrintBatch, PrintRecord)
             .where(RegisterEntry.recipient_id == AwardRecipient.id,
                    PrintRecord.register_id == RegisterEntry.id,
                    PrintRecord.batch_id == PrintBatch.id)
             .order_by(col(RegisterEntry.issuer), col(RegisterEntry.number), col(PrintRecord.id)))
    if issuer is not None:
        query = query.where(RegisterEntry.issuer == issuer)
    with Session(engine) as session:
        refs = {d.id: f"{d.number}/{d.symbol}" for d in session.exec(select(AwardDecision))}
        return [RegisterLine(e.number, r.name, refs[e.decision_id], b.at, b.mode,
                             "bản in lại" if p.reprint else "")
                for e, r, b, p in session.exec(query)]
