"""The council report (báo cáo tổng hợp) to the Standing Committee of the Emulation-Rewards
Council, and the thematic achievement report of each proposed collective, as PDF.

Input only: a `CouncilReport` built by the caller from locked results (`server.awards`).
Layout of the header follows Vietnamese administrative documents (NĐ 30/2020, appendix I):
issuing body top left with the number and symbol under it, national motto top right with
place and date under it, then the document kind and its summary, the addressee, the body,
the signature block with "Nơi nhận". The XLSX twin is `reports.council_xlsx`.
"""

from __future__ import annotations

from datetime import date

import msgspec

from scoring.numbers import format_points

from .charts import stacked_bars
from .pdf import environment, html_to_pdf

__all__ = [
    "ClassRow", "Comparison", "CouncilReport", "CriterionLine", "DocHeader", "KindBlock",
    "NotProposedRow", "ProposalRow", "Signer", "ThematicReport", "council_html", "council_pdf",
]


class DocHeader(msgspec.Struct, frozen=True, kw_only=True):
    parent_body: str  # "NGÂN HÀNG CHÍNH SÁCH XÃ HỘI"
    body: str  # "CHI NHÁNH THÀNH PHỐ CẦN THƠ"
    number: str
    symbol: str  # "BC-NHCS"
    place: str
    signed_on: date
    title: str  # "BÁO CÁO"
    summary: str  # "Tổng hợp kết quả chấm điểm thi đua … và đề nghị khen thưởng"
    addressee: str  # "Thường trực Hội đồng Thi đua – Khen thưởng thành phố Cần Thơ"


class ClassRow(msgspec.Struct, frozen=True):
    name: str
    counts: tuple[int, ...]  # per class, in `KindBlock.classes` order

    @property
    def total(self) -> int:
        return sum(self.counts)


class Comparison(msgspec.Struct, frozen=True):
    previous: str  # the previous campaign's name
    previous_counts: tuple[int, ...]


class KindBlock(msgspec.Struct, frozen=True, kw_only=True):
    """One unit kind: its class scale, totals, and the distribution per office and commune."""

    label: str
    classes: tuple[str, ...]
    scored: int
    locked: int
    excluded: int
    average: int  # tenths
    counts: tuple[int, ...]
    by_office: tuple[ClassRow, ...]
    by_commune: tuple[ClassRow, ...]
    comparison: Comparison | None = None


class ProposalRow(msgspec.Struct, frozen=True, kw_only=True):
    level: str
    name: str
    kind: str
    place: str  # commune / office of the unit (a person: position and unit)
    total: int | None  # tenths (None for a person: individuals are not scored)
    classification: str
    rank: int | None
    note: str = ""


class NotProposedRow(msgspec.Struct, frozen=True):
    name: str
    reason: str


class CriterionLine(msgspec.Struct, frozen=True):
    label: str
    points: int
    max_points: int
    explanation: str


class ThematicReport(msgspec.Struct, frozen=True, kw_only=True):
    """The thematic achievement report (báo cáo thành tích theo chuyên đề) of one collective."""

    name: str
    place: str
    level: str
    total: int
    max_total: int
    classification: str
    rank_line: str
    criteria: tuple[CriterionLine, ...]


class Signer(msgspec.Struct, frozen=True):
    title: str
    name: str
    recipients: tuple[str, ...]  # "Nơi nhận"


class CouncilReport(msgspec.Struct, frozen=True, kw_only=True):
    header: DocHeader
    campaign: str  # the movement's name
    kinds: tuple[KindBlock, ...]
    proposals: tuple[ProposalRow, ...]
    not_proposed: tuple[NotProposedRow, ...]
    thematic: tuple[ThematicReport, ...]
    signer: Signer


def _pct(n: int, total: int) -> str:
    return f"{n * 100 / total:.1f}".replace(".", ",") + "%" if total else "–"


def council_html(report: CouncilReport) -> str:
    env = environment()
    charts = {
        k.label: (stacked_bars([(r.name, r.counts) for r in k.by_office], k.classes),
                  stacked_bars([(r.name, r.counts) for r in k.by_commune], k.classes, bar=3.2))
        for k in report.kinds
    }
    return env.get_template("council.html.j2").render(r=report, charts=charts, pct=_pct,
                                                      points=format_points)


def council_pdf(report: CouncilReport) -> bytes:
    """The report, then one thematic achievement report per proposed collective (A4)."""
    return html_to_pdf(council_html(report))
