"""The council report's build jobs in SQL (`council_report_job`): one build at a time per
campaign, joined by whoever asks meanwhile, taken over when its server stopped.

A job is inserted with ``slot="active"``; the unique (campaign, slot) pair makes a second
insert fail while one is queued or running, and the asker joins that one. A running job
beats its heart every second (`beat`); one silent for `STALE` is a build whose server stopped
(crash, restart): the next asker marks it failed and starts afresh, so nothing waits forever.
The finished PDF is written with its hash in the same commit that frees the slot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import msgspec
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .errors import AwardError
from .tables import ReportJob

__all__ = ["STALE", "JobView", "ReportParams", "active_job", "beat", "fail", "finish",
           "get_job", "latest_done", "report_params", "start_or_join", "view"]

STALE = timedelta(seconds=60)
ACTIVE = "active"
STOPPED = "Máy chủ đã dừng giữa lúc dựng báo cáo; báo cáo được dựng lại từ đầu."


class ReportParams(msgspec.Struct, frozen=True, kw_only=True):
    """What the reviewer typed in the report form."""

    number: str
    signed_on: str  # ISO date
    signer_title: str
    signer_name: str
    previous: str = ""


def report_params(form: Mapping[str, str]) -> ReportParams:
    """The report form's fields (the page's form, the CLI's options) checked and tidied.

    :raises AwardError: a missing number or signer, or a date that is not one."""
    number, signer = " ".join(form.get("number", "").split()), " ".join(
        form.get("signer_name", "").split())
    try:
        day = date.fromisoformat(form.get("signed_on", "")) if form.get("signed_on") else date.today()
    except ValueError:
        raise AwardError(f"Ngày {form.get('signed_on')!r} không hợp lệ (dạng năm-tháng-ngày)") from None
    missing = [what for what, value in (("số báo cáo", number), ("họ tên người ký", signer))
               if not value]
    if missing:
        raise AwardError(f"Cần {' và '.join(missing)}")
    if len(number) > 16 or "/" in number:
        raise AwardError("Số báo cáo chỉ ghi phần số (tối đa 16 ký tự, không có dấu /)")
    return ReportParams(number=number, signed_on=day.isoformat(),
                        signer_title=form.get("signer_title", "GIÁM ĐỐC").strip() or "GIÁM ĐỐC",
                        signer_name=signer, previous=form.get("previous", "").strip())


class JobView(msgspec.Struct, frozen=True, kw_only=True):
    """A job as the status endpoint answers it (no PDF bytes)."""

    id: int
    campaign: str
    status: str
    step: str
    progress: int
    error: str
    number: str
    requested_by: str
    created_at: datetime
    finished_at: datetime | None
    sha256: str
    fingerprint: str
    pages: int
    seconds: float
    size: int


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def view(job: ReportJob, now: datetime | None = None) -> JobView:
    assert job.id is not None
    status, error = job.status, job.error
    if job.slot == ACTIVE and (now or _now()) - _aware(job.heartbeat_at) > STALE:
        status, error = "failed", STOPPED  # not taken over yet: say so, never "running"
    params = msgspec.json.decode(job.params, type=ReportParams)
    return JobView(id=job.id, campaign=job.campaign, status=status, step=job.step,
                   progress=job.progress, error=error, number=params.number,
                   requested_by=job.requested_by, created_at=_aware(job.created_at),
                   finished_at=_aware(job.finished_at) if job.finished_at else None,
                   sha256=job.sha256, fingerprint=job.fingerprint, pages=job.pages,
                   seconds=job.seconds, size=len(job.pdf or b""))


def start_or_join(engine: Engine, campaign: str, params: ReportParams, user: str,
                  now: datetime | None = None) -> tuple[int, bool]:
    """(job id, True when it joined the build already running for ``campaign``)."""
    for _ in range(3):
        at = now or _now()
        with Session(engine) as session:
            active = session.exec(select(ReportJob).where(
                ReportJob.campaign == campaign, ReportJob.slot == ACTIVE)).first()
            if active is not None and at - _aware(active.heartbeat_at) <= STALE:
                assert active.id is not None
                return active.id, True
            if active is not None:  # its server stopped: free the slot, build afresh
                session.exec(update(ReportJob).where(  # type: ignore[call-overload]
                    col(ReportJob.id) == active.id, col(ReportJob.slot) == ACTIVE).values(
                    slot=None, status="failed", error=STOPPED, finished_at=at))
            job = ReportJob(campaign=campaign, slot=ACTIVE, params=msgspec.json.encode(
                params).decode(), status="queued", step="Đang chờ dựng", progress=1,
                requested_by=user, created_at=at, heartbeat_at=at)
            session.add(job)
            try:
                session.commit()
            except IntegrityError:  # another asker started one meanwhile: join it
                session.rollback()
                continue
            assert job.id is not None
            return job.id, False
    raise RuntimeError("report job slot contended")  # pragma: no cover - three lost races


def beat(engine: Engine, job_id: int, *, step: str | None = None,
         progress: int | None = None) -> None:
    """The job is alive (and at ``step``/``progress`` when given)."""
    values: dict[str, object] = {"heartbeat_at": _now(), "status": "running"}
    if step is not None:
        values["step"] = step
    if progress is not None:
        values["progress"] = max(0, min(progress, 99))
    with Session(engine) as session:
        session.exec(update(ReportJob).where(  # type: ignore[call-overload]
            col(ReportJob.id) == job_id, col(ReportJob.slot) == ACTIVE).values(**values))
        session.commit()


def finish(engine: Engine, job_id: int, pdf: bytes, *, fingerprint: str, pages: int,
           seconds: float) -> None:
    """Store the PDF with its hash and free the slot, in one commit."""
    with Session(engine) as session:
        session.exec(update(ReportJob).where(  # type: ignore[call-overload]
            col(ReportJob.id) == job_id).values(
            slot=None, status="done", step="Đã dựng xong", progress=100, pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(), fingerprint=fingerprint, pages=pages,
            seconds=round(seconds, 2), finished_at=_now(), heartbeat_at=_now()))
        session.commit()


def fail(engine: Engine, job_id: int, error: str) -> None:
    with Session(engine) as session:
        session.exec(update(ReportJob).where(  # type: ignore[call-overload]
            col(ReportJob.id) == job_id).values(
            slot=None, status="failed", error=error, finished_at=_now()))
        session.commit()


def get_job(engine: Engine, job_id: int) -> ReportJob | None:
    with Session(engine) as session:
        return session.get(ReportJob, job_id)


def latest_done(engine: Engine, campaign: str, fingerprint: str | None = None) -> ReportJob | None:
    """The newest finished report of ``campaign`` (with that content ``fingerprint``)."""
    query = select(ReportJob).where(ReportJob.campaign == campaign, ReportJob.status == "done")
    if fingerprint is not None:
        query = query.where(ReportJob.fingerprint == fingerprint)
    with Session(engine) as session:
        return session.exec(query.order_by(col(ReportJob.id).desc())).first()


def active_job(engine: Engine, campaign: str) -> ReportJob | None:
    with Session(engine) as session:
        return session.exec(select(ReportJob).where(
            ReportJob.campaign == campaign, ReportJob.slot == ACTIVE)).first()
