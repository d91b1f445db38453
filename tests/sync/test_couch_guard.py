"""The CouchDB store's validated writes against a real Apache CouchDB 3.5 node: the
validator conformance topic, and writes racing a concurrent writer (`couch_guard`).

The races are made deterministic: the validator itself writes the concurrent revision
straight to CouchDB while it judges (between the store's read and its write), as another
server process would."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

pytest.register_assert_rewrite("sync.testing")

from sync.backends.couchdb import CouchStore  # noqa: E402
from sync.closing import closing_rev  # noqa: E402
from sync.store import Doc, Stored, Verdict  # noqa: E402
from sync.testing import ValidatorTests  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PREFIX = Path.home() / ".cache" / "thidua" / "couchdb-869004cca60e272b"
NODES = ROOT.parent / "shared" / "couchdb" / "nodes.sh"


@pytest.fixture(scope="module")
def couchdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`http://admin:secret@127.0.0.1:PORT` of a fresh single CouchDB node."""
    if not (PREFIX / "bin" / "couchdb").exists() or not NODES.exists():
        pytest.skip("Apache CouchDB is not built (../shared/couchdb/build.sh)")
    from replication.servers import free_port

    state, port = tmp_path_factory.mktemp("couchdb"), free_port()
    subprocess.run(["sh", str(NODES), "start", str(PREFIX), str(state), "1", str(port),
                    "admin", "secret"], check=True, capture_output=True, timeout=120)
    try:
        yield f"http://admin:secret@127.0.0.1:{port}"
    finally:
        subprocess.run(["sh", str(NODES), "stop", str(state)], capture_output=True, timeout=60)


@pytest.fixture
async def store(couchdb: str) -> AsyncIterator[CouchStore]:
    store = CouchStore(couchdb, poll_seconds=1)
    await store.initialize()
    yield store
    await store.close()


class TestCouchdbValidator(ValidatorTests):
    """The conformance topic (`sync.testing`) on real CouchDB."""


def _rules(inject: Any) -> Any:
    """The gatekeeper's lock rules in small: a locked winner refuses unlocking writes; a lock
    prevails over the other leaves. `inject()` runs once, during the first judgement."""
    pending = [inject]

    def validate(index: int, doc: Doc, stored: Stored) -> Verdict:
        if pending:
            pending.pop()()
        if stored.winner and stored.winner.get("locked") and not doc.get("locked"):
            return Verdict("the sheet is locked")
        return Verdict(prevail=bool(doc.get("locked") and stored.closes))

    return validate


def _hex() -> str:
    return uuid.uuid4().hex


async def test_a_push_judged_before_a_concurrent_lock_is_undone(
    store: CouchStore, couchdb: str
) -> None:
    db = f"g-{_hex()[:12]}"
    await store.create_db(db)
    first = (await store.put(db, {"_id": "s", "v": 1})).rev
    assert first

    def lock() -> None:  # another process locks revision 1 meanwhile
        answer = requests.put(f"{couchdb}/{db}/s", json={"_rev": first, "v": 1, "locked": True},
                              timeout=10)
        assert answer.status_code == 201, answer.text

    x, y = _hex(), _hex()
    push = {"_id": "s", "v": 2, "_rev": f"3-{y}",
            "_revisions": {"start": 3, "ids": [y, x, first.split("-")[1]]}}
    [result] = await store.bulk_docs(db, [push], new_edits=False, validate=_rules(lock))
    assert (result.error, result.reason) == ("forbidden", "the sheet is locked")
    doc = await store.get(db, "s", conflicts=True, deleted_conflicts=True)
    assert doc["locked"] is True and doc["_rev"].startswith("2-") and "_conflicts" not in doc
    assert doc["_deleted_conflicts"] == [closing_rev(f"3-{y}", doc["_rev"])]


async def test_a_lock_judged_before_a_concurrent_branch_still_wins(
    store: CouchStore, couchdb: str
) -> None:
    db = f"g-{_hex()[:12]}"
    await store.create_db(db)
    first = (await store.put(db, {"_id": "s", "v": 1})).rev
    branch = f"3-{_hex()}"

    def push() -> None:  # a phone's higher branch lands meanwhile (through another process)
        ids = [branch.split("-")[1], _hex(), _hex()]
        answer = requests.post(f"{couchdb}/{db}/_bulk_docs", timeout=10, json={
            "new_edits": False,
            "docs": [{"_id": "s", "v": 2, "_rev": branch, "_revisions": {"start": 3, "ids": ids}}]})
        assert answer.status_code == 201, answer.text

    [result] = await store.bulk_docs(db, [{"_id": "s", "_rev": first, "v": 1, "locked": True}],
                                     validate=_rules(push))
    assert result.ok and result.rev
    doc = await store.get(db, "s", conflicts=True, deleted_conflicts=True)
    assert doc["_rev"] == result.rev and doc["locked"] is True and "_conflicts" not in doc
    assert doc["_deleted_conflicts"] == [closing_rev(branch, result.rev)]


async def test_leaves_read_equals_all_docs_read(store: CouchStore) -> None:
    """The guard's `_bulk_get` read of leaves gives, for every document, the winner body and
    the open leaves in the order CouchDB's `_all_docs?conflicts` gives them (the read used on
    pouchdb-server), also when asked of one copy (`r=1`, the first read of a batch):
    conflicted, deleted-winner, deleted-loser, plain and missing docs."""
    from sync.backends.couch_guard import _read

    db = f"leaves-{uuid.uuid4().hex[:8]}"
    await store.create_db(db)
    docs: list[Doc] = []
    for n, shape in enumerate(["ab", "a", "aB", "Ab", "AB", "abc", "aBc"]):  # upper: deleted
        for k, letter in enumerate(shape):
            pos = 1 + (n + k) % 3
            rev_ids = [uuid.uuid4().hex for _ in range(pos)]
            docs.append({"_id": f"d{n}", "_rev": f"{pos}-{rev_ids[0]}", "v": k,
                         "_revisions": {"start": pos, "ids": rev_ids},
                         **({"_deleted": True} if letter.isupper() else {})})
    await store.bulk_docs(db, docs, new_edits=False)
    ids = [f"d{n}" for n in range(7)] + ["missing"]
    fast = await _read(store.client, db, ids, quirks=False)
    one = await _read(store.client, db, ids, quirks=False, one_copy=True)  # the first read's
    plain = await _read(store.client, db, ids, quirks=True)
    assert set(plain) == set(fast) == set(one) == set(ids)
    for doc_id in ids:
        assert (fast[doc_id].winner, fast[doc_id].leaves) == (
            plain[doc_id].winner, plain[doc_id].leaves) == (
            one[doc_id].winner, one[doc_id].leaves), doc_id
    assert [len(plain[f"d{n}"].leaves) for n in range(7)] == [2, 1, 1, 1, 0, 3, 2]
