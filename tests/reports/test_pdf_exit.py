"""A process that rendered PDFs ends cleanly: no "Exception ignored" from WeasyPrint's font
configuration at interpreter exit, and no temporary font folder left behind, neither by the
process nor by the certificate pool's workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The reports modules stay referenced until interpreter teardown (a daemon thread holds them,
# as a server's or a test runner's threads do): the case where the configuration used to be
# finalized after WeasyPrint's own module had been cleared.
SCRIPT = """
import threading, time
import reports.certificates as certificates
from reports import certificates_pool, pdf
from tests.reports.test_certificate_pdfs import cert

threading.Thread(target=lambda: (pdf, certificates, time.sleep(600)), daemon=True).start()
assert pdf.html_to_pdf("<p>Giấy khen</p>").startswith(b"%PDF")
certificates.PARALLEL_FROM = 2
batch = [cert(register=f"Số sổ vàng: {i}") for i in range(4)]
layout = certificates.default_layout("giay_khen")
assert certificates.certificates_pdf(batch, layout, "blank", workers=2).startswith(b"%PDF")
certificates_pool.shutdown()
print("rendered")
"""


def test_no_font_clean_up_error_nor_leftover_at_exit(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "rendered" in done.stdout, done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
    assert not list(tmp_path.glob("weasyprint-*")), "temporary font folders left behind"
