"""Several CouchDB node URLs for one cluster: failover to a live node, recheck of a dead one.

`THIDUA_COUCHDB_URL` may name several nodes of one cluster, comma-separated
(`http://admin:pw@couch1:5984,http://admin:pw@couch2:5984`); every node of a CouchDB cluster
answers for every database, so any of them will do. `Nodes.order()` gives the nodes to try for
one request: those not marked down, in the configured order (the first is preferred), then
the down ones as a last resort. A node is marked down for `recheck` seconds when it cannot be
reached (refused, reset, timed out) or answers 502/503/504; after that it is tried first again,
so a node that came back is used again.

A request goes on to the next node only when replaying it cannot change its effect: it was
never sent (the connection failed), or it is a read or a replication call that is idempotent
by construction (`GET`, `HEAD`, `_bulk_get`, `_revs_diff`, `_all_docs`, `_changes`,
`_bulk_docs` with `new_edits: false`, `_compact`). Any other write that failed mid-request fails as
before (StoreUnavailable): it might have been applied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import requests

from .couch_wire import ConnectFailed

__all__ = ["CONNECT_TIMEOUT", "Node", "Nodes", "replayable", "split_urls"]

logger = logging.getLogger("thidua.couchdb")

#: Seconds to wait for a connection (a powered-off host is skipped after this long).
CONNECT_TIMEOUT = 5.0
#: Answers that say "this node (or the proxy before it) is not serving now".
_DEAD = frozenset({502, 503, 504})
_READ_POSTS = frozenset({"_bulk_get", "_revs_diff", "_all_docs", "_changes", "_compact",
                         "_ensure_full_commit"})


class _Answer(Protocol):
    @property
    def status_code(self) -> int: ...


A = TypeVar("A", bound=_Answer)


def split_urls(value: str) -> list[str]:
    """The node URLs of a comma-separated setting (blanks dropped)."""
    return [part.strip() for part in value.split(",") if part.strip()]


class Node:
    """One node: its root URL without credentials, the credentials, and until when it is
    considered down (monotonic seconds; 0 = up)."""

    __slots__ = ("auth", "down_until", "root")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.auth = (unquote(parts.username or ""), unquote(parts.password or "")) \
            if parts.username is not None else None
        host = parts.hostname or ""
        if ":" in host:  # an IPv6 literal
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
        self.root = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self.down_until = 0.0

    def __repr__(self) -> str:
        return f"Node({self.root!r})"


def replayable(method: str, parts: Sequence[str], body: Any) -> bool:
    """True when sending the request twice has the effect of sending it once."""
    if method in ("GET", "HEAD"):
        return True
    if method != "POST" or not parts:
        return False
    last = parts[-1]
    if last in _READ_POSTS:
        return True
    return last == "_bulk_docs" and isinstance(body, Mapping) and body.get("new_edits") is False


def _never_sent(exc: BaseException) -> bool:
    """The connection failed before the request could reach the node."""
    if isinstance(exc, ConnectFailed | requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0] if exc.args else None, "reason", None)
        return type(reason).__name__ in ("NewConnectionError", "ConnectTimeoutError")
    return False


_TRANSPORT = (requests.ConnectionError, requests.Timeout, OSError)


class Nodes:
    """The nodes of one cluster, in preference order (see the module docstring)."""

    def __init__(self, urls: str | Sequence[str], *, recheck: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        listed = split_urls(urls) if isinstance(urls, str) else list(urls)
        if not listed:
            raise ValueError("no CouchDB URL given")
        self.nodes = [Node(url) for url in listed]
        self.recheck, self.clock = recheck, clock
        self.failovers = 0  # requests that went on to another node (status, tests)

    @property
    def first(self) -> Node:
        return self.nodes[0]

    def order(self) -> list[Node]:
        now = self.clock()
        up = [n for n in self.nodes if n.down_until <= now]
        return up + [n for n in self.nodes if n.down_until > now]

    def down(self, node: Node, why: object) -> None:
        if node.down_until <= self.clock() and len(self.nodes) > 1:
            logger.warning("CouchDB node %s is down (%s); using the others for %.0f s",
                           node.root, why, self.recheck)
        node.down_until = self.clock() + self.recheck

    def up(self, node: Node) -> None:
        if node.down_until:
            logger.warning("CouchDB node %s answers again", node.root)
            node.down_until = 0.0

    def _next(self, node: Node, answer: _Answer | None, exc: BaseException | None,
              replay: bool, last: bool) -> bool:
        """Judge one attempt: True to go on to the next node."""
        if exc is not None:
            if not isinstance(exc, _TRANSPORT):
                return False
            self.down(node, exc)
            go = not last and (replay or _never_sent(exc))
        else:
            assert answer is not None
            status = answer.status_code
            if status < 500:
                self.up(node)
                return False
            if status in _DEAD:
                self.down(node, f"HTTP {status}")
            go = not last and replay
        self.failovers += go
        return go

    async def send(self, attempt: Callable[[Node], Awaitable[A]], *, replay: bool) -> A:
        """`attempt(node)` on the first node that answers (see the module docstring)."""
        order = self.order()
        for i, node in enumerate(order):
            last = i == len(order) - 1
            try:
                answer = await attempt(node)
            except Exception as exc:
                if not self._next(node, None, exc, replay, last):
                    raise
                continue
            if not self._next(node, answer, None, replay, last):
                return answer
        raise AssertionError("unreachable: the last node's answer is returned")

    def send_now(self, attempt: Callable[[Node], A], *, replay: bool) -> A:
        """`send` for a blocking `attempt` (pycouchdb's session, in a thread)."""
        order = self.order()
        for i, node in enumerate(order):
            last = i == len(order) - 1
            try:
                answer = attempt(node)
            except Exception as exc:
                if not self._next(node, None, exc, replay, last):
                    raise
                continue
            if not self._next(node, answer, None, replay, last):
                return answer
        raise AssertionError("unreachable: the last node's answer is returned")
