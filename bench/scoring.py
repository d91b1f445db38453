"""Scoring benchmark: national-scale demo (~170,000 Savings and Loan Groups) on one core.

Measures (1) full scoring with the compiled engine, from raw inputs and from CDTOTKVV/BC0437
bank points (``diem_*``, class column 0 so the class is recomputed), (2) full scoring plus every ranking
(``Scoreboard.load``), (3) incremental rescoring of 100 changed sheets
(``Scoreboard.update``), against the targets 3 s and 20 ms, and runs the naive peer
(``scoring.reference``: straightforward per-sheet Decimal evaluation) on the same sheets.
Usage: ``.venv/bin/python bench/scoring.py [--seed N] [--naive-sample N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.adapt import unit_flags, unit_scopes  # noqa: E402
from scoring.criteria import load_shipped  # noqa: E402
from scoring.demo import generate_province  # noqa: E402
from scoring.engine import compile_set  # noqa: E402
from scoring.incremental import Scoreboard, SheetInput  # noqa: E402
from scoring.reference import reference_score  # noqa: E402

FULL_TARGET_S = 3.0
INCREMENTAL_TARGET_MS = 20.0


def group_sheets(seed: int) -> list[SheetInput]:
    """Every demo group of the national scale as a generic engine sheet."""
    demo = generate_province(seed, "national")
    communes = {c.code: c for c in demo.communes}
    return [
        SheetInput(
            unit=g.code, kind="savings_group", scopes=unit_scopes(g, communes[g.commune_code]),
            inputs=demo.group_inputs[g.code], flags=unit_flags(g),
        )
        for g in demo.groups
    ]


def best_of(runs: int, fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Best wall-clock and best CPU seconds of ``runs`` calls (CPU time varies less than
    wall time on a shared machine)."""
    wall = cpu = float("inf")
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--naive-sample", type=int, default=0, help="score only N sheets with the naive peer (0 = all)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    cset = load_shipped()
    t0 = time.perf_counter()
    sheets = group_sheets(args.seed)
    print(f"demo national scale: {len(sheets):,} groups generated in {time.perf_counter() - t0:.1f} s (not timed below);"
          f" load average {os.getloadavg()[0]:.1f}")

    engine = compile_set(cset)

    def score_all() -> None:
        for s in sheets:
            engine.score(s.kind, s.inputs, s.manual, s.flags)

    full, full_cpu = best_of(3, score_all)

    codes = [c.code_export for c in cset.unit_kinds["savings_group"].criteria]
    exported = []  # the same groups as a CDTOTKVV import leaves them: bank points, no raw ratios
    for s in sheets:
        pts = engine.score(s.kind, s.inputs).points
        row: dict[str, int | str] = {c: (p // 10 if p % 10 == 0 else f"{p // 10}.{p % 10}") for c, p in zip(codes, pts, strict=True) if c}
        row.update(du_no=s.inputs["du_no"], so_du_tiet_kiem_cuoi_ky=s.inputs["so_du_tiet_kiem_cuoi_ky"],
                   xep_loai="0")  # BC0437's class column holds 0: the class is recomputed
        exported.append(row)

    def score_exported() -> None:
        for s, inputs in zip(sheets, exported, strict=True):
            engine.score(s.kind, inputs, s.manual, s.flags)

    bank, _ = best_of(3, score_exported)
    board = Scoreboard(cset)
    load, load_cpu = best_of(3, lambda: board.load(sheets))

    rng = random.Random(args.seed)
    changed = []
    for s in rng.sample(sheets, 100):
        inputs = dict(s.inputs)
        inputs["no_qua_han"] = rng.randint(0, max(1, inputs["du_no"] // 20))
        inputs["lai_thuc_thu"] = max(0, inputs["lai_phai_thu"] - rng.randint(0, 5_000_000))
        changed.append(SheetInput(unit=s.unit, kind=s.kind, scopes=s.scopes, inputs=inputs, flags=s.flags))
    t0 = time.perf_counter()
    updates = [board.update(s) for s in changed]
    incremental_ms = (time.perf_counter() - t0) * 1000
    moved = sum(u.changed for u in updates)

    sample = sheets if not args.naive_sample else sheets[: args.naive_sample]
    t0 = time.perf_counter()
    for s in sample:
        reference_score(cset, s.kind, s.inputs, s.manual)
    naive = (time.perf_counter() - t0) * len(sheets) / len(sample)

    def verdict(value: float, target: float) -> str:
        return "OK" if value < target else "MISSED"

    print(f"full scoring, compiled engine      : {full:6.2f} s   target < {FULL_TARGET_S:.0f} s  {verdict(full, FULL_TARGET_S)}")
    print(f"full scoring, CDTOTKVV bank points : {bank:6.2f} s   target < {FULL_TARGET_S:.0f} s  {verdict(bank, FULL_TARGET_S)}")
    print(f"full scoring + all rankings (load) : {load:6.2f} s   target < {FULL_TARGET_S:.0f} s  {verdict(load, FULL_TARGET_S)}")
    print(f"  rankings' share (load - full)    : {load - full:6.2f} s wall; CPU {load_cpu - full_cpu:.2f} s"
          f" of the load's {load_cpu:.2f} s (full scoring {full_cpu:.2f} s CPU)")
    print(f"incremental, 100 changed sheets    : {incremental_ms:6.2f} ms  target < {INCREMENTAL_TARGET_MS:.0f} ms {verdict(incremental_ms, INCREMENTAL_TARGET_MS)}"
          f"  ({moved} scores changed)")
    scope = "" if sample is sheets else f" (extrapolated from {len(sample):,} sheets)"
    print(f"naive peer: per-sheet Decimal      : {naive:6.2f} s{scope}  -> engine is {naive / full:.0f}x faster")
    print(f"per sheet: engine {full / len(sheets) * 1e6:.1f} µs, naive {naive / len(sheets) * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
