"""A bound on the password checks running at once: argon2 takes 64 MiB and a core each.

`PasswordGate.run(fn, ...)` runs a blocking check in a worker thread when one of `slots`
is free, waits in a short queue of `queue` when none is, and refuses at once (`GateFull`)
when the queue is full too: a storm of sign-ins then costs at most `slots` x 64 MiB and the
rest are answered 503 with `Retry-After`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

__all__ = ["GateFull", "PasswordGate", "default_slots"]

T = TypeVar("T")
log = logging.getLogger("thidua.auth")


class GateFull(Exception):
    """Every slot is busy and the queue is full."""


def default_slots() -> int:
    """About the number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class PasswordGate:
    """At most `slots` checks at once, at most `queue` more waiting; the rest `GateFull`."""

    def __init__(self, slots: int | None = None, queue: int | None = None) -> None:
        self.slots = slots or default_slots()
        self.queue = self.slots * 16 if queue is None else queue
        self._limiter: anyio.CapacityLimiter | None = None
        self._inside = 0  # running + waiting
        #: Checks run so far (the benchmark reads it from the DEBUG log).
        self.checks = 0

    @property
    def full(self) -> bool:
        """Every slot busy and the queue full: `run` would refuse now."""
        return self._inside >= self.slots + self.queue

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in a worker thread, within the bound. :raises GateFull:"""
        if self.full:
            raise GateFull
        if self._limiter is None:  # created on the running event loop
            self._limiter = anyio.CapacityLimiter(self.slots)
        self._inside += 1
        try:
            result = await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        finally:
            self._inside -= 1
        self.checks += 1
        log.debug("password checked", extra={"fields": {"checks": self.checks}})
        return result
