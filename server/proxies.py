"""`X-Forwarded-For` and `X-Forwarded-Proto`, believed only from `THIDUA_TRUSTED_PROXIES`.

The client address feeds the sign-in rate limits and the audit log, the scheme the cookie's
`Secure` flag: a header any caller can send must not set them. When the direct peer is a
trusted proxy, the client is the right-most `X-Forwarded-For` address that is not itself a
trusted proxy, and the scheme is `X-Forwarded-Proto` (`http` or `https`). From anyone else
both headers are ignored. `thidua serve` turns uvicorn's own handling of them off.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["ProxyHeadersMiddleware", "parse_networks"]

Network = IPv4Network | IPv6Network


def parse_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses or CIDR ranges. :raises ValueError: naming the bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


class ProxyHeadersMiddleware(ASGIMiddleware):
    """Rewrites `scope["client"]` and `scope["scheme"]` for requests from trusted proxies."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, trusted: tuple[str, ...]) -> None:
        self.networks = parse_networks(trusted)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        client = scope.get("client")
        if self.networks and client and _in(client[0], self.networks):
            headers = Headers.from_scope(scope)
            forwarded = [a.strip() for a in headers.get("x-forwarded-for", "").split(",")]
            for address in reversed([a for a in forwarded if a]):
                if not _in(address, self.networks):
                    scope["client"] = (address, 0)
                    break
            proto = headers.get("x-forwarded-proto", "").strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto
        await next_app(scope, receive, send)
