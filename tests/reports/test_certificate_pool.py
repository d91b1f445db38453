"""A batch split over worker processes gives the pages of the one-process path: same text in
the same order, same page sizes, the bundled fonts embedded."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

import reports.certificates as certificates
from reports import certificates_pool
from reports.certificates import DoesNotFit, certificates_pdf, default_layout
from tests.reports.pdftools import fonts, page_sizes_mm, pdf_text
from tests.reports.test_certificate_pdfs import SIZES, cert


@pytest.mark.parametrize(("kind", "mode"), [("giay_khen", "blank"), ("bang_khen", "full")])
def test_split_batch_matches_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         kind: str, mode: str) -> None:
    monkeypatch.setattr(certificates, "PARALLEL_FROM", 2)
    batch = [cert(kind, name=f"Tổ TK&VV số {i} Ấp Đông Kênh", register=f"Số sổ vàng: {i + 1}")
             for i in range(5)]
    layout = default_layout(kind)  # type: ignore[arg-type]
    done: list[int] = []
    split = tmp_path / "split.pdf"
    split.write_bytes(certificates_pdf(batch, layout, mode, done.append, workers=2))  # type: ignore[arg-type]
    one = tmp_path / "one.pdf"
    one.write_bytes(certificates_pdf(batch, layout, mode, workers=1))  # type: ignore[arg-type]
    text = pdf_text(split)
    assert text == pdf_text(one)
    places = [text.index(f"Số sổ vàng: {i + 1}") for i in range(5)]
    assert places == sorted(places)  # pages in batch order
    assert page_sizes_mm(split) == [SIZES[kind]] * 5
    listed = fonts(split)
    assert listed and all(embedded and "Thidua" in name for name, embedded in listed), listed
    assert done[-1] == 5 and done == sorted(done)
    certificates_pool.shutdown()


def test_split_batch_checks_every_page_before_any_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certificates, "PARALLEL_FROM", 2)
    monkeypatch.setattr(certificates_pool, "render_parallel", pytest.fail)
    batch = [cert(), msgspec.structs.replace(cert(), name="Tổ tiết kiệm và vay vốn " * 6)]
    with pytest.raises(DoesNotFit):
        certificates_pdf(batch, default_layout("giay_khen"), "blank", workers=2)
