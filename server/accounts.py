"""Accounts and device tokens, stored next to the documents (same database, `auth_` tables).

Passwords are argon2id hashes (argon2-cffi); device tokens are random strings of which only
the sha256 is kept. Methods are blocking (SQLAlchemy, argon2): async callers run them in a
thread. `verify_password` spends the same time whether or not the account exists.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, create_engine, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from sync.backends.sql_schema import create_tables

from . import auth_epochs
from .audit import account_change
from .audit_tables import install_audit_table
from .auth_limits import upgrade_limit_table
from .auth_tables import AccountRow, SessionRow, TokenRow, auth_tables
from .roles import ROLES
from .settings import Settings

__all__ = [
    "ROLES",
    "Account",
    "AccountError",
    "Accounts",
    "AuthRecord",
    "DeviceToken",
    "DuplicateAccount",
    "UnknownAccount",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_TERRITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
MIN_PASSWORD = 8
_TOKEN_PREFIX = "thd_"


class AccountError(ValueError):
    """Bad input to an account operation (the message says what and why)."""


class UnknownAccount(AccountError):
    """No account (or token) with that name (or id)."""


class DuplicateAccount(AccountError):
    """The account name is taken."""


class Account(msgspec.Struct, frozen=True):
    """A user as the rest of the server sees it (`request.scope["user"]`)."""

    name: str
    roles: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    disabled: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class AuthRecord(msgspec.Struct, frozen=True):
    """An account with its password hash, for the authentication layer only."""

    account: Account
    password_hash: str


class DeviceToken(msgspec.Struct, frozen=True):
    id: str
    account: str
    device: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(row: AccountRow) -> Account:
    return Account(
        name=row.name,
        roles=tuple(row.roles),
        territories=tuple(row.territories),
        disabled=row.disabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _token(row: TokenRow) -> DeviceToken:
    return DeviceToken(
        id=row.id,
        account=row.account,
        device=row.device,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _end_sessions(session: Session, name: str) -> None:
    """End every open cookie session of `name` (inside the caller's transaction)."""
    auth_epochs.bump(session, name)
    session.execute(
        update(SessionRow)
        .where(col(SessionRow.account) == name, col(SessionRow.ended_at).is_(None))
        .values(ended_at=_now())
    )


def check_roles(roles: Iterable[str]) -> list[str]:
    """Validate role names. :raises AccountError:"""
    checked = list(dict.fromkeys(roles))
    if not checked:
        raise AccountError(f"at least one role is needed: {', '.join(ROLES)}")
    for role in checked:
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return checked


def check_territories(codes: Iterable[str]) -> list[str]:
    """Validate territory codes (letters, digits, `-`, `_`). :raises AccountError:"""
    checked = list(dict.fromkeys(code.strip() for code in codes))
    for code in checked:
        if not _TERRITORY.match(code):
            raise AccountError(f"bad territory code {code!r}: letters, digits, '-' or '_'")
    return checked


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


class Accounts:
    """The account store. Build with `Accounts.from_settings(settings)`, then `initialize()`."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    @property
    def _dummy_hash(self) -> str:
        """A hash of a random password, checked when the account does not exist."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_hex(16))
        return self._dummy

    @classmethod
    def from_settings(cls, settings: Settings) -> Accounts:
        url = settings.store_url
        args = {"check_same_thread": False, "timeout": 30} if url.startswith("sqlite") else {}
        # (no pre-ping for a SQLite file: a ping per checkout costs more than the query)
        return cls(create_engine(url, connect_args=args, pool_pre_ping=not args))

    def initialize(self) -> None:
        """Create the `auth_` tables and the audit log if missing (idempotent)."""
        create_tables(self.engine, AccountRow.metadata, auth_tables(), then=upgrade_limit_table)
        install_audit_table(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with Session(self.engine) as session:
                session.exec(select(AccountRow.name).limit(1)).first()
        except SQLAlchemyError:
            return False
        return True

    # -- accounts ---------------------------------------------------------------
    def add(
        self, name: str, password: str, roles: Sequence[str], territories: Sequence[str] = ()
    ) -> Account:
        """Create an account. :raises AccountError: bad input or the name is taken."""
        if not _NAME.match(name):
            raise AccountError(f"bad user name {name!r}: letters, digits, '.', '_', '@', '-'")
        row_roles, row_territories = check_roles(roles), check_territories(territories)
        password_hash = self.hasher.hash(check_password(password))
        now = _now()
        with Session(self.engine) as session:
            if session.get(AccountRow, name) is not None:
                raise DuplicateAccount(f"the account {name!r} already exists")
            row = AccountRow(
                name=name,
                password_hash=password_hash,
                roles=row_roles,
                territories=row_territories,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            detail = f"roles {','.join(row_roles)}; territories {','.join(row_territories)}"
            session.add(account_change("account.add", name, detail))
            session.commit()
            session.refresh(row)
            return _account(row)

    def list(self) -> builtins.list[Account]:
        with Session(self.engine) as session:
            return [_account(r) for r in session.exec(select(AccountRow).order_by(AccountRow.name))]

    def get(self, name: str) -> Account | None:
        record = self.auth_record(name)
        return record.account if record else None

    def auth_record(self, name: str) -> AuthRecord | None:
        """The account and its password hash (for cookie signing and credential caching)."""
        found = self.auth_record_at(name)
        return found[0] if found else None

    def auth_record_at(self, name: str) -> tuple[AuthRecord, int] | None:
        """The account, its password hash and its credential epoch, read together."""
        query = (
            select(AccountRow, auth_epochs.EPOCH)
            .outerjoin(auth_epochs.EpochRow, auth_epochs.ON_ACCOUNT)
            .where(AccountRow.name == name)
        )
        with Session(self.engine) as session:
            found = session.exec(query).first()
        if found is None:
            return None
        row, epoch = found
        return AuthRecord(_account(row), row.password_hash), int(epoch)

    def epoch(self, name: str) -> int:
        """The account's credential epoch (see `server.auth_epochs`)."""
        return auth_epochs.current(self.engine, name)

    def verify_password(self, name: str, password: str) -> Account | None:
        """The account when `password` is right and it is enabled; None otherwise.

        An unknown or disabled account is checked against a dummy hash so that the answer
        takes the same time.
        """
        record = self.auth_record(name)
        stored = record.password_hash if record else self._dummy_hash
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if record is None or record.account.disabled:
            return None
        if self.hasher.check_needs_rehash(stored):
            self._update(name, password_hash=self.hasher.hash(password))
        return record.account

    def set_password(self, name: str, password: str) -> None:
        """:raises UnknownAccount: :raises AccountError: password too short."""
        password_hash = self.hasher.hash(check_password(password))
        self._update(
            name, audit=("account.password", ""), end_sessions=True, password_hash=password_hash
        )

    def disable(self, name: str, disabled: bool = True) -> None:
        """Disable (or re-enable) an account; its tokens and sessions stop working."""
        action = "account.disable" if disabled else "account.enable"
        self._update(name, audit=(action, ""), end_sessions=disabled, disabled=disabled)

    def set_roles(
        self, name: str, roles: Sequence[str], territories: Sequence[str] | None = None
    ) -> None:
        checked_roles = check_roles(roles)
        changes: dict[str, Any] = {"roles": checked_roles}
        detail = f"roles {','.join(checked_roles)}"
        if territories is not None:
            checked = changes["territories"] = check_territories(territories)
            detail += f"; territories {','.join(checked)}"
        self._update(name, audit=("account.roles", detail), **changes)

    def _update(
        self,
        name: str,
        *,
        audit: tuple[str, str] | None = None,
        end_sessions: bool = False,
        **changes: object,
    ) -> None:
        """Change columns of `name`; `audit` (action, detail) is logged in the same commit,
        and with `end_sessions` every open session of `name` ends in it too."""
        with Session(self.engine) as session:
            row = session.get(AccountRow, name)
            if row is None:
                raise UnknownAccount(f"no account named {name!r}")
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = _now()
            session.add(row)
            if audit is not None:
                session.add(account_change(audit[0], name, audit[1]))
            if end_sessions:
                _end_sessions(session, name)
            else:
                auth_epochs.bump(session, name)
            session.commit()

    # -- cookie sessions ----------------------------------------------------------
    def start_session(self, name: str) -> str:
        """A new session id for `name` (kept in SQL, shared by every server process)."""
        session_id = secrets.token_hex(16)
        with Session(self.engine) as session:
            session.add(SessionRow(id=session_id, account=name, created_at=_now()))
            session.commit()
        return session_id

    def session_open(self, session_id: str, name: str) -> bool:
        """True while the session exists for `name` and has not ended."""
        found = self.session_at(session_id, name)
        return found is not None and found[1]

    def session_at(self, session_id: str, name: str) -> tuple[AuthRecord, bool, int] | None:
        """`name`'s account, whether the session is open, and the epoch, read together
        (None: no such account)."""
        query = (
            select(AccountRow, auth_epochs.EPOCH, SessionRow.id)
            .outerjoin(auth_epochs.EpochRow, auth_epochs.ON_ACCOUNT)
            .outerjoin(
                SessionRow,
                (col(SessionRow.id) == session_id)
                & (col(SessionRow.account) == col(AccountRow.name))
                & col(SessionRow.ended_at).is_(None),
            )
            .where(AccountRow.name == name)
        )
        with Session(self.engine) as session:
            found = session.exec(query).first()
        if found is None:
            return None
        row, epoch, open_id = found
        return AuthRecord(_account(row), row.password_hash), open_id is not None, int(epoch)

    def end_session(self, session_id: str) -> None:
        """Sign-out: the session ends for every server process (ending twice is harmless)."""
        with Session(self.engine) as session:
            row = session.get(SessionRow, session_id)
            if row is not None and row.ended_at is None:
                row.ended_at = _now()
                session.add(row)
                auth_epochs.bump(session, row.account)
                session.commit()

    # -- device tokens --------------------------------------------------------------
    def create_token(self, name: str, device: str) -> tuple[DeviceToken, str]:
        """A new bearer token for `device`; the secret is returned once and never stored."""
        device = device.strip()
        if not device or len(device) > 128:
            raise AccountError("the device name must have 1 to 128 characters")
        secret = _TOKEN_PREFIX + secrets.token_urlsafe(32)
        with Session(self.engine) as session:
            if session.get(AccountRow, name) is None:
                raise UnknownAccount(f"no account named {name!r}")
            row = TokenRow(
                id=secrets.token_hex(6),
                account=name,
                device=device,
                token_hash=_sha256(secret),
                created_at=_now(),
            )
            session.add(row)
            detail = f"token {row.id} for device {device!r}"
            session.add(account_change("token.create", name, detail))
            session.commit()
            session.refresh(row)
            return _token(row), secret

    def list_tokens(self, name: str | None = None) -> builtins.list[DeviceToken]:
        query = select(TokenRow).order_by(col(TokenRow.account), col(TokenRow.created_at))
        if name is not None:
            query = query.where(TokenRow.account == name)
        with Session(self.engine) as session:
            return [_token(r) for r in session.exec(query)]

    def revoke_token(self, token_id: str) -> DeviceToken:
        """:raises UnknownAccount: no token with that id. Revoking twice is harmless."""
        with Session(self.engine) as session:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise UnknownAccount(f"no device token with id {token_id!r}")
            if row.revoked_at is None:
                row.revoked_at = _now()
                session.add(row)
                detail = f"token {row.id} for device {row.device!r}"
                session.add(account_change("token.revoke", row.account, detail))
                _end_sessions(session, row.account)  # a lost phone may hold a cookie too
                session.commit()
                session.refresh(row)
            return _token(row)

    def verify_token(self, secret: str) -> tuple[Account, DeviceToken] | None:
        """The account and token for a bearer secret; None if unknown, revoked or disabled."""
        found = self.token_at(secret)
        if found is None:
            return None
        self.touch_tokens([found[1].id])
        return found[0], found[1]

    def touch_tokens(self, ids: Sequence[str]) -> None:
        """Record that the tokens `ids` were used now, in one statement (`TokenUses`)."""
        if ids:
            with Session(self.engine) as session:
                session.execute(
                    update(TokenRow).where(col(TokenRow.id).in_(ids)).values(last_used_at=_now())
                )
                session.commit()

    def token_at(self, secret: str) -> tuple[Account, DeviceToken, int] | None:
        """`verify_token` with the owner's credential epoch, read in the same statement.

        Device tokens are 256-bit random strings: their sha256, looked up by a unique
        index, is all the check needs (no slow hash; the lookup compares digests). A read
        only: the use is recorded apart (`touch_tokens`)."""
        if not secret.startswith(_TOKEN_PREFIX):
            return None
        query = (
            select(TokenRow, AccountRow, auth_epochs.EPOCH)
            .join(AccountRow, col(AccountRow.name) == col(TokenRow.account))
            .outerjoin(auth_epochs.EpochRow, auth_epochs.ON_ACCOUNT)
            .where(TokenRow.token_hash == _sha256(secret))
        )
        with Session(self.engine, expire_on_commit=False) as session:
            found = session.exec(query).first()
            if found is None:
                return None
            row, owner, epoch = found
            if row.revoked_at is not None or owner.disabled:
                return None
            return _account(owner), _token(row), int(epoch)
