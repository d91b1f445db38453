"""`wait_for_change` on CouchDB: one shared long poll per database, however many waiters.

A waiter first asks `_changes?since=<its since>&limit=1` (no wait); if nothing is there it
waits on the database's event. The database's watcher task long-polls `_changes` from the
last seq it saw (its first poll starts where that first check ended, so no change slips
between the two) and wakes every waiter on each change. It stops after a poll that ends
with no waiter left. Blocking polls use the client's wait pool: threads grow with watched
databases, not with waiting clients.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import ReadTimeoutError

from ..errors import StoreError, StoreUnavailable
from .couch_http import CouchClient
from .couch_updates import DbUpdates

__all__ = ["ChangeWatcher"]


@dataclass(slots=True)
class _Watch:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0
    task: asyncio.Task[None] | None = None


def _timed_out(exc: BaseException | None) -> bool:
    """A read timeout, also when `requests` reports one hit mid-body as a ConnectionError."""
    return isinstance(exc, requests.Timeout) or (
        isinstance(exc, requests.ConnectionError)
        and any(isinstance(arg, ReadTimeoutError) for arg in exc.args))


class ChangeWatcher:
    """Waits for changes of the databases of one `CouchClient`."""

    def __init__(self, client: CouchClient, *, poll_seconds: float = 10.0) -> None:
        self.client = client
        self.poll_seconds = poll_seconds
        self._watches: dict[str, _Watch] = {}
        #: Which databases changed (`_db_updates`), for followers of every database.
        self.updates = DbUpdates(client, poll_seconds=poll_seconds)

    async def wait(self, path: str, since: str, timeout: float) -> bool:
        """True once the database at URL part `path` has a change after `since`.

        :raises NotFound: no such database.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        watch = self._watches.setdefault(path, _Watch())
        watch.waiters += 1
        try:
            event = watch.event
            page = await self.client.call("GET", path, "_changes",
                                          params={"since": since, "limit": 1})
            if page.get("results"):
                return True
            if watch.task is None or watch.task.done():
                watch.task = asyncio.create_task(self._run(path, watch, page["last_seq"]))
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            return event.is_set()
        finally:
            watch.waiters -= 1

    async def _poll(self, path: str, since: Any) -> dict[str, Any] | None:
        """One long poll; None when it timed out on our side (pouchdb-server ignores
        `timeout`)."""
        params = {"feed": "longpoll", "since": since,
                  "timeout": max(int(self.poll_seconds * 1000), 1)}
        try:
            return dict(await self.client.call("GET", path, "_changes", params=params,
                                               timeout=self.poll_seconds + 1, wait=True))
        except StoreUnavailable as exc:
            if _timed_out(exc.original):
                return None
            raise

    async def _run(self, path: str, watch: _Watch, since: Any) -> None:
        try:
            while watch.waiters > 0:
                answer = await self._poll(path, since)
                if answer is not None and answer.get("results"):
                    since = answer["last_seq"]
                    fired, watch.event = watch.event, asyncio.Event()
                    fired.set()
        except StoreError:  # waiters wake and meet the error themselves
            fired, watch.event = watch.event, asyncio.Event()
            fired.set()
        finally:
            if self._watches.get(path) is watch and watch.waiters == 0:
                del self._watches[path]

    async def close(self) -> None:
        await self.updates.close()
        tasks = [w.task for w in self._watches.values() if w.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._watches.clear()
