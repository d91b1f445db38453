"""Pure helpers of authentication: session cookies, Basic headers, a verify cache.

No I/O and no clock: callers pass `now` (seconds since the epoch).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import OrderedDict

__all__ = [
    "COOKIE_NAME",
    "VerifiedCache",
    "parse_basic",
    "read_session_cookie",
    "session_cookie",
    "session_valid",
]

COOKIE_NAME = "AuthSession"


def _signature(secret_key: str, password_hash: str, payload: str) -> str:
    # The password hash is part of the key: changing the password ends every session.
    key = (secret_key + password_hash).encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def session_cookie(
    name: str, issued: int, secret_key: str, password_hash: str, session_id: str
) -> str:
    """The `AuthSession` value: base64url of `name:issued_hex:session_id:hmac` (CouchDB's
    `name:issued_hex:hmac` plus the id of the server-side session that sign-out ends)."""
    payload = f"{name}:{issued:X}:{session_id}"
    raw = f"{payload}:{_signature(secret_key, password_hash, payload)}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_session_cookie(value: str) -> tuple[str, int, str] | None:
    """The (name, issued, session id) a cookie claims, before checking its signature; None
    if garbled."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        name, issued_hex, session_id, _sig = raw.split(":")
        return name, int(issued_hex, 16), session_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def session_valid(
    value: str, secret_key: str, password_hash: str, *, now: float, timeout: int
) -> bool:
    """True when the cookie is signed for this password and not older than `timeout`."""
    claimed = read_session_cookie(value)
    if claimed is None:
        return False
    name, issued, session_id = claimed
    expected = session_cookie(name, issued, secret_key, password_hash, session_id)
    return hmac.compare_digest(expected, value.rstrip("=")) and issued <= now < issued + timeout


def parse_basic(header_value: str) -> tuple[str, str]:
    """(name, password) of a `Basic ...` header value. :raises ValueError: malformed."""
    scheme, _, encoded = header_value.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise ValueError("not a Basic authorization")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("the Basic credentials are not valid base64 UTF-8") from exc
    name, sep, password = decoded.partition(":")
    if not sep:
        raise ValueError("the Basic credentials have no ':'")
    return name, password


class VerifiedCache:
    """Remembers successful password checks so repeated Basic requests never pay argon2 again
    (within `ttl`, by default a day).

    The key binds the name, a keyed digest of the password and the stored hash: a password
    change or a wrong password never hits; callers also check the account is enabled.
    """

    def __init__(self, secret_key: str, ttl: float = 86400.0, max_entries: int = 8192) -> None:
        self._key = secret_key.encode()
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, float] = OrderedDict()

    def _entry(self, name: str, password: str, password_hash: str) -> str:
        message = f"{name}\0{password}\0{password_hash}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def hit(self, name: str, password: str, password_hash: str, now: float) -> bool:
        entry = self._entry(name, password, password_hash)
        expires = self._entries.get(entry)
        if expires is None or expires <= now:
            self._entries.pop(entry, None)
            return False
        return True

    def remember(self, name: str, password: str, password_hash: str, now: float) -> None:
        self._entries[self._entry(name, password, password_hash)] = now + self.ttl
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
