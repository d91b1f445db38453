"""Pure auth helpers: session cookies, Basic parsing, the rate limiter, the verify cache."""

from __future__ import annotations

import base64

import pytest

from server.credentials import (
    VerifiedCache,
    parse_basic,
    read_session_cookie,
    session_cookie,
    session_valid,
)

KEY = "k" * 32


def test_session_cookie_round_trip_and_expiry() -> None:
    value = session_cookie("canbo1", 1_000_000, KEY, "$argon2id$hash", "s1")
    assert read_session_cookie(value) == ("canbo1", 1_000_000, "s1")
    assert session_valid(value, KEY, "$argon2id$hash", now=1_000_010, timeout=600)
    assert not session_valid(value, KEY, "$argon2id$hash", now=1_000_600, timeout=600)
    assert not session_valid(value, KEY, "$argon2id$other", now=1_000_010, timeout=600)
    assert not session_valid(value, "x" * 32, "$argon2id$hash", now=1_000_010, timeout=600)


def test_forged_cookie_refused() -> None:
    real = base64.urlsafe_b64decode(session_cookie("viewer", 5, KEY, "h", "s1") + "==").decode()
    for forged_raw in (real.replace("viewer", "admin", 1), real.replace(":s1:", ":s2:")):
        forged = base64.urlsafe_b64encode(forged_raw.encode()).decode().rstrip("=")
        assert read_session_cookie(forged) is not None
        assert not session_valid(forged, KEY, "h", now=6, timeout=600)
    assert read_session_cookie("%%%") is None


def test_parse_basic() -> None:
    header = "Basic " + base64.b64encode("lan:mật:khẩu".encode()).decode()
    assert parse_basic(header) == ("lan", "mật:khẩu")
    for bad in ("Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode(), "Digest x"):
        with pytest.raises(ValueError):
            parse_basic(bad)


def test_verified_cache() -> None:
    cache = VerifiedCache(KEY, ttl=10)
    cache.remember("u", "pw", "h1", now=0)
    assert cache.hit("u", "pw", "h1", now=5)
    assert not cache.hit("u", "wrong", "h1", now=5)
    assert not cache.hit("u", "pw", "h2", now=5)  # password changed
    assert not cache.hit("u", "pw", "h1", now=11)
