"""Real devices (PouchDB 9 in Node) editing one sheet offline, syncing to the real server
with its worker on: every order converges on one revision, no value is lost, the conflict
records are right, and a reviewer resolves a clash through /api/review."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import load_settings
from server.worker.status import worker_backlog
from tests.replication.servers import ROOT, Server, _cli, our_server

SCRIPT = ROOT / "tests" / "js" / "devices.js"
PASSWORD = "devices-password-1"
pytestmark = pytest.mark.slow


@dataclasses.dataclass
class Field:
    """The server, and editable sheets of several communes; `sheet()` hands out a fresh one
    and makes its database the one the next `run` syncs."""

    server: Server
    sheets: list[tuple[str, dict[str, Any]]]
    db: str = ""

    def run(self, steps: list[dict[str, Any]], user: str = "canbo") -> list[Any]:
        spec = {"couch": self.server.couch, "auth": {"username": user, "password": PASSWORD},
                "db": self.db, "steps": steps}
        done = subprocess.run(["node", str(SCRIPT)], input=json.dumps(spec).encode(),
                              capture_output=True, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        results: list[Any] = json.loads(done.stdout.decode().splitlines()[-1])["results"]
        errors = [r for r in results if isinstance(r, dict) and "error" in r]
        assert not errors, errors
        return results

    def api(self, user: str = "duyet") -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.server.port}",
                            auth=(user, PASSWORD), timeout=30)

    def records(self, doc_id: str) -> list[dict[str, Any]]:
        with self.api() as client:
            answer = client.get("/api/review/conflicts", params={"doc_id": doc_id,
                                                                  "status": "all"})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["conflicts"])

    def sheet(self) -> dict[str, Any]:
        self.db, doc = self.sheets.pop()
        return doc


@pytest.fixture(scope="module")
def field(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    data_dir: Path = tmp_path_factory.mktemp("devices")
    server = our_server(data_dir)
    assert _cli(["seed-demo"], server.env).returncode == 0
    server.start()
    try:
        with server.client() as client:
            dbs = sorted(d for d in client.get("_all_dbs").json() if d.startswith("c-"))
            sheets: list[tuple[str, dict[str, Any]]] = []
            for db in dbs:  # until every test and torture seed has a sheet of its own
                rows = client.get(f"{db}/_all_docs", params={
                    "include_docs": "true", "startkey": '"sheet:"', "endkey": '"sheet:\uffff"'})
                # a scorer edits drafts and submitted sheets only (the demo locks one office)
                sheets += [(db, r["doc"]) for r in rows.json()["rows"]
                           if len(r["doc"].get("inputs", {})) >= 3
                           and r["doc"].get("status", "draft") in ("draft", "submitted")]
                if len(sheets) >= 520:
                    break
        assert len(sheets) >= 520, len(sheets)
        territories = sorted({db[2:] for db, _ in sheets})
        for name, role in (("canbo", "scorer"), ("duyet", "office_reviewer")):
            flags = [arg for code in territories for arg in ("--territory", code)]
            done = _cli(["user", "add", name, "--role", role, *flags, "--password-stdin"],
                        server.env, PASSWORD + "\n")
            assert done.returncode == 0, done.stderr
        sheets.reverse()  # hand out the first communes' sheets first
        _caught_up(server)
        yield Field(server, sheets)
    finally:
        server.stop()


def _caught_up(server: Server, seconds: float = 240) -> None:
    """Until the worker has scored the seeded demo: a test's `settle` then waits for its own
    sheet only, not for the backlog (slow on a busy machine)."""
    settings = load_settings(server.env)
    deadline = time.monotonic() + seconds
    while not (state := asyncio.run(worker_backlog(settings)))[1]:
        assert time.monotonic() < deadline, f"the worker did not catch up: {state[0]}"
        time.sleep(1)


def _names(sheet: dict[str, Any]) -> list[str]:
    return sorted(sheet["inputs"])[:3]


def _settled(steps: list[dict[str, Any]], sheet_id: str, devices: list[str]) -> None:
    steps.append({"op": "settle", "id": sheet_id})
    steps.extend({"op": "sync", "device": d} for d in devices)
    steps.extend({"op": "get", "device": d, "id": sheet_id} for d in devices)


def _converged(results: list[Any], devices: list[str]) -> dict[str, Any]:
    finals = results[-len(devices):]
    settle = results[-2 * len(devices) - 1]
    assert {f["_rev"] for f in finals} == {settle["rev"]}, finals
    assert not any(f.get("_conflicts") for f in finals)
    return dict(finals[0])


@pytest.mark.parametrize("order", [["d1", "d2"], ["d2", "d1"]])
def test_two_devices_disjoint_fields_merge_in_any_order(field: Field, order: list[str]) -> None:
    sheet = field.sheet()
    a, b, _ = _names(sheet)
    steps: list[dict[str, Any]] = [{"op": "pull", "device": d} for d in ("d1", "d2")]
    steps.append({"op": "edit", "device": "d1", "id": sheet["_id"], "set": {f"inputs.{a}": 41},
                  "when": "2026-11-20T08:00:00Z"})
    steps.append({"op": "edit", "device": "d2", "id": sheet["_id"], "set": {f"inputs.{b}": 42},
                  "when": "2026-11-20T09:00:00Z"})
    steps.extend({"op": "sync", "device": d} for d in order)
    _settled(steps, sheet["_id"], ["d1", "d2"])
    final = _converged(field.run(steps), ["d1", "d2"])
    assert (final["inputs"][a], final["inputs"][b]) == (41, 42)
    assert field.records(sheet["_id"]) == []


def test_same_field_clash_is_recorded_and_a_reviewer_resolves_it(field: Field) -> None:
    sheet = field.sheet()
    a = _names(sheet)[0]
    steps: list[dict[str, Any]] = [{"op": "pull", "device": d} for d in ("d1", "d2")]
    steps.append({"op": "edit", "device": "d1", "id": sheet["_id"], "set": {f"inputs.{a}": 11},
                  "when": "2026-11-20T08:00:00Z"})
    steps.append({"op": "edit", "device": "d2", "id": sheet["_id"], "set": {f"inputs.{a}": 22},
                  "when": "2026-11-20T09:00:00Z"})
    steps.extend([{"op": "sync", "device": "d2"}, {"op": "sync", "device": "d1"}])
    _settled(steps, sheet["_id"], ["d1", "d2"])
    final = _converged(field.run(steps), ["d1", "d2"])
    assert final["inputs"][a] == 22  # the later edit
    [record] = field.records(sheet["_id"])
    assert record["kind"] == "clash" and record["field"] == f"inputs.{a}"
    assert record["ancestor"] == {"present": True, "value": sheet["inputs"][a]}
    assert {(v["value"], v["device_id"]) for v in record["values"]} == {(11, "d1"), (22, "d2")}
    with field.api() as client:
        answer = client.get("/api/review/sheets", params={"campaign": sheet["campaign"]})
        assert sheet["_id"] in {s["sheet_id"] for s in answer.json()["sheets"]}
        with field.api("canbo") as scorer:
            denied = scorer.post(f"/api/review/conflicts/{record['id']}/resolve",
                                 json={"value": 11, "reason": "xin giữ"})
            assert denied.status_code == 403
        done = client.post(f"/api/review/conflicts/{record['id']}/resolve",
                           json={"value": 11, "reason": "đối chiếu sổ sách"})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "resolved" and done.json()["resolved_by"] == "duyet"
        again = client.post(f"/api/review/conflicts/{record['id']}/resolve",
                            json={"value": 11, "reason": "lần hai"})
        assert again.status_code == 409
    steps = [{"op": "pull", "device": "d1"}]
    _settled(steps, sheet["_id"], ["d1"])
    results = field.run(steps)
    assert results[-1]["inputs"][a] == 11 and results[1]["result"]["needs_review"] is False


def test_delete_against_edit_keeps_the_edit_and_records_the_delete(field: Field) -> None:
    sheet = field.sheet()
    a = _names(sheet)[0]
    steps: list[dict[str, Any]] = [{"op": "pull", "device": d} for d in ("d1", "d2")]
    steps.append({"op": "remove", "device": "d1", "id": sheet["_id"]})
    steps.append({"op": "edit", "device": "d2", "id": sheet["_id"], "set": {f"inputs.{a}": 5},
                  "when": "2026-11-20T09:00:00Z"})
    steps.extend([{"op": "sync", "device": "d1"}, {"op": "sync", "device": "d2"}])
    _settled(steps, sheet["_id"], ["d1", "d2"])
    final = _converged(field.run(steps), ["d1", "d2"])
    assert final["inputs"][a] == 5
    assert [r["kind"] for r in field.records(sheet["_id"])] == ["deleted"]


@pytest.mark.parametrize("order", [["d1", "d2", "d3"], ["d3", "d1", "d2"], ["d2", "d3", "d1"]])
def test_three_devices_converge_in_any_order(field: Field, order: list[str]) -> None:
    sheet = field.sheet()
    a, b, c = _names(sheet)
    edits = {"d1": {f"inputs.{a}": 31}, "d2": {f"inputs.{b}": 32},
             "d3": {f"inputs.{a}": 33, f"inputs.{c}": 34}}
    steps: list[dict[str, Any]] = [{"op": "pull", "device": d} for d in edits]
    for i, (d, changes) in enumerate(edits.items()):
        steps.append({"op": "edit", "device": d, "id": sheet["_id"], "set": changes,
                      "when": f"2026-11-20T0{i + 1}:00:00Z"})
    steps.extend({"op": "sync", "device": d} for d in order)
    _settled(steps, sheet["_id"], list(edits))
    final = _converged(field.run(steps), list(edits))
    assert [final["inputs"][n] for n in (a, b, c)] == [33, 32, 34]
    records = field.records(sheet["_id"])
    # one clash on `a` (d1 and d3 merged together, or d3 against an earlier merge), never lost
    assert {r["field"] for r in records} == {f"inputs.{a}"}, records
    assert {v["value"] for r in records for v in r["values"]} == {31, 33}


def _random_run(field: Field, seed: int) -> None:
    """Random edits and partial syncs (push only, pull only: a cut network) on 3 devices;
    oracle: every value a device pushed is in the merged sheet, in a clash record, or was
    replaced by an edit made after seeing it."""
    rnd = random.Random(seed)
    sheet = field.sheet()
    names = _names(sheet)
    devices = ["d1", "d2", "d3"]
    steps: list[dict[str, Any]] = [{"op": "pull", "device": d} for d in devices]
    pending: dict[str, dict[str, int]] = {d: {} for d in devices}
    pushed: list[tuple[str, int, int]] = []  # (field, value, step index of the push)
    edit_steps: list[int] = []
    for round_ in range(4):
        for d in devices:
            if rnd.random() < 0.7:
                changes = {f"inputs.{n}": rnd.randrange(60) for n in rnd.sample(names, rnd.randint(1, 2))}
                edit_steps.append(len(steps))
                pending[d].update(changes)
                steps.append({"op": "edit", "device": d, "id": sheet["_id"], "set": changes,
                              "when": f"2026-11-2{round_}T0{rnd.randrange(10)}:00:00Z"})
        for d in rnd.sample(devices, rnd.randint(0, 3)):
            how = rnd.choice(["sync", "sync", "push", "pull"])
            if how != "pull":
                pushed.extend((f, v, len(steps)) for f, v in pending[d].items())
                pending[d] = {}
            steps.append({"op": how, "device": d})
    for d in devices:
        pushed.extend((f, v, len(steps)) for f, v in pending[d].items())
        steps.append({"op": "sync", "device": d})
    steps.append({"op": "settle", "id": sheet["_id"]})
    steps.extend({"op": "sync", "device": d} for d in devices)
    _settled(steps, sheet["_id"], devices)
    results = field.run(steps)
    final = _converged(results, devices)
    replaced = {(f, old) for i in edit_steps for f, old in results[i]["seen"].items()}
    clashes = {(r["field"], v["value"]) for r in field.records(sheet["_id"])
               if r["kind"] == "clash" for v in r["values"]}
    for f, v, _ in pushed:
        held = final["inputs"].get(f.removeprefix("inputs."))
        assert held == v or (f, v) in clashes or (f, v) in replaced, (seed, f, v, held)


@pytest.mark.parametrize("seed", range(3))
def test_random_edit_and_sync_runs_lose_nothing(field: Field, seed: int) -> None:
    _random_run(field, seed)


@pytest.mark.torture
@pytest.mark.parametrize("seed", range(100, 600))
def test_random_edit_and_sync_runs_lose_nothing_torture(field: Field, seed: int) -> None:
    _random_run(field, seed)
