"""The council report's content from a campaign's results and proposals (`reports.council`
renders it; this module only reads and counts)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date

import msgspec

from reports.council import (
    ClassRow,
    Comparison,
    CouncilReport,
    CriterionLine,
    DocHeader,
    KindBlock,
    NotProposedRow,
    ProposalRow,
    Signer,
    ThematicReport,
)
from scoring import CriteriaSet
from server.results import ResultView

from .directory import Names
from .proposals import ProposalList
from .tables import AwardPerson

__all__ = ["ReportInput", "council_report"]

INDIVIDUAL_KINDS = frozenset({"hamlet_head", "staff"})


class ReportInput(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    signed_on: date
    place: str
    parent_body: str = "NGÂN HÀNG CHÍNH SÁCH XÃ HỘI"
    body: str
    addressee: str
    signer_title: str
    signer_name: str
    symbol: str = "BC-NHCS"
    recipients: tuple[str, ...] = ("Như trên", "Ban Giám đốc", "Lưu: VT, KHNV")


def _classes(cset: CriteriaSet, kind: str) -> tuple[str, ...]:
    return tuple(b.label_vi for b in cset.classification_scales[cset.unit_kinds[kind].scale].bands)


def _rows(results: Sequence[ResultView], classes: tuple[str, ...], key: str,
          name: object) -> tuple[ClassRow, ...]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        counts[getattr(r, key)][r.classification] += 1
    return tuple(ClassRow(name(code), tuple(c[k] for k in classes))  # type: ignore[operator]
                 for code, c in sorted(counts.items()))


def _block(cset: CriteriaSet, kind: str, results: Sequence[ResultView], names: Names,
           previous: Sequence[ResultView] | None, previous_name: str) -> KindBlock:
    classes = _classes(cset, kind)
    mine = [r for r in results if r.unit_kind == kind]
    counter = Counter(r.classification for r in mine)
    comparison = None
    if previous is not None:
        before = Counter(r.classification for r in previous if r.unit_kind == kind)
        comparison = Comparison(previous_name, tuple(before[c] for c in classes))
    return KindBlock(
        label=cset.unit_kinds[kind].label_vi, classes=classes, scored=len(mine),
        locked=sum(r.sheet_status == "locked" for r in mine),
        excluded=sum(bool(r.excluded) for r in mine),
        average=round(sum(r.total for r in mine) / len(mine)) if mine else 0,
        counts=tuple(counter[c] for c in classes),
        by_office=_rows(mine, classes, "office_code", names.office),
        by_commune=_rows(mine, classes, "commune_code", names.commune),
        comparison=comparison)


def council_report(cset: CriteriaSet, plist: ProposalList, names: Names, data: ReportInput, *,
                   campaign: str, previous: ProposalList | None = None,
                   previous_campaign: str = "",
                   people: Sequence[AwardPerson] = ()) -> CouncilReport:
    """The report of ``campaign``: every kind with results, the proposals (units, then the
    ``people`` proposed), the left-out units with their reasons, and a thematic achievement
    report per proposed collective."""
    results = plist.results
    kinds = [k for k in cset.unit_kinds if any(r.unit_kind == k for r in results)]
    prev = previous.results if previous is not None else None
    by_unit = {r.unit: r for r in results}
    rows = []
    thematic = []
    for p in plist.proposals:
        r = by_unit[p.unit]
        place = names.place(r.commune_code, r.office_code)
        rows.append(ProposalRow(level=p.level_vi, name=names.unit(p.unit), kind=p.kind,
                                place=place, total=p.total, classification=p.classification,
                                rank=p.rank, note="; ".join(
                                    n for n in (f"Căn cứ: {p.basis}" if p.basis else "",
                                                f"Điều chỉnh: {p.adjusted}" if p.adjusted else "")
                                    if n)))
        if p.kind not in INDIVIDUAL_KINDS:
            rank_line = (f"xếp hạng {p.rank} trong {names.scope(p.scope_type, p.scope_id)}"
                         if p.rank else "được bổ sung khi xét duyệt")
            thematic.append(ThematicReport(
                name=names.unit(p.unit), place=place, level=p.level_vi, total=r.total,
                max_total=r.max_total, classification=r.classification, rank_line=rank_line,
                criteria=tuple(CriterionLine(c.label_vi, c.points, c.max_points, c.explanation)
                               for c in r.criteria)))
    levels = {a.id: a.level_vi for a in cset.awards}
    rows += [ProposalRow(level=levels.get(person.award, person.award),
                         name=f"{person.salutation.rstrip(':')} {person.name}", kind="person",
                         place=person.position_line, total=None, classification="", rank=None,
                         note=f"Cá nhân: {person.reason}")
             for person in people if person.award]
    header = DocHeader(parent_body=data.parent_body, body=data.body, number=data.number,
                       symbol=data.symbol, place=data.place, signed_on=data.signed_on,
                       title="BÁO CÁO",
                       summary=f"Kết quả chấm điểm, phân loại và đề nghị khen thưởng "
                               f"{names.campaigns.get(campaign, campaign).lower()}",
                       addressee=data.addressee)
    return CouncilReport(
        header=header, campaign=f"phong trào {names.campaigns.get(campaign, campaign).lower()}",
        kinds=tuple(_block(cset, k, results, names, prev, previous_campaign) for k in kinds),
        proposals=tuple(rows),
        not_proposed=tuple(NotProposedRow(names.unit(n.unit), n.reason_vi)
                           for n in plist.not_proposed),
        thematic=tuple(thematic),
        signer=Signer(data.signer_title, data.signer_name, data.recipients))
