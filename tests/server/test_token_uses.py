"""Device-token "last used" times: written off the request path, batched, at most once a
minute per token and process, and still written when the token's reads are cached."""

from __future__ import annotations

import asyncio
from datetime import datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts import Accounts
from server.auth import Authenticator
from server.token_uses import TokenUses


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_uses_are_written_in_one_batch_and_at_most_once_per_period() -> None:
    writes: list[list[str]] = []
    clock = Clock()
    uses = TokenUses(writes.append, every=60, clock=clock)
    for token in ("b", "a", "b", "a", "c"):
        uses.note(token)
    await uses.flush()
    assert writes == [["a", "b", "c"]]
    uses.note("a")  # within the minute: nothing to write
    await uses.flush()
    assert writes == [["a", "b", "c"]]
    clock.now += 61
    uses.note("a")
    await uses.flush()
    assert writes == [["a", "b", "c"], ["a"]]


async def test_uses_noted_during_a_write_go_into_the_next_one() -> None:
    writes: list[list[str]] = []
    started, release = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow(ids: list[str]) -> None:
        loop.call_soon_threadsafe(started.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=10)
        writes.append(ids)

    uses = TokenUses(slow)
    uses.note("a")
    await asyncio.wait_for(started.wait(), 10)
    uses.note("b")
    uses.note("c")
    release.set()
    await uses.flush()
    assert writes == [["a"], ["b", "c"]]


async def test_a_failed_write_is_logged_and_the_next_use_written() -> None:
    from sqlalchemy.exc import OperationalError

    writes: list[list[str]] = []

    def flaky(ids: list[str]) -> None:
        if not writes:
            writes.append([])
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        writes.append(ids)

    clock = Clock()
    uses = TokenUses(flaky, clock=clock)
    uses.note("a")
    await uses.flush()
    clock.now += 61
    uses.note("a")
    await uses.flush()
    assert writes == [[], ["a"]]


async def test_a_bearer_request_stamps_its_token_even_when_its_reads_are_cached(
    app: Litestar, client: AsyncTestClient[Litestar], accounts: Accounts
) -> None:
    token, secret = accounts.create_token("canbo1", "Điện thoại 1")
    bearer = {"Authorization": f"Bearer {secret}"}
    auth: Authenticator = app.state.auth
    assert (await client.get("/db/_all_dbs", headers=bearer)).status_code == 200
    first = await _stamped(accounts, None)
    auth.token_uses.every = 0  # a minute later: the cached read is reused, the use noted
    assert (await client.get("/db/_all_dbs", headers=bearer)).status_code == 200
    await _stamped(accounts, first)
    accounts.revoke_token(token.id)
    assert (await client.get("/db/_all_dbs", headers=bearer)).status_code == 401


async def _stamped(accounts: Accounts, after: datetime | None) -> datetime:
    """The token's "last used" time once it is later than `after` (written by the app's
    own event loop, in its test client's thread; at most 10 s)."""
    for _ in range(200):
        stamp = accounts.list_tokens("canbo1")[0].last_used_at
        if stamp is not None and (after is None or stamp > after):
            return stamp
        await asyncio.sleep(0.05)
    raise AssertionError(f"the token's last use was not recorded after {after}")
