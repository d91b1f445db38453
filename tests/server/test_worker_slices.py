"""The server's worker scores a page in slices and awaits its `pace` between them (so it
yields to the phones' requests in flight); without a pace (`thidua worker`) a page is one
call. Every sheet is scored either way."""

from __future__ import annotations

from sqlmodel import Session, func, select

from server.results import SheetResult
from server.worker.service import _SLICE, Worker
from tests.server.test_worker import World, seeded, template  # noqa: F401 - the seeded demo

BATCH = 100


def _scored(world: World) -> int:
    with Session(world.engine) as session:
        return int(session.exec(select(func.count()).select_from(SheetResult)).one())


async def test_a_page_is_scored_a_slice_at_a_time_between_paces(seeded: World) -> None:  # noqa: F811
    world = seeded
    seen: list[int] = []  # results stored when each pace was awaited

    async def pace() -> None:
        seen.append(_scored(world))

    worker = Worker(world.store, world.engine, world.audit, batch=BATCH, pace=pace)
    await worker.drain()
    total = world.summary.counts["sheets"]
    assert _scored(world) == total
    steps = [b - a for a, b in zip(seen, [*seen[1:], total], strict=True)]
    assert max(steps) <= _SLICE  # never more than a slice scored without a look at traffic
    assert len(seen) >= total / _SLICE  # a pace per slice, not only per page


async def test_without_a_pace_a_page_is_scored_in_one_call(seeded: World) -> None:  # noqa: F811
    world = seeded
    worker = Worker(world.store, world.engine, world.audit, batch=BATCH)
    calls: list[int] = []
    score = worker.scorer.score

    async def counted(db: str, seqs: dict[str, object], **kwargs: object) -> int:
        calls.append(len(seqs))
        return await score(db, seqs, **kwargs)  # type: ignore[arg-type]

    worker.scorer.score = counted  # type: ignore[method-assign]
    await worker.drain()
    assert _scored(world) == world.summary.counts["sheets"]
    assert max(calls) > _SLICE  # whole pages of up to BATCH sheets
