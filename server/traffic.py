"""`Traffic`: the HTTP requests in flight, so that background work yields to them.

The in-process worker (`server.worker`) scores on the event loop that serves the phones. When
200 phones sync at once, every page it scores delays all of their requests; scoring a moment
later delays nothing the phones wait for. `AuthMiddleware` counts the `/db`, `/api` and
`/branch` requests in flight; the worker's follower awaits `quiet()` before handling each page
of changes, and the worker again between slices of a page: it goes on once no request has
been in flight for `settle` seconds, and after `at_most` seconds in any case, so a server
that is never idle still scores at least a slice per `at_most` seconds. Nothing is skipped:
the page waits, its checkpoint with it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["Traffic"]


class Traffic:
    """Requests in flight in this process (`enter`/`leave`), and `quiet()` to wait for none."""

    def __init__(
        self,
        *,
        settle: float = 0.05,
        at_most: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settle, self.at_most, self.clock = settle, at_most, clock
        self.in_flight = 0
        self.last_seen = float("-inf")  # when a request last started or ended

    def enter(self) -> None:
        self.in_flight += 1
        self.last_seen = self.clock()

    def leave(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_seen = self.clock()

    async def quiet(self) -> None:
        """Return once no request has been in flight for `settle` seconds, or after
        `at_most` seconds (looked at every `settle` seconds: no event bound to a loop)."""
        deadline = self.clock() + self.at_most
        while True:
            now = self.clock()
            calm = self.settle if self.in_flight else self.settle - (now - self.last_seen)
            if calm <= 0 or now >= deadline:
                return
            await asyncio.sleep(min(calm, deadline - now))
