"""The council report built off the request: one build per campaign (a second asker joins
it), a build whose server stopped taken over, the stored PDF served with its hash, a stored
report out of date once its inputs change, an identical report served again without a new
layout, and a failed build told in plain Vietnamese."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session

from scoring import CriteriaSet
from scoring.demo import DemoProvince
from server.awards.report_build import build_job
from server.awards.report_jobs import STALE, ReportParams, get_job, start_or_join, view
from server.awards.tables import ReportJob
from tests.awards.conftest import Client, build_report, sign_in
from tests.reports.pdftools import pdf_text

PARAMS = ReportParams(number="45", signed_on="2026-12-05", signer_title="GIÁM ĐỐC",
                      signer_name="Lê Văn Bình")
FORM = {"number": "45", "signer_name": "Lê Văn Bình", "signed_on": "2026-12-05"}


def test_one_build_per_campaign_is_joined_and_a_stopped_one_taken_over(
        world: tuple[Engine, DemoProvince, CriteriaSet]) -> None:
    engine = world[0]
    first, joined = start_or_join(engine, "2026", PARAMS, "chinhanh")
    assert not joined
    again, joined = start_or_join(engine, "2026", PARAMS, "admin")
    assert (again, joined) == (first, True)
    other, joined = start_or_join(engine, "2025", PARAMS, "admin")  # another campaign: its own
    assert other != first and not joined
    later = datetime.now(UTC) + STALE + timedelta(seconds=1)  # the builder fell silent
    row = get_job(engine, first)
    assert row is not None and view(row, later).status == "failed"
    assert "Máy chủ đã dừng" in view(row, later).error
    fresh, joined = start_or_join(engine, "2026", PARAMS, "chinhanh", now=later)
    assert fresh != first and not joined
    stopped = get_job(engine, first)
    assert stopped is not None and stopped.status == "failed" and stopped.slot is None


async def test_a_failed_build_ends_with_a_plain_reason(client: Client) -> None:
    from server.awards.pages import _context

    assert await sign_in(client, "chinhanh", "chinhanh-demo") == 302
    await client.get("/branch/")  # the context is opened by a page
    c = await _context(type("R", (), {"app": client.app})())  # type: ignore[arg-type]
    bad = ReportParams(number="1", signed_on="2026-13-45", signer_title="GĐ", signer_name="A B")
    job, _ = start_or_join(c.engine, c.campaign, bad, "chinhanh")
    build_job(c, job, bad)
    status = (await client.get(f"/branch/bao-cao/trang-thai/{job}")).json()
    assert status["status"] == "failed" and "Không dựng được báo cáo" in status["error"]
    assert "Traceback" not in status["error"]
    page = await client.get("/branch/bao-cao", params={"job": job})
    assert status["error"] in page.text  # shown on the page as an alert
    assert (await client.get(f"/branch/bao-cao/tep/{job}")).status_code == 404


async def test_the_stored_report_is_served_with_its_hash_and_marked_out_of_date(
        client: Client, tmp_path: Path) -> None:
    assert await sign_in(client, "chinhanh", "chinhanh-demo") == 302
    bad = await client.post("/branch/bao-cao/dung", data={**FORM, "signer_name": " "})
    assert bad.status_code == 400 and "Cần họ tên người ký" in bad.text
    bad = await client.post("/branch/bao-cao/dung", data={**FORM, "signed_on": "05/12/2026"})
    assert bad.status_code == 400 and "không hợp lệ" in bad.text
    bad = await client.get("/branch/bao-cao/tai-ve", params={**FORM, "format": "xlsx",
                                                             "previous": "1999"})
    assert bad.status_code == 400 and "Không có đợt thi đua &#39;1999&#39;" in bad.text
    job, pdf = await build_report(client, FORM)
    path = tmp_path / "bc.pdf"
    path.write_bytes(pdf)
    assert "Số: 45/BC-NHCS" in pdf_text(path)
    served = await client.get(f"/branch/bao-cao/tep/{job}")
    import hashlib

    digest = hashlib.sha256(pdf).hexdigest()
    assert served.headers["etag"] == f'"{digest}"' and served.headers["x-content-sha256"] == digest
    assert "last-modified" in served.headers
    cached = await client.get(f"/branch/bao-cao/tep/{job}", headers={"If-None-Match": f'"{digest}"'})
    assert cached.status_code == 304
    page = await client.get("/branch/bao-cao")
    assert digest in page.text and "khớp với kết quả" in page.text and "đã cũ" not in page.text

    again, same = await build_report(client, FORM)  # the same content: no second layout
    assert again != job and same == pdf
    row = get_job(client.app.state["awards_engine"], again)
    assert row is not None and row.seconds < 30

    first = (await client.get("/branch/de-nghi")).text.split('<span class="note">')[1].split("<")[0]
    r = await client.post("/branch/de-nghi/dieu-chinh", data={
        "award": "GK-XA", "unit": first, "action": "remove", "reason": "Đơn vị xin rút"})
    assert r.status_code == 200
    stale = await client.get("/branch/bao-cao")
    assert "Báo cáo này đã cũ" in stale.text and "Dựng lại với số liệu hiện tại" in stale.text
    _, rebuilt = await build_report(client, FORM)
    assert rebuilt != pdf
    path.write_bytes(rebuilt)
    assert "Đơn vị xin rút" in " ".join(pdf_text(path).split())
    assert "khớp với kết quả" in (await client.get("/branch/bao-cao")).text


def test_a_done_job_frees_the_slot(world: tuple[Engine, DemoProvince, CriteriaSet]) -> None:
    engine = world[0]
    job, _ = start_or_join(engine, "2026", PARAMS, "chinhanh")
    with Session(engine) as s:
        s.exec(update(ReportJob).where(ReportJob.id == job).values(  # type: ignore[call-overload, arg-type]
            slot=None, status="done"))
        s.commit()
    nxt, joined = start_or_join(engine, "2026", PARAMS, "chinhanh")
    assert nxt != job and not joined
