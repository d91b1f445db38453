"""`TokenUses`: when each device token was last used, recorded off the request path.

A device token's "last used" time (shown to admins) was written by the request that read
the token, in its own SQL transaction: when 200 phones start syncing at once, their first
requests queued behind 200 commits on the accounts database. Now a request only notes the
token's id (a dict lookup); one background task writes every noted id in a single UPDATE
(`Accounts.touch_tokens`), and a token is noted at most once per `every` seconds per
process, the granularity of the time shown. Tokens used on every request keep being
noted (the cached reads of `server.auth_reads` no longer hide their use). A stamp not yet
written when the process stops is lost: it is only the "last used" time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["TokenUses"]

logger = logging.getLogger(__name__)


class TokenUses:
    """`note(token_id)` on each use; `touch(ids)` (blocking, run in a thread) writes them."""

    def __init__(
        self,
        touch: Callable[[list[str]], None],
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 8192,
    ) -> None:
        self.touch, self.every, self.clock, self.max_entries = touch, every, clock, max_entries
        self._noted: dict[str, float] = {}  # token id -> when it was last noted here
        self._pending: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def note(self, token_id: str) -> None:
        """A request used `token_id` (on the event loop; never waits)."""
        now = self.clock()
        if now - self._noted.get(token_id, float("-inf")) < self.every:
            return
        if len(self._noted) >= self.max_entries:
            self._noted = {k: t for k, t in self._noted.items() if now - t < self.every}
        self._noted[token_id] = now
        self._pending.add(token_id)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def flush(self) -> None:
        """Wait until every noted use is written (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await self._task

    async def _flush(self) -> None:
        while self._pending:  # uses noted while a write runs go into the next one
            ids, self._pending = sorted(self._pending), set()
            try:
                await anyio.to_thread.run_sync(self.touch, ids)
            except SQLAlchemyError as exc:  # only a "last used" time: logged, not retried
                logger.warning("token use not recorded: %s", exc)
