"""`thidua certificates report` goes through the page's council-report job: the real console
script writes the job's PDF (read back with pdftotext) and the XLSX, shows the job's progress
and ends naming the files; the job row holds the same PDF; a build already running (started
by the page) is joined, not run twice; bad options end with a plain reason and exit 1."""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO

import anyio
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from server.awards.context import AwardContext, engine_for, open_context
from server.awards.report_build import build_job
from server.awards.report_jobs import ReportParams, beat, start_or_join
from server.awards.tables import ReportJob
from server.cli import cli
from server.demo import prepare_demo
from server.settings import Settings
from tests.awards.world import seed_results
from tests.reports.pdftools import page_sizes_mm, pdf_text

THIDUA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "thidua"
ARGS = ["certificates", "report", "--number", "45", "--signer-name", "Lê Văn Bình",
        "--date", "2026-12-05"]


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the demo directory and scored results (copied for each test)."""
    data = tmp_path_factory.mktemp("report-cli") / "data"
    data.mkdir()
    settings = Settings(data_dir=data, secret_key="test-secret-key-0123456789abcdef",
                        log_level="WARNING")
    anyio.run(lambda: prepare_demo(settings))
    engine = create_engine(settings.store_url)
    seed_results(engine, communes=6)
    engine.dispose()
    return data


@pytest.fixture
def settings(seeded_dir: Path, tmp_path: Path) -> Settings:
    data = shutil.copytree(seeded_dir, tmp_path / "data")
    return Settings(data_dir=data, secret_key="test-secret-key-0123456789abcdef",
                    log_level="WARNING")


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    """The settings as THIDUA_* variables (nothing else of the caller's THIDUA_*)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
    return {**base, "THIDUA_DATA_DIR": str(settings.data_dir),
            "THIDUA_SECRET_KEY": settings.secret_key, "THIDUA_LOG_LEVEL": "WARNING"}


def _jobs(settings: Settings) -> list[ReportJob]:
    engine = create_engine(settings.store_url)
    with Session(engine) as session:
        rows = list(session.exec(select(ReportJob).order_by(col(ReportJob.id))))
    engine.dispose()
    return rows


def _thidua(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(THIDUA), *args], env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def test_the_cli_builds_through_the_job_and_names_the_files(
        env: dict[str, str], settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "bao-cao.pdf"
    done = _thidua([*ARGS, "-o", str(out)], env)
    assert done.returncode == 0, done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
    assert "Đã dựng xong" in done.stdout and "100%" in done.stdout  # the job's last step
    assert f"PDF:  {out}" in done.stdout and f"XLSX: {out.with_suffix('.xlsx')}" in done.stdout
    text = pdf_text(out)
    assert "Số: 45/BC-NHCS" in text and "Lê Văn Bình" in text and "05 tháng 12 năm 2026" in text
    sheets = load_workbook(out.with_suffix(".xlsx")).sheetnames
    assert "Không đề nghị" in sheets
    [job] = _jobs(settings)  # the CLI's build is a row of the page's job table
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert (job.status, job.slot, job.sha256, job.pdf) == ("done", None, digest, out.read_bytes())
    assert job.requested_by.startswith("local") and job.pages == len(page_sizes_mm(out)) > 1
    assert f"{job.pages} trang" in done.stdout and digest in done.stdout

    again = tmp_path / "lan-2.pdf"  # the same content again: the stored PDF, no second layout
    second = _thidua([*ARGS, "-o", str(again)], env)
    assert second.returncode == 0, second.stderr
    assert again.read_bytes() == out.read_bytes()
    assert [j.status for j in _jobs(settings)] == ["done", "done"]


def test_a_build_started_by_the_page_is_joined(env: dict[str, str], settings: Settings,
                                               tmp_path: Path) -> None:
    params = ReportParams(number="46", signed_on="2026-12-06", signer_title="GIÁM ĐỐC",
                          signer_name="Trần Thị Hoa")

    async def context() -> AwardContext:
        from sync.backends import load_store

        store = load_store(settings)
        await store.initialize()
        try:
            return await open_context(engine_for(settings), store)
        finally:
            await store.close()

    c = anyio.run(context)
    job, _ = start_or_join(c.engine, c.campaign, params, "chinhanh")  # as the page's request
    out = tmp_path / "bc.pdf"
    proc = subprocess.Popen([str(THIDUA), *ARGS, "-o", str(out)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def read(out: IO[str]) -> None:
        for line in out:
            lines.put(line)
        lines.put("(end of output)")

    def heart() -> None:  # the page's build is alive however slowly the command starts
        while not joined.wait(1.0):
            beat(c.engine, job)

    joined = threading.Event()
    threading.Thread(target=read, args=(proc.stdout,), daemon=True).start()
    threading.Thread(target=heart, daemon=True).start()
    try:
        first = lines.get(timeout=300)  # the CLI says it joined before the build runs
        joined.set()
        assert f"Đang có lần dựng số {job}" in first and "chinhanh" in first, first
        build_job(c, job, params)  # the page's build ends: the CLI takes its PDF
        assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        joined.set()
        proc.kill()
        proc.wait()
        c.engine.dispose()
    assert "Số: 46/BC-NHCS" in pdf_text(out) and "Trần Thị Hoa" in pdf_text(out)
    assert [j.id for j in _jobs(settings)] == [job]  # joined: no second build


@pytest.mark.parametrize(("extra", "message"), [
    (["--number", "45/BC"], "Số báo cáo chỉ ghi phần số"),
    (["--date", "05/12/2026"], "Ngày '05/12/2026' không hợp lệ"),
    (["--signer-name", "  "], "Cần họ tên người ký"),
    (["--previous", "1999"], "Không có đợt thi đua '1999' để so sánh"),
])
def test_bad_options_end_with_a_plain_reason(env: dict[str, str], tmp_path: Path,
                                             extra: list[str], message: str) -> None:
    out = tmp_path / "x.pdf"
    done = CliRunner().invoke(cli, [*ARGS, *extra, "-o", str(out)], env=env)
    assert done.exit_code == 1, done.output
    assert message in done.output and "Traceback" not in done.output
    assert not out.exists()
