"""Certificate benchmark: 1,000 Giấy khen of one decision into one PDF, target < 15 s.

Measures, in the same run and on the same certificates:
* ours: `reports.certificates.certificates_pdf`, the production path: the batch split into page
  ranges over every core (`reports.certificates_pool`, a warm pool as in a running server; its
  start-up is timed apart), each range laid out 100 pages at a time and written once, the
  range PDFs joined with pypdf; in print-on-blank and full-page modes, and in one process;
* the whole print path `server.awards.print_decision` (register numbers in the same SQLite
  transaction) for the same decision;
* the naive peer: one WeasyPrint document (and PDF) per certificate.
Usage: ``.venv/bin/python bench/certificates.py [--count 1000] [--naive-count N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine  # noqa: E402

from reports.certificates import (  # noqa: E402
    Certificate,
    certificates_html,  # noqa: E402
    certificates_pdf,
    check_fits,
    default_layout,
)
from reports.certificates_pool import cores, render_parallel  # noqa: E402
from reports.pdf import html_to_pdf  # noqa: E402
from scoring import load_shipped  # noqa: E402
from server.audit_tables import install_audit_table  # noqa: E402
from server.awards import (  # noqa: E402
    DecisionInput,
    RecipientInput,
    create_decision,
    install_award_tables,
    print_decision,
)

TARGET_S = 15.0
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi")
GIVEN = ("Thị Ánh Tuyết", "Văn Minh", "Thanh Bình", "Thị Hồng Nhung", "Quốc Việt", "Kim Yến")


def certificate(i: int) -> Certificate:
    return Certificate(
        kind="giay_khen",
        issuer="GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI TỈNH AN GIANG",
        salutation="Tập thể:", name=f"Tổ TK&VV số {i % 40 + 1} ấp Phú Hòa {i}",
        position=f"Xã Óc Hòa, PGD NHCSXH Châu Thành {i % 7}",
        achievement="Đã có thành tích xuất sắc trong phong trào thi đua thực hiện tín dụng "
                    "chính sách xã hội năm 2026",
        place_date="An Giang, ngày 05 tháng 12 năm 2026", signer_title="GIÁM ĐỐC",
        signer_name="Lê Văn Bình", decision="Quyết định số 125/QĐ-NHCS ngày 05/12/2026",
        register=f"Số sổ vàng: {i + 1}")


def timed(label: str, work, pages: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    work()
    took = time.perf_counter() - start
    print(f"{label:<58} {took:8.2f} s  {pages / took:7.1f} pages/s", flush=True)
    return took


def whole_path(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/b.sqlite3", connect_args={"timeout": 30})
        install_audit_table(engine)
        install_award_tables(engine)
        cset = load_shipped("vbsp-2026")
        data = DecisionInput(
            campaign="2026", period="2026", award="GK-XA", kind="giay_khen", number="125",
            symbol="QĐ-NHCS", signed_on=date(2026, 12, 5), place="An Giang", issuer="bench",
            issuer_line="GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI TỈNH AN GIANG",
            signer_title="GIÁM ĐỐC", signer_name="Lê Văn Bình",
            achievement="Đã có thành tích xuất sắc trong phong trào thi đua năm 2026")
        people = [RecipientInput(unit=f"person:{i}", salutation="Ông/Bà:",
                                 name=f"{FAMILY[i % 8]} {GIVEN[i % 6]}",
                                 position_line=f"Trưởng ấp {i}, Xã Óc Hòa")
                  for i in range(count)]
        did = create_decision(engine, cset, data, people, "bench")
        out = print_decision(engine, cset, did, mode="blank", user="bench")
        assert out.numbers[-1][1] == count
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--naive-count", type=int, default=None,
                        help="certificates for the naive peer (default: --count)")
    args = parser.parse_args()
    count, naive = args.count, args.naive_count or args.count
    certs = [certificate(i) for i in range(count)]
    layout = default_layout("giay_khen")
    print(f"{count} Giấy khen (A4 landscape), {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    html_to_pdf("<p>khởi động</p>")  # fonts parsed once, as in a running server
    timed("pool start-up (first batch of a server process, 2 pages)",
          lambda: render_parallel([(c, check_fits(c, layout)) for c in certs[:2]], layout,
                                  "blank", cores()), 2)
    ours = timed(f"ours, print on blank, one PDF ({cores()} processes)",
                 lambda: certificates_pdf(certs, layout, "blank"), count)
    timed("ours, full page preview, one PDF", lambda: certificates_pdf(certs, layout, "full"), count)
    timed("ours, print on blank, one process", lambda: certificates_pdf(certs, layout, "blank",
                                                                        workers=1), count)
    timed("ours, print_decision (register numbers, SQLite), blank", lambda: whole_path(count),
          count)
    subset = certs[:naive]
    naive_s = timed(f"naive, one WeasyPrint document per certificate ({naive}), blank",
                    lambda: [html_to_pdf(certificates_html([c], layout, "blank")) for c in subset],
                    naive)
    per_1000 = naive_s / naive * 1000
    print(f"naive for 1,000: {per_1000:.1f} s ({'measured' if naive >= 1000 else 'scaled from ' + str(naive)})")
    print(f"target < {TARGET_S:.0f} s for 1,000 on blank: {'met' if ours / count * 1000 < TARGET_S else 'NOT met'}"
          f" ({ours / count * 1000:.1f} s); speed-up over naive {per_1000 / (ours / count * 1000):.1f}x")


if __name__ == "__main__":
    main()
