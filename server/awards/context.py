"""What every award command and page needs: the SQL engine, the directory names, the
campaign's criteria set, and the branch's defaults (issuer key and lines, place)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import msgspec
from sqlalchemy import Engine, create_engine

from scoring import CriteriaSet, load_shipped
from server.audit_tables import install_audit_table
from server.exclusions import active_exclusions
from server.results import install_result_tables
from server.settings import Settings
from sync.store import DocumentStore

from .council import ReportInput
from .decisions import DecisionInput, RecipientInput
from .directory import Names, load_names
from .errors import AwardError
from .people import list_people, person_recipient
from .proposals import ProposalList, proposals
from .tables import AwardPerson, install_award_tables

__all__ = ["AwardContext", "engine_for", "open_context"]


class AwardContext(msgspec.Struct, frozen=True, kw_only=True):
    engine: Engine
    names: Names
    cset: CriteriaSet
    campaign: str
    period: str
    province: str  # "Tỉnh An Giang"
    branch: str  # branch code
    flags: dict[str, dict[str, object]]  # unit -> award flags (from the directory)
    excluded: frozenset[str] = frozenset()  # subjects with an active exclusion (Art. 4(4))

    def proposals(self, campaign: str | None = None) -> ProposalList:
        """The proposal list of ``campaign`` (default: this one) with the units' flags."""
        chosen = campaign or self.campaign
        return proposals(self.engine, self.cset, chosen, self.period_of(chosen), self.flags,
                         self.earlier(chosen))

    def recipients(self, award: str, units: Sequence[str] = ()) -> list[RecipientInput]:
        """Recipients of a decision for ``award``: ``units`` when given, else its proposals
        (units) and the people proposed for it, except those held out (NĐ 152 Art. 4(4))."""
        if units:
            return [self.names.recipient(u) for u in units]
        chosen = [self.names.recipient(p.unit) for p in self.proposals().proposals
                  if p.award == award]
        return chosen + [person_recipient(p) for p in self.proposed_people()
                         if p.award == award]

    def proposed_people(self) -> list[AwardPerson]:
        """The people proposed for an award, except those held out (NĐ 152 Art. 4(4))."""
        return [p for p in list_people(self.engine, self.campaign)
                if p.award and f"person:{p.id}" not in self.excluded]

    def earlier(self, campaign: str) -> list[tuple[str, str, str]]:
        """(id, first period, name) of the campaigns of earlier years, the latest first."""
        docs = {d["id"]: d for d in self.names.of_kind("campaign")}
        year = docs.get(campaign, {}).get("year")
        if not isinstance(year, int):
            return []
        found = sorted((d for d in docs.values() if isinstance(d.get("year"), int)
                        and d["year"] < year and d.get("periods")),
                       key=lambda d: d["year"], reverse=True)
        return [(str(d["id"]), str(d["periods"][0]["id"]), str(d["name"])) for d in found]

    @property
    def place(self) -> str:
        return self.province.removeprefix("Tỉnh ").removeprefix("Thành phố ")

    def period_of(self, campaign: str) -> str:
        """The first period of ``campaign`` (the current one's when unknown)."""
        for doc in self.names.of_kind("campaign"):
            if doc["id"] == campaign and doc.get("periods"):
                return str(doc["periods"][0]["id"])
        return self.period

    @property
    def issuer(self) -> str:
        return f"branch:{self.branch}"

    def decision_defaults(self, award: str, *, number: str = "", signed_on: date | None = None,
                          kind: str = "giay_khen") -> DecisionInput:
        """A Giấy khen of the branch director for ``award`` (every line editable)."""
        title = self.names.campaigns.get(self.campaign, self.campaign)
        return DecisionInput(
            campaign=self.campaign, period=self.period, award=award, kind=kind, number=number,
            symbol="QĐ-NHCS", signed_on=signed_on or date.today(), place=self.place,
            issuer=self.issuer,
            issuer_line=f"GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI {self.province.upper()}",
            signer_title="GIÁM ĐỐC", signer_name="",
            achievement=f"Đã có thành tích xuất sắc trong phong trào {title[0].lower()}{title[1:]}")

    def report_defaults(self, *, number: str = "", signed_on: date | None = None) -> ReportInput:
        province = self.province[0].lower() + self.province[1:]
        return ReportInput(
            number=number, signed_on=signed_on or date.today(), place=self.place,
            body=f"CHI NHÁNH {self.province.upper()}",
            addressee=f"Thường trực Hội đồng Thi đua – Khen thưởng {province}",
            signer_title="GIÁM ĐỐC", signer_name="")


def engine_for(settings: Settings) -> Engine:
    """The accounts/results database, with the award tables installed."""
    url = settings.store_url
    args = {"check_same_thread": False, "timeout": 30} if url.startswith("sqlite") else {}
    engine = create_engine(url, connect_args=args, pool_pre_ping=True)
    install_audit_table(engine)
    install_result_tables(engine)
    install_award_tables(engine)
    return engine


async def open_context(engine: Engine, store: DocumentStore,
                       campaign: str | None = None) -> AwardContext:
    """:raises AwardError: no campaign in the directory, or an unknown one."""
    names = await load_names(store)
    campaigns = {d["id"]: d for d in names.of_kind("campaign")}
    if not campaigns:
        raise AwardError("Chưa có đợt thi đua nào trong danh mục (config)")
    chosen = campaign or max(campaigns)
    if chosen not in campaigns:
        raise AwardError(f"Không có đợt thi đua {chosen!r} (có: {', '.join(sorted(campaigns))})")
    doc = campaigns[chosen]
    provinces = names.of_kind("province")
    branches = names.of_kind("branch")
    return AwardContext(
        engine=engine, names=names, cset=load_shipped(doc["criteria_version"]),
        campaign=chosen, period=doc["periods"][0]["id"],
        province=str(provinces[0]["name"]) if provinces else "",
        branch=str(branches[0]["code"]) if branches else "", flags=names.flags(),
        excluded=frozenset(await active_exclusions(store)))
