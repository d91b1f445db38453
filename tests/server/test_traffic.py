"""server.traffic: the worker's pages wait while requests are in flight, at most `at_most`
seconds; the auth middleware counts `/db` requests, not waiting `_changes` feeds."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts import Accounts
from server.auth import _waits
from server.traffic import Traffic

ADMIN = {"Authorization": "Basic " + base64.b64encode(b"root:root-password").decode()}


async def test_quiet_returns_once_nothing_is_in_flight() -> None:
    traffic = Traffic(settle=0.02, at_most=60)
    await asyncio.wait_for(traffic.quiet(), 10)  # idle: at once
    traffic.enter()
    waiting = asyncio.create_task(traffic.quiet())
    await asyncio.sleep(0.3)
    assert not waiting.done()  # a request in flight: the page waits
    traffic.leave()
    await asyncio.wait_for(waiting, 10)


async def test_quiet_waits_at_most_its_bound() -> None:
    traffic = Traffic(settle=0.02, at_most=0.2)
    traffic.enter()  # never leaves: a server that is never idle
    started = time.monotonic()
    await asyncio.wait_for(traffic.quiet(), 10)
    assert time.monotonic() - started >= 0.2


def test_waiting_change_feeds_are_not_traffic() -> None:
    def scope(path: str, query: bytes) -> Any:
        return {"path": path, "query_string": query}

    assert _waits(scope("/db/c-1/_changes", b"feed=longpoll&since=3"))
    assert _waits(scope("/db/c-1/_changes", b"since=3&feed=continuous"))
    assert not _waits(scope("/db/c-1/_changes", b"feed=normal&since=3"))
    assert not _waits(scope("/db/c-1/_changes", b"since=3"))
    assert not _waits(scope("/db/c-1/_bulk_docs", b"feed=longpoll"))


async def test_a_db_request_is_counted_while_it_runs(app: Litestar) -> None:
    seen: list[int] = []

    async def observer(*report: Any) -> None:  # runs inside the request
        seen.append(app.state.traffic.in_flight)

    async with AsyncTestClient(app) as client:
        accounts: Accounts = app.state.accounts
        await asyncio.to_thread(accounts.add, "root", "root-password", ["admin"])
        app.state.write_observers.append(observer)
        assert (await client.put("/db/other", headers=ADMIN)).status_code == 201
        answer = await client.post("/db/other/_bulk_docs", json={"docs": [{"_id": "a"}]},
                                   headers=ADMIN)
        assert answer.status_code == 201
        assert seen == [1]
        assert app.state.traffic.in_flight == 0
