"""The restore drill of docs/deploy.md on the real Apache CouchDB: back a commune database up
with couchbackup, destroy it, restore it with couchrestore, compare every document and the
whole revision history of each."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.couchdb import CouchNode
from tests.replication.servers import NODE_BIN

DB = "c-drill-26734"


def _snapshot(client: httpx.Client) -> dict[str, Any]:
    rows = client.get(f"{DB}/_all_docs").json()["rows"]
    docs = {}
    for row in rows:
        doc = client.get(f"{DB}/{row['id']}", params={"revs": "true"}).json()
        docs[row["id"]] = doc
    return docs


def _tool(name: str, node: CouchNode, **io: Any) -> None:
    done = subprocess.run([str(NODE_BIN / name), "--url", node.url_with_auth, "--db", DB],
                          stderr=subprocess.PIPE, timeout=120, check=False,
                          **{"stdout": subprocess.DEVNULL, **io})
    assert done.returncode == 0, done.stderr[-2000:]


def test_backup_destroy_restore_compare(couchdb_node: CouchNode, tmp_path: Path) -> None:
    with httpx.Client(base_url=couchdb_node.url, auth=couchdb_node.auth, timeout=30) as client:
        client.delete(DB)
        assert client.put(DB).status_code == 201
        docs = [{"_id": f"sheet:g{n:04d}", "unit": f"g{n:04d}", "inputs": {"tiet_kiem": n},
                 "ten": "Tổ tiết kiệm và vay vốn số " + str(n)} for n in range(300)]
        answer = client.post(f"{DB}/_bulk_docs", json={"docs": docs})
        for doc, result in zip(docs[:50], answer.json()[:50], strict=True):  # a 2nd revision
            client.put(f"{DB}/{doc['_id']}", json={**doc, "_rev": result["rev"], "status": "ok"})
        client.delete(f"{DB}/{docs[-1]['_id']}",
                      params={"rev": answer.json()[-1]["rev"]})  # a deletion: not restored
        before = _snapshot(client)
        backup = tmp_path / "backup.txt"
        with backup.open("wb") as out:
            _tool("couchbackup", couchdb_node, stdout=out)
        assert client.delete(DB).status_code == 200
        assert client.get(DB).status_code == 404
        assert client.put(DB).status_code == 201
        with backup.open("rb") as source:
            _tool("couchrestore", couchdb_node, stdin=source)
        after = _snapshot(client)
        assert len(before) == 299 and after == before  # bodies, _rev and _revisions alike
        client.delete(DB)
