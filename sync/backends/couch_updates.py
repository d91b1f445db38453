"""`_db_updates` on CouchDB: which databases changed, without asking each of them.

`DbUpdates` long-polls `GET /_db_updates` (from `now` at its start, then from the `last_seq`
of each answer) and collects the names of the databases created, updated or deleted since
the last `pop()`. While the feed is not running (starting, CouchDB unreachable, an error)
`pop()` answers None: the caller then looks at every database itself. `starts` counts the
(re)starts: after a new one the caller looks at every database once more, after the point
the feed starts from, so nothing written before it is missed.

CouchDB 3 writes `_db_updates` into the `_global_changes` database, which a cluster set-up
does not create; the feed creates it once when CouchDB answers that it is missing (admin).
Seqs are opaque: only sent back. Continuous feeds would need `Accept-Encoding: identity`
(the client sends it on every request); this uses long polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from ..errors import NotFound, StoreError
from .couch_http import CouchClient

__all__ = ["DbUpdates"]

logger = logging.getLogger("thidua.couchdb")


class DbUpdates:
    """The databases changed since the last `pop()`, from one long-polling task."""

    def __init__(self, client: CouchClient, *, poll_seconds: float = 10.0,
                 retry: tuple[float, float] = (0.5, 30.0)) -> None:
        self.client = client
        self.poll_seconds = poll_seconds
        self.retry = retry
        self.live = False
        self.changed = asyncio.Event()  # set when `pop()` has something
        self._dirty: set[str] = set()
        self.starts = 0  # times the feed (re)started from `now`
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def pop(self) -> set[str] | None:
        """Names reported since the last call; None while the feed is not running."""
        self.start()
        if not self.live:
            return None
        dirty, self._dirty = self._dirty, set()
        self.changed.clear()
        return dirty

    async def _get(self, params: dict[str, Any], timeout: float | None = None) -> Any:
        return await self.client.call("GET", "_db_updates", params=params, timeout=timeout,
                                      wait=True)

    async def _now(self) -> Any:
        """The feed's current end; creates `_global_changes` once if CouchDB lacks it."""
        try:
            return (await self._get({"since": "now"}))["last_seq"]
        except NotFound:
            logger.warning("CouchDB has no _global_changes database (needed by _db_updates): "
                           "creating it")
            with contextlib.suppress(StoreError):
                await self.client.call("PUT", "_global_changes")
            return (await self._get({"since": "now"}))["last_seq"]

    async def _run(self) -> None:
        since: Any = None
        failures = 0
        while True:
            try:
                if since is None:
                    since = await self._now()
                    self.starts, self.live, self._dirty = self.starts + 1, True, set()
                answer = await self._get(
                    {"feed": "longpoll", "since": since,
                     "timeout": max(int(self.poll_seconds * 1000), 1)},
                    timeout=self.poll_seconds + 5)
                names = {row["db_name"] for row in answer.get("results", [])
                         if isinstance(row, dict) and isinstance(row.get("db_name"), str)}
                since = answer.get("last_seq", since)
                failures = 0
                if names:
                    self._dirty |= names
                    self.changed.set()
            except (StoreError, KeyError, TypeError, AttributeError) as exc:
                if failures == 0:
                    logger.warning("_db_updates feed stopped (looking at every database "
                                   "meanwhile): %s", exc)
                self.live, since = False, None
                failures += 1
                low, high = self.retry
                await asyncio.sleep(min(high, low * 2 ** (failures - 1)))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.live = False
