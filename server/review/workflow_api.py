"""`/api/workflow`: lock a commune or an office in one action, unlock a sheet with a reason,
close a campaign."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, post
from litestar.exceptions import HTTPException
from litestar.params import JSONBody, PathParameter

from server.consolidated.context import (
    campaign_of,
    context,
    results_engine,
    signed_in,
    territory,
)
from server.controllers.admin import error_specs
from server.gatekeeper import store_for

from .actions import ActionRefused, CloseOutcome, LockOutcome, close_campaign, lock_scope
from .unlock import Target, UnlockOutcome, unlock_sheet

__all__ = ["WorkflowController"]

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$")]


class LockRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Lock every ready sheet of `campaign` (default: the latest) in a commune or office."""

    scope: Literal["commune", "office"]
    code: Code
    campaign: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class UnlockRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Unlock one locked sheet of a commune back to `status`, with the reason (the branch)."""

    commune: Code
    sheet: Annotated[str, msgspec.Meta(min_length=1, max_length=256, pattern=r"^sheet:")]
    reason: Annotated[str, msgspec.Meta(max_length=500)]
    status: Target = "reviewed"


def _refused(exc: ActionRefused) -> HTTPException:
    return HTTPException(status_code=exc.status, detail=str(exc))


class WorkflowController(Controller):
    path = "/api/workflow"
    tags = ["review"]
    guards = [signed_in]

    @post("/lock", operation_id="workflowLock", status_code=200,
          responses=error_specs(404, 409))
    async def lock(self, request: Request[Any, Any, Any], data: JSONBody[LockRequest]) -> LockOutcome:
        """Lock a whole commune (office reviewers and the branch) or office (the branch):
        sheets not ready (drafts, unresolved conflicts, not yet scored) are listed with the
        reason and left as they are."""
        ctx = await context(request)
        try:
            return await lock_scope(
                store_for(request), ctx.engine, getattr(request.app.state, "audit", None),
                ctx.user, ctx.directory, data.scope, data.code,
                campaign_of(ctx.directory, data.campaign))
        except ActionRefused as exc:
            raise _refused(exc) from None

    @post("/unlock", operation_id="workflowUnlock", status_code=200,
          responses=error_specs(404, 409))
    async def unlock(self, request: Request[Any, Any, Any],
                     data: JSONBody[UnlockRequest]) -> UnlockOutcome:
        """Unlock a locked sheet (the branch only), with a required reason; audited as
        `unlock` with the reason, and the sheet is scored again from its new revision."""
        try:
            return await unlock_sheet(store_for(request), data.commune, data.sheet,
                                      data.reason, data.status)
        except ActionRefused as exc:
            raise _refused(exc) from None

    @post("/campaigns/{campaign:str}/close", operation_id="workflowCloseCampaign",
          status_code=200, responses=error_specs(404, 409))
    async def close(
        self, request: Request[Any, Any, Any],
        campaign: Annotated[str, PathParameter(max_length=64)],
    ) -> CloseOutcome:
        """Close a campaign (the branch): no more changes to its sheets; its results stay
        frozen with their criteria set version."""
        try:
            outcome = await close_campaign(
                request.app.state.store, results_engine(request),
                getattr(request.app.state, "audit", None), request.scope["user"], campaign)
        except ActionRefused as exc:
            raise _refused(exc) from None
        await territory(request).directory()
        return outcome
