"""The account store on a real SQLite file: accounts, passwords, device tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from server.accounts import AccountError, Accounts, UnknownAccount
from server.settings import Settings

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.fixture
def accounts(settings: Settings) -> Iterator[Accounts]:
    store = Accounts.from_settings(settings)
    store.hasher = FAST
    store.initialize()
    store.initialize()  # idempotent
    yield store
    store.close()


def test_add_get_list(accounts: Accounts) -> None:
    added = accounts.add("canbo1", "secret-pass", ["scorer"], ["26734", "26735"])
    assert added.roles == ("scorer",) and added.territories == ("26734", "26735")
    accounts.add("admin", "admin-pass", ["admin"])
    assert [a.name for a in accounts.list()] == ["admin", "canbo1"]
    assert accounts.get("canbo1") == added
    assert accounts.get("nobody") is None


def test_hash_is_argon2id_not_the_password(accounts: Accounts) -> None:
    accounts.hasher = PasswordHasher()
    accounts.add("u1", "secret-pass", ["viewer"])
    record = accounts.auth_record("u1")
    assert record is not None
    assert record.password_hash.startswith("$argon2id$")
    assert "secret-pass" not in record.password_hash


@pytest.mark.parametrize(
    ("name", "password", "roles", "territories", "message"),
    [
        ("bad name", "secret-pass", ["viewer"], [], "bad user name"),
        ("ok", "short", ["viewer"], [], "at least 8 characters"),
        ("ok", "secret-pass", ["boss"], [], "unknown role 'boss'"),
        ("ok", "secret-pass", [], [], "at least one role"),
        ("ok", "secret-pass", ["viewer"], ["x y"], "bad territory code 'x y'"),
    ],
)
def test_add_refuses_bad_input(
    accounts: Accounts,
    name: str,
    password: str,
    roles: list[str],
    territories: list[str],
    message: str,
) -> None:
    with pytest.raises(AccountError, match=message):
        accounts.add(name, password, roles, territories)


def test_duplicate_name(accounts: Accounts) -> None:
    accounts.add("u1", "secret-pass", ["viewer"])
    with pytest.raises(AccountError, match="already exists"):
        accounts.add("u1", "other-pass", ["viewer"])


def test_verify_password_set_password_disable(accounts: Accounts) -> None:
    accounts.add("u1", "secret-pass", ["viewer"])
    assert accounts.verify_password("u1", "secret-pass") is not None
    assert accounts.verify_password("u1", "wrong-pass") is None
    assert accounts.verify_password("ghost", "secret-pass") is None
    accounts.set_password("u1", "new-secret")
    assert accounts.verify_password("u1", "secret-pass") is None
    assert accounts.verify_password("u1", "new-secret") is not None
    accounts.disable("u1")
    assert accounts.verify_password("u1", "new-secret") is None
    assert accounts.get("u1").disabled  # type: ignore[union-attr]
    accounts.disable("u1", disabled=False)
    assert accounts.verify_password("u1", "new-secret") is not None
    with pytest.raises(UnknownAccount):
        accounts.set_password("ghost", "whatever-pass")


def test_unknown_user_costs_a_hash_too(accounts: Accounts) -> None:
    accounts.hasher = PasswordHasher()
    accounts._dummy = None  # re-made with the default cost
    accounts.add("u1", "secret-pass", ["viewer"])

    def cost(name: str) -> float:  # CPU time, the least of three: other jobs do not count
        spent = []
        for _ in range(3):
            started = time.process_time()
            accounts.verify_password(name, "wrong-pass")
            spent.append(time.process_time() - started)
        return min(spent)

    known, unknown = cost("u1"), cost("ghost")
    assert unknown > known / 3  # both pay an argon2 verification


def test_device_tokens(accounts: Accounts) -> None:
    accounts.add("canbo1", "secret-pass", ["scorer"])
    token, secret = accounts.create_token("canbo1", "Điện thoại Lan")
    assert secret.startswith("thd_") and len(secret) > 40
    record = accounts.list_tokens("canbo1")[0]
    assert record.id == token.id and record.last_used_at is None
    found = accounts.verify_token(secret)
    assert found is not None and found[0].name == "canbo1" and found[1].id == token.id
    assert accounts.list_tokens()[0].last_used_at is not None
    assert accounts.verify_token(secret + "x") is None
    assert accounts.verify_token("garbage") is None
    accounts.disable("canbo1")
    assert accounts.verify_token(secret) is None
    accounts.disable("canbo1", disabled=False)
    assert accounts.revoke_token(token.id).revoked_at is not None
    assert accounts.verify_token(secret) is None
    with pytest.raises(UnknownAccount):
        accounts.revoke_token("nope")
    with pytest.raises(UnknownAccount):
        accounts.create_token("ghost", "phone")
    with pytest.raises(AccountError, match="device name"):
        accounts.create_token("canbo1", "  ")


def test_token_hash_only_is_stored(accounts: Accounts, settings: Settings) -> None:
    import sqlite3

    accounts.add("canbo1", "secret-pass", ["scorer"])
    _, secret = accounts.create_token("canbo1", "phone")
    dump = "\n".join(sqlite3.connect(settings.data_dir / "thidua.sqlite3").iterdump())
    assert secret not in dump and "auth_tokens" in dump
