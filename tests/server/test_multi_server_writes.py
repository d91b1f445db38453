"""Several server processes on one PostgreSQL embedded store write to one database at once
while a `_changes` follower (longpoll, through another server) reads along: every change is
seen exactly once, in seq order, and nothing written is lost or skipped."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.replication.servers import Server, free_port, our_server

pytestmark = pytest.mark.slow

SERVERS, WRITERS_PER_SERVER, BATCHES, PER_BATCH = 3, 2, 25, 4
DB = "loadtest"


def _servers(tmp_path: Path, url: str) -> list[Server]:
    first = our_server(tmp_path / "data", THIDUA_DATABASE_URL=url, THIDUA_WORKER="off")
    servers = [first]
    for number in range(1, SERVERS):
        port = free_port()
        command = list(first.command)
        command[command.index("--port") + 1] = str(port)
        servers.append(replace(first, name=f"ours{number}", command=command, port=port))
    return servers


def _write(server: Server, writer: str, done: list[str], errors: list[str]) -> None:
    with server.client() as client:
        for batch in range(BATCHES):
            docs: list[dict[str, Any]] = [{"_id": f"{writer}-{batch:03d}-{n}", "writer": writer, "n": n}
                    for n in range(PER_BATCH)]
            if batch % 5 == 4:  # single-document writes in between
                answers = [client.put(f"{DB}/{doc['_id']}", json=doc) for doc in docs]
                bad = [a.text for a in answers if a.status_code != 201]
            else:
                answer = client.post(f"{DB}/_bulk_docs", json={"docs": docs})
                bad = [answer.text] if answer.status_code != 201 else [
                    str(r) for r in answer.json() if not r.get("ok")]
            if bad:
                errors.extend(bad)
                return
            done.extend(str(doc["_id"]) for doc in docs)


def _follow(server: Server, expected: int, seen: list[tuple[Any, str]], stop: threading.Event,
            errors: list[str]) -> None:
    since: Any = 0
    with server.client(timeout=60) as client:
        while len(seen) < expected and not stop.is_set():
            answer = client.get(f"{DB}/_changes", params={
                "feed": "longpoll", "since": since, "timeout": 1000, "limit": 37})
            if answer.status_code != 200:
                errors.append(answer.text)
                return
            page = answer.json()
            seen.extend((row["seq"], row["id"]) for row in page["results"])
            since = page["last_seq"]


def test_writes_from_several_servers_are_serialised(
        tmp_path: Path, fresh_postgres_url: str) -> None:
    servers = _servers(tmp_path, fresh_postgres_url)
    try:
        for server in servers:
            server.start()
        with servers[0].client() as client:
            assert client.put(DB).status_code == 201
        expected = SERVERS * WRITERS_PER_SERVER * BATCHES * PER_BATCH
        written: list[str] = []
        seen: list[tuple[Any, str]] = []
        errors: list[str] = []
        stop = threading.Event()
        follower = threading.Thread(target=_follow, args=(servers[-1], expected, seen, stop,
                                                          errors))
        follower.start()
        writers = [threading.Thread(target=_write, args=(server, f"s{i}w{w}", written, errors))
                   for i, server in enumerate(servers) for w in range(WRITERS_PER_SERVER)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join(120)
        follower.join(60)  # it ends once it has seen every write; however long they took
        stop.set()
        follower.join(5)
        assert not errors, errors[:3]
        assert len(written) == expected
        ids = [doc_id for _, doc_id in seen]
        assert len(ids) == len(set(ids)) == expected  # none twice, none skipped
        assert set(ids) == set(written)
        numbers = [int(str(seq).split("-")[0]) for seq, _ in seen]
        assert numbers == sorted(numbers) and len(set(numbers)) == expected  # one seq each
        with servers[0].client() as client:
            info = client.get(DB).json()
            full = client.get(f"{DB}/_changes").json()["results"]
        assert info["doc_count"] == expected and len(full) == expected
        assert [row["id"] for row in full] == ids  # the follower saw the final order
    finally:
        for server in servers:
            server.stop()
