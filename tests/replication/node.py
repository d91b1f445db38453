"""Run the PouchDB scenario driver (`tests/js/pouch_scenario.js`), one node process per call."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .servers import ROOT, Server

SCRIPT = ROOT / "tests" / "js" / "pouch_scenario.js"


def _spec(server: Server, steps: list[dict[str, Any]]) -> bytes:
    return json.dumps({"couch": server.couch, "auth": server.node_auth, "steps": steps}).encode()


def run_pouch(server: Server, steps: list[dict[str, Any]], timeout: float = 120) -> list[Any]:
    """Run `steps` in one PouchDB process; returns one result per step."""
    done = subprocess.run(
        ["node", str(SCRIPT)], input=_spec(server, steps), capture_output=True,
        timeout=timeout, cwd=ROOT,
    )
    if done.returncode != 0:
        raise AssertionError(f"node failed ({done.returncode}): {done.stderr.decode()[-3000:]}")
    return _final(done.stdout.decode().splitlines())


def _final(lines: list[str]) -> list[Any]:
    for line in reversed(lines):
        message = json.loads(line)
        if "results" in message:
            return message["results"]
    raise AssertionError(f"node printed no results: {lines[-5:]}")


@contextmanager
def pouch_process(
    server: Server, steps: list[dict[str, Any]]
) -> Iterator[tuple[Iterator[dict[str, Any]], Callable[[float], list[Any]]]]:
    """Start a scenario and yield `(events, finish)`: iterate progress events while it runs
    (e.g. to kill the server mid-replication), then `finish(timeout)` returns the results."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            ["node", str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=errors, cwd=ROOT,
        )
        assert proc.stdin and proc.stdout
        proc.stdin.write(_spec(server, steps))
        proc.stdin.close()
        seen: list[str] = []

        def read_events() -> Iterator[dict[str, Any]]:
            assert proc.stdout
            for raw in proc.stdout:
                seen.append(raw.decode())
                message = json.loads(seen[-1])
                if "results" not in message:
                    yield message

        events = read_events()

        def finish(timeout: float) -> list[Any]:
            for _ in events:
                pass
            proc.wait(timeout)
            if proc.returncode != 0:
                errors.seek(0)
                raise AssertionError(f"node failed ({proc.returncode}): {errors.read()[-3000:]!r}")
            return _final(seen)

        try:
            yield events, finish
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
