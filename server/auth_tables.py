"""SQLModel tables of the account store, kept in the store's database under `auth_` names.

Private to `server/accounts.py`; everything else uses the `Account`/`DeviceToken` Structs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

__all__ = ["AccountRow", "EpochRow", "LimitRow", "SessionRow", "TokenRow", "auth_tables"]


class AccountRow(SQLModel, table=True):
    __tablename__ = "auth_accounts"

    name: str = Field(primary_key=True, max_length=64)
    password_hash: str
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    territories: list[str] = Field(default_factory=list, sa_type=JSON)
    disabled: bool = False
    created_at: datetime
    updated_at: datetime


class TokenRow(SQLModel, table=True):
    __tablename__ = "auth_tokens"

    id: str = Field(primary_key=True, max_length=32)
    account: str = Field(foreign_key="auth_accounts.name", index=True, max_length=64)
    device: str = Field(max_length=128)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class SessionRow(SQLModel, table=True):
    """A cookie sign-in; ended by sign-out, a password change, a disable or a token revoke.
    In SQL so that every server process sees an ended session."""

    __tablename__ = "auth_sessions"

    id: str = Field(primary_key=True, max_length=32)
    account: str = Field(foreign_key="auth_accounts.name", index=True, max_length=64)
    created_at: datetime
    ended_at: datetime | None = None


class EpochRow(SQLModel, table=True):
    """A counter per account, bumped in the same commit as every change that can end a
    credential (password, disable, roles, token revoke, sign-out): each server process
    reuses what it read about an account only while this number is unchanged."""

    __tablename__ = "auth_epochs"

    account: str = Field(primary_key=True, max_length=64)
    epoch: int = 0


class LimitRow(SQLModel, table=True):
    """Failed sign-ins of one key (a name and address, or an address) in a fixed window,
    and its password checks still running, counted atomically so that every server
    process shares the limit."""

    __tablename__ = "auth_limits"

    key: str = Field(primary_key=True, max_length=64)  # sha256 hex of "kind:key"
    window_start: float = Field(index=True)
    count: int = 0  # failed checks in the window
    pending: int = 0  # checks reserved in the window and not finished yet


def auth_tables() -> list:  # type: ignore[type-arg]
    """The tables to create (only ours, never the store's)."""
    return [
        table.__table__  # type: ignore[union-attr]
        for table in (AccountRow, TokenRow, SessionRow, EpochRow, LimitRow)
    ]
