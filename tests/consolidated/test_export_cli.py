"""`thidua export` on the seeded world: files that open with Vietnamese headers and text."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from server.cli import cli
from server.settings import Settings
from tests.reports.pdftools import pdf_text


def _run(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(cli, ["export", *args],
                                env={"THIDUA_DATA_DIR": str(settings.data_dir),
                                     "THIDUA_LOG_LEVEL": "WARNING"})
    assert result.exit_code == 0, result.output
    return result.output


def test_national_ranking_xlsx_csv_and_office_pdf(world_copy: Settings, tmp_path: Path) -> None:
    xlsx = tmp_path / "xep-hang.xlsx"
    output = _run(world_copy, "rankings", "--out", str(xlsx))
    done = re.search(r"(\d+)/(\d+)", output)  # the progress bar, complete
    assert done and done[1] == done[2] and f"{int(done[1]):,} rows (xlsx)" in output
    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["Tổ TK&VV", "Hội đoàn thể cấp xã", "Trưởng ấp, khu phố",
                             "Điểm giao dịch xã"]
    rows = list(wb["Tổ TK&VV"].iter_rows(values_only=True))
    assert rows[0][0].startswith("Xếp hạng — Thi đua thực hiện tín dụng chính sách xã hội năm 2026")
    assert "Toàn quốc" in rows[0][0]
    assert rows[1][:3] == ("Hạng", "Mã đơn vị", "Tên đơn vị") and rows[2][0] == 1
    ranks = [r[0] for r in rows[2:] if r[0] is not None]
    assert ranks == sorted(ranks)
    csv_path = tmp_path / "units.csv"
    _run(world_copy, "units", "--kind", "association_commune", "--out", str(csv_path))
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:3] == ["Mã đơn vị", "Tên đơn vị", "Xã, phường"]
    assert any(r[1].startswith("Hội LHPN") for r in table[1:])
    pdf = tmp_path / "tong-hop.pdf"
    _run(world_copy, "summary", "--level", "pgd", "--out", str(pdf))
    text = pdf_text(pdf)
    assert "Tổng hợp theo phòng giao dịch" in text and "PGD NHCSXH" in text and "Tốt" in text


def test_bad_options_get_a_plain_error(world_copy: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "rankings", "--scope", "commune", "--out",
                                      str(tmp_path / "x.xlsx")],
                                env={"THIDUA_DATA_DIR": str(world_copy.data_dir)})
    assert result.exit_code == 2 and "needs a scope id" in result.output
    result = CliRunner().invoke(cli, ["export", "rankings", "--campaign", "1999", "--out",
                                      str(tmp_path / "x.xlsx")],
                                env={"THIDUA_DATA_DIR": str(world_copy.data_dir)})
    assert result.exit_code == 2 and "1999" in result.output
