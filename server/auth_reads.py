"""What a server process read about an account, reused while the account's credential epoch
is unchanged (see `server.auth_epochs`).

PouchDB sends many requests per sync; re-reading the token, the account and the session on
each would cost several queries. A cached entry keeps the epoch read with it; a hit costs
one primary-key read of the current epoch, so a change committed on another server (a
revoke, a disable, a password change, a sign-out) is seen by the very next request here.
Negative answers (unknown token, unknown name) are not kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

__all__ = ["EpochReads"]

T = TypeVar("T")


class EpochReads:
    """A bounded map of key -> (value, account, epoch); `epoch(name)` reads the current one
    in a worker thread, `on_loop(name)` (if given) on the event loop, None if it cannot."""

    def __init__(
        self,
        epoch: Callable[[str], int],
        on_loop: Callable[[str], int | None] | None = None,
        max_entries: int = 8192,
    ) -> None:
        self._epoch, self._on_loop = epoch, on_loop
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[object, str, int]] = OrderedDict()

    async def get(self, key: str, read: Callable[[], tuple[T, str, int] | None]) -> T | None:
        """The value of `key`: the kept one if its account's epoch still holds, else
        `read()` -> (value, account name, its epoch read in the same statement) or None;
        both in a worker thread."""
        hit = self._entries.get(key)
        if hit is not None:
            value, name, epoch = hit
            current = self._on_loop(name) if self._on_loop else None
            if current is None:
                current = await anyio.to_thread.run_sync(self._epoch, name)
            if current == epoch:
                self._entries.move_to_end(key)
                return value  # type: ignore[return-value]
        found = await anyio.to_thread.run_sync(read)
        if found is None:
            self._entries.pop(key, None)
            return None
        self._entries[key] = found
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return found[0]
