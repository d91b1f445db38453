"""`/api/results`: consolidated results for signed-in users, within their territory.

Summaries by level, unit tables (filters, sorting, server-side paging), one unit's
drill-down, rankings with year-over-year, and exports (XLSX, CSV, PDF) of each of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import PathParameter, QueryParameter

from server.controllers.admin import error_specs
from server.results.read import get_result

from .context import context, filters, signed_in
from .detail import UnitDetail, unit_detail
from .exports import FORMATS, ranking_report, render, summary_report, units_report
from .query import Level, Summary, UnitPage, summary, unit_page
from .ranks import RankRow, rank_rows

__all__ = ["ResultsController"]

Code = Annotated[str | None, QueryParameter(max_length=32, pattern=r"^[0-9A-Za-z_-]+$")]
Kind = Annotated[str | None, QueryParameter(max_length=32, pattern=r"^[a-z_]+$")]
Campaign = Annotated[str | None, QueryParameter(max_length=64)]
Period = Annotated[str | None, QueryParameter(max_length=32)]
SortKey = Literal["rank", "-total", "total", "unit", "-unit", "classification", "scored_at",
                  "-scored_at"]
Sort = Annotated[SortKey, QueryParameter()]
LevelParam = Annotated[Level, QueryParameter()]
ScopeType = Annotated[Literal["commune", "pgd", "province", "national"], QueryParameter()]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
Fmt = Annotated[Literal["xlsx", "csv", "pdf"], QueryParameter()]


class RankingPage(msgspec.Struct):
    scope_type: str
    scope_id: str | None
    unit_kind: str
    previous_campaign: str | None
    rows: list[RankRow]


async def _thread(fn: Any, *args: Any) -> Any:
    try:
        return await anyio.to_thread.run_sync(fn, *args)
    except ValueError as exc:
        raise ClientException(str(exc)) from None


def _download(data: bytes, fmt: str, stem: str) -> Response[bytes]:
    name = f"{stem}-{datetime.now(UTC):%Y%m%d}.{fmt}"
    return Response(data, media_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


class ResultsController(Controller):
    path = "/api/results"
    tags = ["results"]
    guards = [signed_in]

    @get("/summary", operation_id="resultsSummary", responses=error_specs())
    async def summary(
        self, request: Request[Any, Any, Any], level: LevelParam = "commune",
        campaign: Campaign = None, period: Period = None, unit_kind: Kind = None,
        province: Code = None, office: Code = None, commune: Code = None,
    ) -> Summary:
        """Per place of `level` (province, pgd, commune, hamlet) and unit kind: units to
        score, scored and locked counts, points sum and average (tenths), class counts."""
        ctx = await context(request)
        f = filters(ctx, campaign, period, unit_kind=unit_kind, province=province,
                    office=office, commune=commune)
        result: Summary = await _thread(summary, ctx.engine, ctx.directory, level, f)
        return result

    @get("/units", operation_id="resultsUnits", responses=error_specs())
    async def units(
        self, request: Request[Any, Any, Any], campaign: Campaign = None, period: Period = None,
        unit_kind: Kind = None, province: Code = None, office: Code = None,
        commune: Code = None, hamlet: Code = None,
        classification: Annotated[str | None, QueryParameter(max_length=64)] = None,
        status: Annotated[Literal["draft", "submitted", "reviewed", "locked"] | None,
                          QueryParameter()] = None,
        needs_review: Annotated[bool | None, QueryParameter()] = None, sort: Sort = "rank", limit: Limit = 50,
        offset: Offset = 0,
    ) -> UnitPage:
        """One page of results (points in tenths), filtered and sorted on the server."""
        ctx = await context(request)
        f = filters(ctx, campaign, period, unit_kind=unit_kind, province=province,
                    office=office, commune=commune, hamlet=hamlet,
                    classification=classification, status=status, needs_review=needs_review)
        page: UnitPage = await _thread(
            lambda: unit_page(ctx.engine, ctx.directory, f, sort=sort, limit=limit,
                              offset=offset))
        return page

    @get("/units/{result_id:str}", operation_id="resultsUnitDetail",
         responses=error_specs(404))
    async def unit(
        self, request: Request[Any, Any, Any],
        result_id: Annotated[str, PathParameter(max_length=512, pattern=r"^result:")],
    ) -> UnitDetail:
        """One result: points per criterion with explanations, inputs and period, evidence,
        revision history (who, when, device), audit entries and open conflicts."""
        ctx = await context(request)
        found = await anyio.to_thread.run_sync(get_result, ctx.engine, result_id)
        if found is None:
            raise NotFoundException(f"no result {result_id!r} (not scored yet?)")
        if ctx.communes is not None and found.commune_code not in ctx.communes:
            raise PermissionDeniedException("This unit is outside your territory.")
        info = ctx.directory.campaigns.get(found.campaign)
        label = dict(info.period_labels).get(found.period, found.period) if info else found.period
        return await unit_detail(
            request.app.state.store, getattr(request.app.state, "audit", None), found,
            ctx.directory.names.get(found.unit, found.unit), label, ctx.engine)

    @get("/rankings", operation_id="resultsRanking", responses=error_specs())
    async def rankings(
        self, request: Request[Any, Any, Any],
        unit_kind: Annotated[str, QueryParameter(max_length=32, pattern=r"^[a-z_]+$")],
        scope_type: ScopeType = "commune", scope_id: Code = None, campaign: Campaign = None,
        period: Period = None, limit: Limit = 100, offset: Offset = 0,
    ) -> RankingPage:
        """A ranking (ties share a rank: 1, 2, 2, 4; excluded units last without a rank),
        with each unit's rank and total in the previous year's campaign where one exists."""
        from .ranks import previous_campaign

        ctx = await context(request)
        f = filters(ctx, campaign, period, unit_kind=unit_kind)
        rows: list[RankRow] = await _thread(lambda: list(rank_rows(
            ctx.engine, ctx.directory, f, scope_type, scope_id, offset=offset, limit=limit)))
        return RankingPage(scope_type, scope_id, unit_kind,
                           previous_campaign(ctx.directory, f.campaign), rows)

    @get("/export", operation_id="resultsExport", responses=error_specs(),
         media_type="application/octet-stream")
    async def export(
        self, request: Request[Any, Any, Any],
        what: Annotated[Literal["units", "rankings", "summary"], QueryParameter()] = "rankings",
        format: Fmt = "xlsx", campaign: Campaign = None, period: Period = None,  # noqa: A002
        unit_kind: Kind = None, level: LevelParam = "commune", scope_type: ScopeType = "commune",
        scope_id: Code = None, province: Code = None, office: Code = None,
        commune: Code = None, sort: Sort = "rank",
    ) -> Response[bytes]:
        """A table or ranking as XLSX (one sheet per unit kind), CSV (UTF-8 with BOM) or PDF."""
        ctx = await context(request)
        f = filters(ctx, campaign, period, unit_kind=unit_kind, province=province,
                    office=office, commune=commune)
        day = datetime.now(UTC).date()

        def build() -> bytes:
            if what == "rankings":
                report = ranking_report(ctx.engine, ctx.directory, f, scope_type, scope_id, day)
            elif what == "units":
                report = units_report(ctx.engine, ctx.directory, f, sort, day)
            else:
                report = summary_report(ctx.engine, ctx.directory, level, f, day)
            return render(report, format)

        data: bytes = await _thread(build)
        return _download(data, format, f"{what}-{f.campaign}")

