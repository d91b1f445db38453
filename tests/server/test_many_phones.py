"""Many phones of one commune office (one address) sync at once with HTTP Basic.

More phones than the address may fail sign-ins (`ADDRESS.max_failures`) sign in at the
same moment, each a distinct scorer with the right password, through bench/js/load_bench.js
(real PouchDB 9 in Node, the PWA's live batch of 200, every answer >= 400 recorded). While
their first checks run, none may be told "too many failed sign-ins" (429): only failures
count, and a phone already signed in is never refused because others are being checked.
A new sign-in over the bound may be told to retry (503), as the PWA does."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from gate_world import PERIODS, served_world, sheet
from replication.servers import ROOT

from server.accounts import Accounts
from server.auth_limits import ADDRESS
from server.settings import Settings

COMMUNE = "89101"
PHONES = ADDRESS.max_failures + 6
SHEETS = 2
PASSWORD = "phone-password-1"
DRIVER = ROOT / "bench" / "js" / "load_bench.js"


class OneHash(PasswordHasher):
    """The default argon2 parameters, one hash made for all: each check on the server
    costs what the stored hash's parameters say."""

    made: str = ""

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.made = self.made or super().hash(password)
        return self.made


def scorers(data_dir: Path) -> list[str]:
    """`PHONES` scorers of one commune, all with `PASSWORD`."""
    accounts = Accounts.from_settings(Settings(data_dir=data_dir, log_level="WARNING"))
    accounts.hasher = OneHash()
    accounts.initialize()
    names = [f"phone{n}" for n in range(PHONES)]
    try:
        for name in names:
            accounts.add(name, PASSWORD, ["scorer"], [COMMUNE])
    finally:
        accounts.close()
    return names


def sync_all(couch: str, clients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every phone loads its sheets, then all sync at once (push, then pull)."""
    with subprocess.Popen(["node", str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          cwd=ROOT) as driver:  # fmt: skip
        assert driver.stdin and driver.stdout
        driver.stdin.write(json.dumps({"couch": couch, "clients": clients}).encode() + b"\n")
        driver.stdin.flush()
        assert driver.stdout.readline().strip() == b"ready"
        driver.stdin.write(b"go\n")
        driver.stdin.close()
        out = driver.stdout.read()
        assert driver.wait(timeout=300) == 0
    return list(json.loads(out)["clients"])


@pytest.mark.slow
def test_phones_signing_in_at_once_from_one_address_all_sync(tmp_path: Path) -> None:
    server = served_world(tmp_path / "data")
    names = scorers(tmp_path / "data")
    periods = iter(PERIODS[-PHONES * SHEETS :])
    clients = [
        {"db": f"c-{COMMUNE}", "auth": {"username": name, "password": PASSWORD},
         "docs": [sheet(COMMUNE, next(periods)) for _ in range(SHEETS)]}
        for name in names
    ]  # fmt: skip
    server.start()
    try:
        results = sync_all(server.couch, clients)
        assert server.auth is not None
        with httpx.Client(base_url=server.couch, auth=server.auth, timeout=30) as admin:
            keys = [doc["_id"] for client in clients for doc in client["docs"]]
            rows = admin.post(f"c-{COMMUNE}/_all_docs", json={"keys": keys}).json()["rows"]
    finally:
        server.stop()
    assert [r["error"] for r in results if r["error"]] == []
    failures = [f for r in results for f in r["failures"]]
    assert set(Counter(f["status"] for f in failures)) <= {404, 503}, failures
    busy = [f for f in failures if f["status"] == 503]
    assert all("busy checking other sign-ins" in f["body"] for f in busy), busy
    # What a phone's pull reads depends on how far the others (and the worker's results) got
    # by then, so only its success is checked (`error is None` above). A phone never retried
    # wrote its own sheets; the stored rows below show every sheet arrived.
    assert all(r["pushed"] == SHEETS for r in results if not r["retries"]), results
    assert [row["id"] for row in rows if "error" in row or "deleted" in row["value"]] == []
