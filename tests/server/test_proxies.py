"""`X-Forwarded-For`/`-Proto` are believed only from `THIDUA_TRUSTED_PROXIES` (default none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from server.proxies import ProxyHeadersMiddleware
from server.settings import ConfigError, load_settings
from tests.server.served import thidua_serve

THIDUA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "thidua"


async def _seen(trusted: tuple[str, ...], client: str, headers: dict[str, str]) -> tuple[Any, Any]:
    """(client, scheme) that the app behind the middleware sees."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"], seen["scheme"] = scope["client"], scope["scheme"]

    scope = {
        "type": "http",
        "scheme": "http",
        "client": (client, 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    await ProxyHeadersMiddleware(trusted).handle(scope, None, None, app)  # type: ignore[arg-type]
    return seen["client"][0], seen["scheme"]


FORWARDED = {"X-Forwarded-For": "203.0.113.7, 10.0.0.2", "X-Forwarded-Proto": "https"}


async def test_headers_are_ignored_by_default_even_from_loopback() -> None:
    assert await _seen((), "127.0.0.1", FORWARDED) == ("127.0.0.1", "http")


async def test_headers_from_a_trusted_proxy_name_the_client() -> None:
    trusted = ("127.0.0.1", "10.0.0.0/8")
    assert await _seen(trusted, "127.0.0.1", FORWARDED) == ("203.0.113.7", "https")
    assert await _seen(trusted, "198.51.100.1", FORWARDED) == ("198.51.100.1", "http")
    odd = {"X-Forwarded-For": "garbage, 198.51.100.9", "X-Forwarded-Proto": "gopher"}
    assert await _seen(trusted, "10.1.1.1", odd) == ("198.51.100.9", "http")


def test_a_bad_proxy_setting_stops_start_up(tmp_path: Path) -> None:
    env = {"THIDUA_DATA_DIR": str(tmp_path), "THIDUA_TRUSTED_PROXIES": "10.0.0.1, nope"}
    with pytest.raises(ConfigError, match="THIDUA_TRUSTED_PROXIES"):
        load_settings(env)
    env["THIDUA_TRUSTED_PROXIES"] = "10.0.0.1, 192.168.0.0/16"
    assert load_settings(env).trusted_proxies == ("10.0.0.1", "192.168.0.0/16")


def test_served_rate_limit_cannot_be_dodged_by_forging_forwarded_for(
    tmp_path: Path, free_port: int
) -> None:
    """`thidua serve` for real: rotating `X-Forwarded-For` from 127.0.0.1 is one address."""
    with thidua_serve(tmp_path / "data", free_port) as base:
        statuses = []
        for n in range(11):
            answer = httpx.post(
                base + "/db/_session",
                json={"name": "admin", "password": "guess-guess"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
                timeout=30,
            )
            statuses.append(answer.status_code)
        assert statuses == [401] * 10 + [429], statuses
