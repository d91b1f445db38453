"""`/api/review`: the review queue of the caller's territory (reviewers only).

* `GET /api/review/conflicts`: conflict records (filters: status, campaign, commune, kind,
  doc_id; paged), each with the ancestor's value and every competing value;
* `GET /api/review/conflicts/{id}`: one record;
* `POST /api/review/conflicts/{id}/resolve` `{present, value, reason}` (a clash: the value
  chosen for its field; `present: false` removes the field) or `{rev, reason}` (a `locked`
  conflict: the leaf kept) or `{keep, reason}` (`deleted`: keep the sheet, or delete it): the
  new revision is written through the same gatekeeper as a device's (validation, locks,
  audit), the other open leaves are closed, and the record is closed;
* `GET /api/review/sheets`: results needing review (open conflicts) in the territory.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers import BaseRouteHandler
from litestar.params import JSONBody, PathParameter, QueryParameter

from ..access import is_reviewer
from ..accounts import Account
from ..controllers.admin import error_specs
from ..gatekeeper import GatekeptStore, store_for
from ..results.read import ResultView, list_results
from .queue import ConflictView, close_record, get_record, list_records, reopen_record
from .resolve import ResolveError, resolution_batch, set_field

__all__ = ["Resolution", "ReviewController"]

Text = Annotated[str | None, QueryParameter(max_length=200, pattern=r"^[^\x00-\x1f]*$")]
RecordId = Annotated[str, PathParameter(min_length=2, max_length=64, pattern=r"^c[0-9a-f]+$")]


class Resolution(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A reviewer's choice; `reason` is required (kept in the record and the audit log)."""

    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
    present: bool = True
    value: Any = None
    rev: str | None = None
    keep: bool | None = None


class ConflictPage(msgspec.Struct):
    conflicts: list[ConflictView]
    limit: int
    offset: int


class SheetPage(msgspec.Struct):
    sheets: list[ResultView]
    limit: int
    offset: int


def reviewers_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: 401 when anonymous, 403 unless an enabled reviewer (office, branch, admin)."""
    user: Account | None = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException("You are not signed in.")
    if not is_reviewer(user):
        raise PermissionDeniedException("Only reviewers may use the review queue.")


async def _reach(request: Request[Any, Any, Any]) -> tuple[GatekeptStore, frozenset[str] | None]:
    store = store_for(request)
    assert isinstance(store, GatekeptStore)
    user: Account = request.scope["user"]
    return store, (None if user.is_admin else await store.reach())


class ReviewController(Controller):
    path = "/api/review"
    tags = ["review"]
    guards = [reviewers_only]

    @get("/conflicts", operation_id="review_conflicts", responses=error_specs())
    async def conflicts(
        self, request: Request[Any, Any, Any], status: Text = "open", campaign: Text = None,
        commune: Text = None, kind: Text = None, doc_id: Text = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000_000)] = 0,
    ) -> ConflictPage:
        """Conflict records in the caller's territory, oldest first."""
        _, reach = await _reach(request)
        engine = request.app.state.accounts.engine
        found = await anyio.to_thread.run_sync(lambda: list_records(
            engine, dbs=reach, status=None if status == "all" else status, campaign=campaign,
            commune=commune, kind=kind, doc_id=doc_id, limit=limit, offset=offset))
        return ConflictPage(found, limit, offset)

    @get("/conflicts/{record_id:str}", operation_id="review_conflict",
         responses=error_specs(404))
    async def conflict(self, request: Request[Any, Any, Any], record_id: RecordId) -> ConflictView:
        """One conflict record."""
        return await self._record(request, record_id)

    async def _record(self, request: Request[Any, Any, Any], record_id: RecordId) -> ConflictView:
        _, reach = await _reach(request)
        engine = request.app.state.accounts.engine
        record = await anyio.to_thread.run_sync(get_record, engine, record_id)
        if record is None or (reach is not None and record.db not in reach):
            raise NotFoundException(f"No conflict record {record_id!r} in your territory.")
        return record

    @post("/conflicts/{record_id:str}/resolve", operation_id="review_resolve", status_code=200,
          responses=error_specs(404, 409))
    async def resolve(
        self, request: Request[Any, Any, Any], record_id: RecordId, data: JSONBody[Resolution]
    ) -> ConflictView:
        """Resolve a record: write the chosen value as a new revision, close the record."""
        record = await self._record(request, record_id)
        if record.status != "open":
            raise ClientException(f"The record {record_id!r} is already resolved.", status_code=409)
        store, _ = await _reach(request)
        user: Account = request.scope["user"]
        leaves = [e["ok"] for e in await store.get_open_revs(record.db, record.doc_id, "all")
                  if "ok" in e and not e["ok"].get("_deleted")]
        if not leaves:
            raise ClientException(f"The sheet {record.doc_id!r} no longer exists.", status_code=409)
        winner = await store.get(record.db, record.doc_id)
        others = [str(d["_rev"]) for d in leaves if d["_rev"] != winner["_rev"]]
        try:
            batch, resolution = self._batch(record, data, winner, leaves, others)
        except ResolveError as exc:
            raise ClientException(str(exc)) from None
        engine = request.app.state.accounts.engine

        def close(rev: str | None) -> ConflictView:
            return close_record(engine, record_id, user=user.name, reason=data.reason,
                                resolution=resolution, rev=rev)

        # closed first, so the worker rescoring the new revision sees no open record
        await anyio.to_thread.run_sync(close, None)
        results = await store.bulk_docs(record.db, batch) if batch else []
        refused = [r for r in results if r.error]
        if refused:
            await anyio.to_thread.run_sync(reopen_record, engine, record_id)
            raise ClientException(
                f"The resolution was refused: {refused[0].reason or refused[0].error}",
                status_code=409 if refused[0].error == "conflict" else 400)
        return await anyio.to_thread.run_sync(close, results[0].rev if results else None)

    @staticmethod
    def _batch(record: ConflictView, data: Resolution, winner: dict[str, Any],
               leaves: list[dict[str, Any]], others: list[str]) -> tuple[list[dict[str, Any]], Any]:
        if record.kind == "clash":
            body = set_field(winner, record.field, data.present, data.value)
            return resolution_batch(winner, others, body), {"present": data.present,
                                                             "value": data.value}
        if record.kind == "locked":
            chosen = next((d for d in leaves if d["_rev"] == data.rev), None)
            if chosen is None:
                raise ResolveError(f"rev: choose one of the open revisions "
                                   f"{', '.join(str(d['_rev']) for d in leaves)}")
            return resolution_batch(winner, others, chosen), {"rev": data.rev}
        if data.keep is None:
            raise ResolveError("keep: say whether the edited sheet is kept (true) or deleted")
        if data.keep:
            return [], {"keep": True}
        return [{"_id": winner["_id"], "_rev": rev, "_deleted": True}
                for rev in [winner["_rev"], *others]], {"keep": False}

    @get("/sheets", operation_id="review_sheets", responses=error_specs())
    async def sheets(
        self, request: Request[Any, Any, Any], campaign: Annotated[str, QueryParameter(max_length=64)],
        period: Text = None, limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000_000)] = 0,
    ) -> SheetPage:
        """Results of sheets needing review (an open conflict) in the caller's territory."""
        _, reach = await _reach(request)
        communes = None if reach is None else sorted(
            db[2:] for db in reach if db.startswith("c-"))
        engine = request.app.state.accounts.engine
        found = await anyio.to_thread.run_sync(lambda: list_results(
            engine, campaign=campaign, period=period, communes=communes, needs_review=True,
            limit=limit, offset=offset))
        return SheetPage(found, limit, offset)
