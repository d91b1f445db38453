"""Printing a decision: register numbers once, in order, never reused, skipped or shared;
bad input prints nothing and uses no number (real SQLite here, PostgreSQL below)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, create_engine, update
from sqlmodel import Session, select

from reports.certificates import DoesNotFit
from scoring import CriteriaSet
from scoring.demo import DemoProvince
from server.awards import (
    AwardError,
    RecipientInput,
    create_decision,
    get_decision,
    print_decision,
    proposals,
    register_lines,
    set_number,
)
from server.awards.directory import Names
from server.awards.tables import PrintBatch, RegisterCounter, RegisterEntry
from server.results import SheetResult
from tests.awards.world import decision_input, seed_results

World = tuple[Engine, DemoProvince, CriteriaSet]


def _decision(world: World, count: int, *, number: str = "125", start: int = 0,
              names: Callable[[str], RecipientInput] | None = None) -> int:
    engine, demo, cset = world
    found = proposals(engine, cset, "2026", "2026")
    awardable = [r.unit for r in found.results if r.sheet_status == "locked" and not r.excluded]
    units = awardable[start:start + count]  # the council may reward beyond the proposals
    assert len(units) == count
    recipient = names or Names.from_docs(demo.directory_docs()).recipient
    return create_decision(engine, cset, decision_input(number=number),
                           [recipient(u) for u in units], "tester")


def _used(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        counter = s.get(RegisterCounter, "cn-test")
        return (counter.last_no if counter else 0, len(s.exec(select(RegisterEntry)).all()),
                len(s.exec(select(PrintBatch)).all()))


def test_numbers_once_in_order_and_reprint_keeps_its_number(world: World) -> None:
    engine, _, cset = world
    first = _decision(world, 4)
    out = print_decision(engine, cset, first, mode="blank", user="t")
    assert [n for _, n, _ in out.numbers] == [1, 2, 3, 4]
    assert out.pdf.startswith(b"%PDF")
    second = _decision(world, 2, number="126", start=4)
    assert [n for _, n, _ in print_decision(engine, cset, second, mode="full",
                                            user="t").numbers] == [5, 6]
    one = get_decision(engine, first).recipients[2]
    again = print_decision(engine, cset, first, mode="full", user="t", recipient_ids=[one.id])
    assert again.numbers == ((one.name, 3, True),)
    lines = register_lines(engine)
    assert [(line.number, line.note) for line in lines] == [
        (1, ""), (2, ""), (3, ""), (3, "bản in lại"), (4, ""), (5, ""), (6, "")]
    assert _used(engine) == (6, 6, 3)


def _unlock(engine: Engine, unit: str) -> None:
    with Session(engine) as s, s.begin():
        s.execute(update(SheetResult).where(SheetResult.unit == unit).values(sheet_status="submitted"))


def _exclude(engine: Engine, unit: str) -> None:
    with Session(engine) as s, s.begin():
        s.execute(update(SheetResult).where(SheetResult.unit == unit).values(excluded="EX-VIPHAM"))


@pytest.mark.parametrize("case", ["no number", "unknown recipient", "unlocked", "excluded",
                                  "name too long", "fails halfway"])
def test_bad_input_prints_nothing_and_uses_no_number(world: World, case: str) -> None:
    engine, demo, cset = world
    names = Names.from_docs(demo.directory_docs())
    long = "Tổ tiết kiệm và vay vốn " * 6

    def recipient(unit: str) -> RecipientInput:
        r = names.recipient(unit)
        return RecipientInput(unit=r.unit, name=long) if case == "name too long" else r

    did = _decision(world, 3, number="" if case == "no number" else "125", names=recipient)
    view = get_decision(engine, did)
    ids = None
    if case == "unknown recipient":
        ids = [view.recipients[0].id, 999_999]
    elif case == "unlocked":
        _unlock(engine, view.recipients[1].unit)
    elif case == "excluded":
        _exclude(engine, view.recipients[1].unit)

    def progress(done: int) -> None:
        if case == "fails halfway":
            raise RuntimeError("máy in hết giấy")

    expected = {"no number": "chưa có số", "unknown recipient": "không có người/đơn vị",
                "unlocked": "chưa khóa", "excluded": "không được xét khen thưởng: Có vi phạm",
                "name too long": "không vừa ô Tên người/tập thể", "fails halfway": "hết giấy"}
    error = DoesNotFit if case == "name too long" else RuntimeError if case == "fails halfway" \
        else AwardError
    with pytest.raises(error, match=expected[case]):
        print_decision(engine, cset, did, mode="blank", user="t", recipient_ids=ids,
                       progress=progress)
    assert _used(engine) == (0, 0, 0)
    if case == "no number":
        set_number(engine, did, "127")
    elif case in ("unlocked", "excluded", "name too long", "unknown recipient"):
        return
    assert [n for _, n, _ in print_decision(engine, cset, did, mode="blank",
                                            user="t").numbers] == [1, 2, 3]


def test_decision_refuses_unknown_excluded_and_unlocked_units(world: World) -> None:
    engine, demo, cset = world
    found = proposals(engine, cset, "2026", "2026")
    ok = found.proposals[0].unit
    excluded = next(n.unit for n in found.not_proposed if "vi phạm" in n.reason_vi
                    or "Hoạt động" in n.reason_vi)
    unlocked = next(n.unit for n in found.not_proposed if "chưa khóa" in n.reason_vi)
    for unit, message in (("savings_group:9999999", "Không có kết quả"),
                          (excluded, "không được xét khen thưởng"), (unlocked, "chưa khóa")):
        with pytest.raises(AwardError, match=message):
            create_decision(engine, cset, decision_input(),
                            [RecipientInput(unit=ok, name="A"), RecipientInput(unit=unit, name="B")],
                            "t")
    with pytest.raises(AwardError, match="thiếu trường signer_name"):
        import msgspec
        create_decision(engine, cset, msgspec.structs.replace(decision_input(), signer_name=" "),
                        [RecipientInput(unit=ok, name="A")], "t")


def _concurrent(engine: Engine, world: World, batches: int = 3, size: int = 4) -> None:
    _, _, cset = world
    decisions = [_decision(world, size, number=str(200 + i), start=i * size)
                 for i in range(batches)]
    got: dict[int, list[int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(batches)

    def run(did: int) -> None:
        try:
            barrier.wait()
            got[did] = [n for _, n, _ in print_decision(engine, cset, did, mode="blank",
                                                        user="t").numbers]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in decisions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    numbers = sorted(n for ns in got.values() for n in ns)
    assert numbers == list(range(1, batches * size + 1))  # none shared, none skipped
    for ns in got.values():
        assert ns == list(range(ns[0], ns[0] + size))  # a batch's numbers are contiguous


def test_concurrent_batches_sqlite(world: World) -> None:
    _concurrent(world[0], world)


def test_concurrent_batches_postgresql(fresh_postgres_url: str) -> None:
    engine = create_engine(fresh_postgres_url)
    try:
        demo, cset = seed_results(engine, communes=4)
        _concurrent(engine, (engine, demo, cset))
    finally:
        engine.dispose()


def test_a_killed_render_worker_prints_nothing_and_uses_no_number(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch split over worker processes: one dies, the transaction rolls back."""
    import reports.certificates as certificates
    from reports import certificates_pool

    engine, _, cset = world
    monkeypatch.setattr(certificates, "PARALLEL_FROM", 2)
    monkeypatch.setattr(certificates_pool, "cores", lambda: 2)
    did = _decision(world, 4)
    pool = certificates_pool._executor(2)
    pool.submit(int, 0).result()  # the workers are up
    for process in list(pool._processes.values()):
        process.kill()
        process.join()
    with pytest.raises(AwardError, match="bị dừng giữa chừng"):
        print_decision(engine, cset, did, mode="blank", user="t")
    assert _used(engine) == (0, 0, 0)
    out = print_decision(engine, cset, did, mode="blank", user="t")  # a new pool
    assert [n for _, n, _ in out.numbers] == [1, 2, 3, 4]
    assert _used(engine) == (4, 4, 1)
    certificates_pool.shutdown()
