"""Sessions end on the server; sign-in storms stay bounded; spraying names is limited.

Sign-out, a password change, a disable and a token revoke end cookie sessions in SQL and
bump the account's credential epoch, so a second server process on the same database
refuses the old cookie, token or Basic password on its very next request."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts import Accounts
from server.app import create_app
from server.auth import ADDRESS_FAILURES, Authenticator, SignInRefused
from server.auth_limits import Limit, SignInLimits
from server.settings import Settings
from server.signin_gate import PasswordGate

Client = AsyncTestClient[Litestar]
Basic = Callable[[str, str], dict[str, str]]
SIGN_IN = {"name": "canbo1", "password": "canbo1-password"}


class CountingHasher(PasswordHasher):
    """The real (fast) argon2 hasher, counting its checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
async def two(settings: Settings, hasher: CountingHasher) -> AsyncIterator[tuple[Client, Client]]:
    """Two server processes' apps on one SQL database, with canbo1 and admin."""
    accounts = Accounts.from_settings(settings)
    accounts.hasher = hasher
    accounts.initialize()
    accounts.add("canbo1", "canbo1-password", ["scorer"], ["26734"])
    accounts.add("admin", "admin-password", ["admin"])
    accounts.close()
    async with (
        AsyncTestClient(create_app(settings)) as a,
        AsyncTestClient(create_app(settings)) as b,
    ):
        for client in (a, b):
            client.app.state.accounts.hasher = hasher
        yield a, b


def _cookie(client: Client) -> dict[str, str]:
    value = client.cookies.get("AuthSession")
    assert value
    return {"Cookie": f"AuthSession={value}"}


async def _signed_in(client: Client) -> dict[str, str]:
    answer = await client.post("/db/_session", json=SIGN_IN)
    assert answer.status_code == 200, answer.text
    return _cookie(client)


async def test_sign_out_ends_the_session_in_every_process(two: tuple[Client, Client]) -> None:
    a, b = two
    cookie = await _signed_in(a)
    assert (await b.get("/db/_all_dbs", headers=cookie)).status_code == 200
    assert (await a.delete("/db/_session")).status_code == 200
    a.cookies.clear()
    refused = await a.get("/db/_all_dbs", headers=cookie)  # the old cookie, kept by a thief
    assert refused.status_code == 401, refused.text
    assert (await b.get("/db/_all_dbs", headers=cookie)).status_code == 401


@pytest.mark.parametrize("change", ["password", "disable", "revoke"])
async def test_account_changes_end_that_users_sessions(
    two: tuple[Client, Client], basic: Basic, change: str
) -> None:
    a, b = two
    accounts: Accounts = a.app.state.accounts
    token, secret = accounts.create_token("canbo1", "phone")
    cookie = await _signed_in(a)
    bearer = {"Authorization": f"Bearer {secret}"}
    old_basic = basic(*SIGN_IN.values())
    for headers in (cookie, bearer, old_basic):
        assert (await b.get("/db/_all_dbs", headers=headers)).status_code == 200
    if change == "password":
        accounts.set_password("canbo1", "a-new-password")
    elif change == "disable":
        accounts.disable("canbo1")
    else:
        accounts.revoke_token(token.id)
    a.cookies.clear()
    assert (await a.get("/db/_all_dbs", headers=cookie)).status_code == 401  # at once here
    assert (await b.get("/db/_all_dbs", headers=cookie)).status_code == 401
    if change != "revoke":  # the password or the account changed: cached Basic too
        assert (await a.get("/db/_all_dbs", headers=old_basic)).status_code == 401
        assert (await b.get("/db/_all_dbs", headers=old_basic)).status_code == 401
    if change != "password":
        assert (await b.get("/db/_all_dbs", headers=bearer)).status_code == 401


async def test_one_address_spraying_many_names_is_limited(
    two: tuple[Client, Client], basic: Basic
) -> None:
    a, _ = two
    for number in range(ADDRESS_FAILURES):
        wrong = await a.post("/db/_session", json={"name": f"u{number}", "password": "spray-1"})
        assert wrong.status_code == 401
    limited = await a.get("/db/_all_dbs", headers=basic("admin", "admin-password"))
    assert limited.status_code == 429, limited.text
    assert int(limited.headers["retry-after"]) > 0


async def test_unknown_names_cost_one_password_check_like_known_ones(
    two: tuple[Client, Client], basic: Basic, hasher: CountingHasher
) -> None:
    a, _ = two
    a.app.state.accounts.disable("admin")
    for name, password in (
        ("nobody", "x-password"),
        ("canbo1", "wrong-pass"),
        ("admin", "admin-password"),
    ):
        before = hasher.verified
        assert (await a.get("/db/_all_dbs", headers=basic(name, password))).status_code == 401
        assert hasher.verified - before == 1, name


async def test_a_sign_in_storm_is_bounded_and_the_rest_are_told_to_retry(
    settings: Settings, hasher: CountingHasher
) -> None:
    accounts = Accounts.from_settings(settings)
    accounts.hasher = hasher
    accounts.initialize()
    auth = Authenticator(accounts, settings)
    auth.gate = PasswordGate(slots=1, queue=1)
    release, started = threading.Event(), threading.Semaphore(0)
    real, inside = accounts.verify_password, {"now": 0, "most": 0}

    def held(name: str, password: str) -> Any:  # the real check, held until released
        inside["now"] += 1
        inside["most"] = max(inside["most"], inside["now"])
        started.release()
        release.wait(10)
        inside["now"] -= 1
        return real(name, password)

    accounts.verify_password = held  # type: ignore[method-assign]

    async def attempt(n: int) -> tuple[int, int]:
        try:
            await auth.sign_in(f"ghost{n}", "wrong-pass", f"10.0.0.{n}", "basic")
        except SignInRefused as refused:
            return refused.status, refused.retry_after
        return 200, 0

    tasks = [asyncio.create_task(attempt(n)) for n in range(8)]
    assert await asyncio.to_thread(started.acquire, True, 10)
    for _ in range(200):  # the six refused ones finish while the first check is held
        if sum(t.done() for t in tasks) >= 6:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # (no seventh may finish: one runs, one waits)
    busy = [t.result() for t in tasks if t.done()]
    assert busy == [(503, 1)] * 6, busy
    release.set()
    assert sorted(await asyncio.gather(*tasks)) == [(401, 0)] * 2 + [(503, 1)] * 6
    assert inside["most"] == 1 and auth.gate.checks == 2
    accounts.close()


def test_sign_in_limits_are_one_fixed_window_shared_by_every_process(settings: Settings) -> None:
    accounts = Accounts.from_settings(settings)
    accounts.initialize()
    other = Accounts.from_settings(settings)  # another process's engine on the same file
    here, there = SignInLimits(accounts.engine), SignInLimits(other.engine)
    key = [(Limit("test", 3, window=60), "lan|10.0.0.1")]
    for t in (0, 1, 2):
        assert here.retry_after(key, t) == 0
        held = (here if t % 2 else there).reserve(key, t)
        assert held.retry_after == 0 and not held.busy
        (there if t % 2 else here).failed(held)
    assert 55 <= there.retry_after(key, 3) <= 60
    over = there.reserve(key, 3)
    assert over.retry_after > 0
    there.release(over)  # an attempt refused before its check is given back
    assert here.retry_after(key, 59) > 0 and here.retry_after(key, 61) == 0  # window over
    fresh = here.reserve(key, 61)
    assert fresh.retry_after == 0
    there.release(fresh, clear=key)  # a right password clears its name's counter
    for t in (62, 63, 64):
        held = here.reserve(key, t)
        assert held.retry_after == 0 and not held.busy
        there.failed(held)
    assert there.retry_after(key, 65) > 0
    accounts.close()
    other.close()


def test_checks_still_running_are_not_failures_but_bound_the_next(settings: Settings) -> None:
    accounts = Accounts.from_settings(settings)
    accounts.initialize()
    limits = SignInLimits(accounts.engine)
    key = [(Limit("test", 3, window=60), "10.0.0.9")]
    running = [limits.reserve(key, t) for t in (0, 1, 2)]
    assert [(r.retry_after, r.busy) for r in running] == [(0, False)] * 3
    assert limits.retry_after(key, 3) == 0  # nothing failed: a known password is let in
    more = limits.reserve(key, 3)
    assert more.busy and more.retry_after == 0  # could fail past the limit: retry soon
    limits.release(more)
    limits.release(running[0])  # a right password
    again = limits.reserve(key, 4)
    assert not again.busy and again.retry_after == 0
    for held in (running[1], running[2], again):
        limits.failed(held)
    assert limits.retry_after(key, 5) > 0
    limited = limits.reserve(key, 5)
    assert limited.retry_after > 0 and not limited.busy
    accounts.close()


async def test_right_passwords_racing_from_one_address_are_never_limited(
    settings: Settings, hasher: CountingHasher
) -> None:
    """A commune office behind one address: while as many sign-ins as the address may fail
    are being checked, a phone already signed in goes on, and one more is told to retry."""
    accounts = Accounts.from_settings(settings)
    accounts.hasher = hasher
    accounts.initialize()
    for n in range(ADDRESS_FAILURES + 2):
        accounts.add(f"canbo{n}", f"password-{n}", ["scorer"], ["26734"])
    auth = Authenticator(accounts, settings)
    auth.gate = PasswordGate(slots=1, queue=ADDRESS_FAILURES + 5)
    await auth.sign_in("canbo0", "password-0", "10.0.0.1", "basic")  # known from now on
    release, started = threading.Event(), threading.Semaphore(0)
    real = accounts.verify_password

    def held(name: str, password: str) -> Any:  # the real check, held until released
        started.release()
        release.wait(10)
        return real(name, password)

    accounts.verify_password = held  # type: ignore[method-assign]
    racing = [
        asyncio.create_task(auth.sign_in(f"canbo{n}", f"password-{n}", "10.0.0.1", "basic"))
        for n in range(2, ADDRESS_FAILURES + 2)
    ]
    assert await asyncio.to_thread(started.acquire, True, 10)
    for _ in range(200):  # one check runs, the others wait in the gate: all reserved
        if auth.gate._inside == ADDRESS_FAILURES:
            break
        await asyncio.sleep(0.05)
    assert auth.gate._inside == ADDRESS_FAILURES
    known = await auth.sign_in("canbo0", "password-0", "10.0.0.1", "basic")
    assert known.name == "canbo0"
    with pytest.raises(SignInRefused) as busy:
        await auth.sign_in("canbo1", "password-1", "10.0.0.1", "basic")
    assert (busy.value.status, busy.value.retry_after) == (503, 1)
    release.set()
    assert sorted(a.name for a in await asyncio.gather(*racing)) == sorted(
        f"canbo{n}" for n in range(2, ADDRESS_FAILURES + 2)
    )
    assert (await auth.sign_in("canbo1", "password-1", "10.0.0.1", "basic")).name == "canbo1"
    accounts.close()


def test_a_limit_table_made_before_pending_counts_is_upgraded(settings: Settings) -> None:
    accounts = Accounts.from_settings(settings)
    with accounts.engine.begin() as connection:  # the table as it was made before
        connection.exec_driver_sql(
            "CREATE TABLE auth_limits (key VARCHAR(64) PRIMARY KEY, window_start FLOAT NOT NULL,"
            " count INTEGER NOT NULL)"
        )
    accounts.initialize()
    limits, key = SignInLimits(accounts.engine), [(Limit("test", 1, window=60), "10.0.0.3")]
    limits.failed(limits.reserve(key, 0))
    assert limits.retry_after(key, 1) > 0
    accounts.close()
