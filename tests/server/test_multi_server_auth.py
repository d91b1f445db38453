"""Three real server processes (uvicorn) on one PostgreSQL: any request may go to any server.

A session or device token made on one server works on the others; sign-out, a password
change, a disable or a token revoke made on one server is refused by the others on their
very next request, even though each had just reused its cached read; failed sign-ins spread
over the servers count against one shared limit, and many attempts racing over all three at
once never get more password checks than the limit allows (the bound is exact: 0 over)."""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine

from server.accounts import Accounts
from server.auth_limits import ADDRESS, NAME
from tests.pg import create_database, drop_database
from tests.replication.servers import ADMIN_PASSWORD, ADMIN_USER, Server, free_port, our_server

pytestmark = pytest.mark.slow

SERVERS = 3
PASSWORD = "right-password-1"
GHOSTS = 60
USERS = ("lan", "mai", "hoa", "cuc", "dao", "spray", *(f"ghost{n}" for n in range(GHOSTS)))
#: Cheap argon2 for the test's users: the servers check each hash with its own parameters
#: (and upgrade it on the first right password), so wrong-password storms stay quick.
QUICK = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[list[str]]:
    """Base URLs of three servers sharing one fresh PostgreSQL database (users in USERS)."""
    name = f"thidua_auth_{free_port()}"
    url = create_database(postgres_url, name)
    first = our_server(
        tmp_path_factory.mktemp("multi-auth"),
        THIDUA_DATABASE_URL=url,
        THIDUA_WORKER="off",
        THIDUA_TRUSTED_PROXIES="127.0.0.1",  # each test signs in from its own address
    )
    started: list[Server] = [first]
    for number in range(1, SERVERS):
        port = free_port()
        command = list(first.command)
        command[command.index("--port") + 1] = str(port)
        started.append(replace(first, name=f"ours{number}", command=command, port=port))
    accounts = Accounts(create_engine(url), QUICK)
    try:
        for user in USERS:
            accounts.add(user, PASSWORD, ["scorer"], ["26734"])
        started[0].start(wait=180)  # creates the store's tables: its schema set-up is not
        # safe to run concurrently on PostgreSQL ("sync_databases" already exists), see notes
        with ThreadPoolExecutor(SERVERS) as pool:  # the others at once (auth tables: locked)
            list(pool.map(lambda server: server.start(wait=180), started[1:]))
        yield [f"http://127.0.0.1:{server.port}" for server in started]
    finally:
        for server in started:
            server.stop()
        accounts.close()
        drop_database(postgres_url, name)


def _from(address: str, **headers: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, "Accept": "application/json", **headers}


def _sign_in(base: str, name: str, password: str, address: str) -> httpx.Response:
    body = {"name": name, "password": password}
    return httpx.post(f"{base}/db/_session", json=body, headers=_from(address), timeout=120)


def _basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


def _who(base: str, headers: dict[str, str]) -> int:
    return httpx.get(f"{base}/db/_all_dbs", headers=headers, timeout=60).status_code


def _cookie(answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.text
    value = answer.cookies.get("AuthSession")
    assert value
    return f"AuthSession={value}"


def test_a_session_and_a_token_made_on_one_server_work_on_every_other(
    servers: list[str],
) -> None:
    a, b, c = servers
    cookie = _cookie(_sign_in(a, "lan", PASSWORD, "10.1.0.1"))
    for base in (b, c):
        info = httpx.get(f"{base}/db/_session", headers=_from("10.1.0.1", Cookie=cookie))
        assert info.json()["userCtx"]["name"] == "lan", base
    made = httpx.post(f"{b}/api/me/tokens", json={"device": "phone"},
                      headers=_from("10.1.0.1", Cookie=cookie))  # fmt: skip
    assert made.status_code == 201, made.text
    bearer = _from("10.1.0.1", Authorization=f"Bearer {made.json()['secret']}")
    assert [_who(base, bearer) for base in servers] == [200] * SERVERS
    signed_out = httpx.delete(f"{c}/db/_session", headers=_from("10.1.0.1", Cookie=cookie))
    assert signed_out.status_code == 200
    assert [_who(base, _from("10.1.0.1", Cookie=cookie)) for base in servers] == [401] * 3
    assert _who(a, bearer) == 200  # signing out of the browser leaves the phone's token


@pytest.mark.parametrize(("change", "user"), [("password", "mai"), ("disable", "hoa"),
                                              ("revoke", "cuc")])  # fmt: skip
def test_a_change_on_one_server_is_refused_by_the_others_at_the_next_request(
    servers: list[str], change: str, user: str
) -> None:
    a, *others = servers
    address = f"10.2.0.{len(user)}{ord(user[0]) % 10}"
    cookie = _from(address, Cookie=_cookie(_sign_in(a, user, PASSWORD, address)))
    basic = _from(address, Authorization=_basic(user, PASSWORD))
    made = httpx.post(f"{a}/api/me/tokens", json={"device": "phone"}, headers=basic)
    assert made.status_code == 201, made.text
    bearer = _from(address, Authorization=f"Bearer {made.json()['secret']}")
    for _ in range(2):  # every server has read (and cached) all three credentials
        for base in servers:
            assert [_who(base, h) for h in (cookie, basic, bearer)] == [200] * 3, base
    admin = httpx.BasicAuth(ADMIN_USER, ADMIN_PASSWORD)
    api = f"{a}/api/admin"
    if change == "password":
        done = httpx.put(f"{api}/accounts/{user}/password", json={"password": "a-new-password"},
                         auth=admin, headers=_from(address))  # fmt: skip
    elif change == "disable":
        done = httpx.patch(f"{api}/accounts/{user}", json={"disabled": True}, auth=admin,
                           headers=_from(address))  # fmt: skip
    else:
        done = httpx.delete(f"{api}/tokens/{made.json()['id']}", auth=admin, headers=_from(address))
    assert done.status_code in (200, 204), done.text
    for base in others:  # the very next request on each other server
        assert _who(base, cookie) == 401, (change, base)
        assert _who(base, basic) == (200 if change == "revoke" else 401), (change, base)
        assert _who(base, bearer) == (200 if change == "password" else 401), (change, base)


def test_failures_spread_over_the_servers_share_one_limit(servers: list[str]) -> None:
    address = "10.3.0.1"
    answers = [_sign_in(servers[n % SERVERS], "dao", "wrong-password", address).status_code
               for n in range(NAME.max_failures)]  # fmt: skip
    assert answers == [401] * NAME.max_failures
    for base in servers:  # even the right password: this name is limited at this address
        limited = _sign_in(base, "dao", PASSWORD, address)
        assert limited.status_code == 429, limited.text
        assert int(limited.headers["retry-after"]) > 0
    assert _sign_in(servers[0], "dao", PASSWORD, "10.3.0.2").status_code == 200  # elsewhere


def _storm(servers: list[str], names: list[str], address: str) -> Counter[int]:
    """One wrong-password attempt per name, all at once, spread over the servers."""
    statuses: Counter[int] = Counter()
    lock, go = threading.Lock(), threading.Barrier(len(names))

    def attempt(n: int) -> None:
        go.wait(60)
        status = _sign_in(servers[n % SERVERS], names[n], f"wrong-{n}", address).status_code
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(names))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert sum(statuses.values()) == len(names), statuses
    return statuses


def test_racing_wrong_passwords_for_one_name_never_pass_the_limit(servers: list[str]) -> None:
    statuses = _storm(servers, ["spray"] * 45, "10.4.0.1")
    assert set(statuses) <= {401, 429, 503}, statuses
    assert 1 <= statuses[401] <= NAME.max_failures, statuses  # password checks: 0 over
    # One at a time, the name gets exactly the checks the storm left, then 429, even
    # with the right password: the bound is exact.
    left = NAME.max_failures - statuses[401]
    late = [_sign_in(servers[n % SERVERS], "spray", f"wrong-{n}", "10.4.0.1").status_code
            for n in range(left)]
    late.append(_sign_in(servers[1], "spray", PASSWORD, "10.4.0.1").status_code)
    assert late == [401] * left + [429], (statuses, late)


def test_racing_wrong_passwords_from_one_address_never_pass_its_limit(
    servers: list[str],
) -> None:
    statuses = _storm(servers, [f"ghost{n}" for n in range(GHOSTS)], "10.5.0.1")
    assert set(statuses) <= {401, 429, 503}, statuses
    assert 1 <= statuses[401] <= ADDRESS.max_failures, statuses
    # Racing attempts over the bound were told 503 (retry) or 429. One at a time, the
    # address gets exactly the checks the storm left, then 429: the bound is exact.
    left = ADDRESS.max_failures - statuses[401]
    late = [_sign_in(servers[n % SERVERS], f"late{n}", f"wrong-{n}", "10.5.0.1").status_code
            for n in range(left + 1)]
    assert late == [401] * left + [429], (statuses, late)
