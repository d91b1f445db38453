"""Build one council report job (in a worker thread, off the request): read the inputs,
make the content, and render it to PDF in one WeasyPrint pass, with progress in the job row.
The page `/branch/bao-cao` launches `build_job` and polls the row; the CLI starts the same job
(or joins the one running) and follows it in its own process (`follow_job`).

The content's sha256 (`fingerprint`) covers everything the PDF shows (results, proposals,
adjustments, bases, people, exclusions and the form's lines): a report whose content was
already rendered is served again from its stored PDF instead of being laid out twice, and a
stored report whose fingerprint no longer matches the current inputs is out of date.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import msgspec

from reports.council import CouncilReport, council_html

from .context import AwardContext
from .council import council_report
from .errors import AwardError
from .report_jobs import (
    JobView,
    ReportParams,
    beat,
    fail,
    finish,
    get_job,
    latest_done,
    view,
)

__all__ = ["build_job", "content", "fingerprint", "follow_job"]

log = logging.getLogger(__name__)
_RENDER = threading.Lock()  # one WeasyPrint layout at a time in this process
_DEFAULT_SECONDS = 20.0  # the first build's guess, before any build was timed


def content(c: AwardContext, params: ReportParams) -> CouncilReport:
    """The report ``params`` asks for, from the current inputs.

    :raises AwardError: ``params.previous`` is no campaign of the directory."""
    previous = params.previous
    if previous and previous not in c.names.campaigns:
        raise AwardError(f"Không có đợt thi đua {previous!r} để so sánh "
                         f"(có: {', '.join(sorted(c.names.campaigns))})")
    data = msgspec.structs.replace(
        c.report_defaults(number=params.number, signed_on=date.fromisoformat(params.signed_on)),
        signer_name=params.signer_name, signer_title=params.signer_title.replace("\\n", "\n"))
    return council_report(c.cset, c.proposals(), c.names, data, campaign=c.campaign,
                          previous=c.proposals(previous) if previous else None,
                          previous_campaign=c.names.campaigns.get(previous, previous),
                          people=c.proposed_people())


def fingerprint(report: CouncilReport) -> str:
    return hashlib.sha256(msgspec.json.encode(report)).hexdigest()


class _Bar:
    """Where the bar moves while the layout runs: from ``start`` to ``end`` over ``expected``
    seconds (the last build's duration), never past 95% of the way before it is done."""

    def __init__(self) -> None:
        self.span: tuple[int, int, float, float] | None = None  # start, end, expected, began

    def during(self, start: int, end: int, expected: float) -> None:
        self.span = (start, end, expected, time.monotonic())

    def progress(self) -> int | None:
        if self.span is None:
            return None
        start, end, expected, began = self.span
        return start + round((end - start) * min((time.monotonic() - began) / expected, 0.95))


@contextmanager
def _ticking(c: AwardContext, job_id: int) -> Iterator[_Bar]:
    """Beat every second for the whole build (a silent job is taken over as stopped)."""
    stop, bar = threading.Event(), _Bar()

    def tick() -> None:
        while not stop.wait(1.0):
            try:
                beat(c.engine, job_id, progress=bar.progress())
            except Exception:  # noqa: BLE001 - a missed beat must not stop the build
                log.warning("report job %s: heartbeat failed", job_id, exc_info=True)

    ticker = threading.Thread(target=tick, name=f"report-job-{job_id}", daemon=True)
    ticker.start()
    try:
        yield bar
    finally:
        stop.set()
        ticker.join()


def _render(report: CouncilReport) -> tuple[bytes, int]:
    from reports.pdf import render_document

    document = render_document(council_html(report))
    pdf = document.write_pdf()
    assert pdf is not None
    return pdf, len(document.pages)


def build_job(c: AwardContext, job_id: int, params: ReportParams) -> None:
    """Run job ``job_id`` to its end: done with the PDF stored, or failed with a reason in
    plain Vietnamese. Never raises."""
    began = time.monotonic()
    try:
        with _ticking(c, job_id) as bar:
            beat(c.engine, job_id, step="Đang đọc kết quả đã khóa, đề nghị và cá nhân",
                 progress=5)
            report = content(c, params)
            print_id = fingerprint(report)
            same = latest_done(c.engine, c.campaign, print_id)
            if same is not None and same.pdf:  # this very content was laid out before
                finish(c.engine, job_id, same.pdf, fingerprint=print_id, pages=same.pages,
                       seconds=time.monotonic() - began)
                return
            last = latest_done(c.engine, c.campaign)
            expected = max(last.seconds, 1.0) if last is not None else _DEFAULT_SECONDS
            beat(c.engine, job_id, step=f"Đang dàn trang và ghi PDF ({len(report.proposals)} "
                                        f"đề nghị, {len(report.thematic)} báo cáo thành tích)",
                 progress=25)
            with _RENDER:
                bar.during(25, 98, expected)
                pdf, pages = _render(report)
            finish(c.engine, job_id, pdf, fingerprint=print_id, pages=pages,
                   seconds=time.monotonic() - began)
    except AwardError as exc:
        fail(c.engine, job_id, f"Không dựng được báo cáo: {exc}.")
    except Exception as exc:  # noqa: BLE001 - the job must end, the reviewer must be told
        log.exception("council report job %s failed", job_id)
        try:
            fail(c.engine, job_id, "Không dựng được báo cáo do lỗi của máy chủ "
                                   f"({type(exc).__name__}). Hãy bấm dựng lại; nếu vẫn lỗi, "
                                   "báo quản trị hệ thống.")
        except Exception:  # noqa: BLE001 - the database is gone: the slot goes stale instead
            log.exception("council report job %s: could not record the failure", job_id)


def follow_job(c: AwardContext, job_id: int, params: ReportParams,
               show: Callable[[JobView], None], *, build: bool, poll: float = 0.5) -> JobView:
    """Follow job ``job_id`` to its end, ``show`` given its state every ``poll`` seconds,
    building it in this process when ``build`` (a job `start_or_join` just started here), else
    waiting for the build that runs elsewhere (one whose server stopped ends as failed once
    its heartbeat is stale). Returns its last state: done or failed."""
    worker = None
    if build:
        worker = threading.Thread(target=build_job, args=(c, job_id, params),
                                  name=f"report-build-{job_id}", daemon=True)
        worker.start()
    try:
        while True:
            row = get_job(c.engine, job_id)
            assert row is not None
            state = view(row)
            show(state)
            if state.status in ("done", "failed") and (worker is None or not worker.is_alive()):
                return state
            if worker is not None:
                worker.join(poll)
            else:
                time.sleep(poll)
    except BaseException:  # Ctrl-C: free the slot now rather than once the heartbeat is stale
        if worker is not None and worker.is_alive():
            fail(c.engine, job_id, "Lệnh dựng báo cáo đã bị dừng giữa chừng; hãy dựng lại.")
        raise
