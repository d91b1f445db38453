"""`_bulk_docs` with a validator on CouchDB: judged on the stored winner, conditionally.

CouchDB has no transaction spanning a read and a write, and a replicated write
(`new_edits=false`) is never conditional. So the guarantee the embedded store gives by
judging under its write lock is rebuilt as an optimistic write:

1. one read of each document's leaves (`_bulk_get` without revs; `_all_docs?keys&include_docs&
   conflicts` on pouchdb-server): its winner and open leaves. On CouchDB this read asks one
   copy (`r=1`): a stale answer is caught by step 4, which reads a quorum;
2. the validator judges each document on that winner (refusals answered in place);
3. the accepted documents are written (`couch_write.write_bulk`), and a prevailing one's other
   open leaves are closed with deterministic tombstones (`sync.closing`);
4. the same read again: a document whose open leaves are not exactly the ones this batch
   left (another writer, in this or another process, changed it between 1 and 3) is judged
   again on the new state, without this batch's revision. Refused now, its revision is
   closed by the deterministic tombstone `closing_rev(rev, winner)` and answered
   `forbidden`; prevailing, the leaves that appeared are closed. Up to `ROUNDS` times.

Why it holds across server processes: CouchDB orders the updates of one document, and every
writer re-reads after its own write is acknowledged. Of two racing writes, the one
acknowledged last is followed by a read that sees both (in a cluster, with the default
quorum r + w > n), so at least one process sees the race and repairs it; both repairing is
harmless, because the tombstones are deterministic: the same revision ids, merged once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import revtree
from ..closing import tombstones
from ..store import Doc, Stored, Validator, Verdict, WriteResult
from .couch_http import CouchClient, doc_path
from .couch_write import write_bulk
from .docinput import Incoming, prepare

__all__ = ["ROUNDS", "guarded_bulk"]

#: Re-judgements of one batch before giving up on a document that keeps changing.
ROUNDS = 4


class _State:
    """A document's winner body (None if new or deleted) and its open leaves, winner first
    and the others in `_conflicts` order (highest revision first)."""

    __slots__ = ("leaves", "winner")

    def __init__(self, winner: Doc | None = None, leaves: tuple[str, ...] = ()) -> None:
        self.winner, self.leaves = winner, leaves

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> _State:
        """From an `_all_docs?include_docs&conflicts` row (pouchdb-server)."""
        doc = row.get("doc")
        if not isinstance(doc, dict) or (row.get("value") or {}).get("deleted"):
            return cls()
        return cls({k: v for k, v in doc.items() if k != "_conflicts"},
                   (str(doc["_rev"]), *(doc.get("_conflicts") or ())))

    @classmethod
    def from_leaves(cls, entries: list[dict[str, Any]]) -> _State:
        """From a `_bulk_get` result without a rev: every leaf, deleted ones included."""
        live = sorted((entry["ok"] for entry in entries
                       if isinstance(entry.get("ok"), dict) and not entry["ok"].get("_deleted")),
                      key=lambda leaf: revtree.parse_rev(leaf["_rev"]), reverse=True)
        if not live:
            return cls()
        return cls(live[0], tuple(str(leaf["_rev"]) for leaf in live))


async def _read(client: CouchClient, path: str, ids: Sequence[str],
                quirks: bool, *, one_copy: bool = False) -> dict[str, _State]:
    """Each document's state. On CouchDB one `_bulk_get` without revs, which answers every
    leaf: on a cluster about 10x faster than `_all_docs?keys` for new documents (profiled,
    bench/scale.py) and as fast for stored ones; pouchdb-server's answers only the winner.
    `one_copy`: the first copy's answer (`r=1`; a third faster for stored documents)."""
    keys = list(dict.fromkeys(ids))
    if not quirks:
        answer = await client.call("POST", path, "_bulk_get",
                                   params={"r": 1} if one_copy else None,
                                   body={"docs": [{"id": key} for key in keys]})
        return {result["id"]: _State.from_leaves(result.get("docs") or [])
                for result in answer.get("results", []) if "id" in result}
    answer = await client.call("POST", path, "_all_docs",
                               params={"include_docs": "true", "conflicts": "true"},
                               body={"keys": keys})
    return {row["key"]: _State.from_row(row) for row in answer.get("rows", []) if "key" in row}


def _extends(item: Incoming, new_edits: bool) -> set[str]:
    """The revisions a write of `item` descends from (the leaves it does not close)."""
    if new_edits:
        return {item.rev} if item.rev else set()
    return set(item.path or ())


async def guarded_bulk(
    client: CouchClient, path: str, docs: Sequence[Doc], *, new_edits: bool, max_size: int,
    quirks: bool, validate: Validator,
) -> list[WriteResult]:
    """`write_bulk` with `validate` judged as the module doc says; one result per doc
    (`quirks`: against pouchdb-server, see `_read` and `write_bulk`'s `fill_stubs`).

    A batch with several entries for one document (the leaves of a conflicted doc) is
    written in rounds, the n-th entry of each document in round n, so that each entry is
    judged on what the earlier ones left, as the embedded store does."""
    rounds: list[list[int]] = []
    counts: dict[str, int] = {}
    for index, doc in enumerate(docs):
        doc_id = doc.get("_id") if isinstance(doc, dict) else None
        n = 0
        if isinstance(doc_id, str):
            n = counts[doc_id] = counts.get(doc_id, -1) + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(index)
    results: list[WriteResult | None] = [None] * len(docs)
    for indices in rounds:
        def judge(i: int, doc: Doc, stored: Stored, indices: list[int] = indices) -> Verdict:
            return validate(indices[i], doc, stored)

        written = await _guarded(client, path, [docs[i] for i in indices], new_edits=new_edits,
                                 max_size=max_size, quirks=quirks, validate=judge)
        for index, result in zip(indices, written, strict=True):
            results[index] = result
    return [result for result in results if result is not None]


async def _guarded(
    client: CouchClient, path: str, docs: Sequence[Doc], *, new_edits: bool, max_size: int,
    quirks: bool, validate: Validator,
) -> list[WriteResult]:
    """One round of `guarded_bulk`: at most one entry per document."""
    items = [prepare(doc, new_edits=new_edits, max_size=max_size) for doc in docs]
    valid = {i: item for i, item in enumerate(items) if isinstance(item, Incoming)}
    before = await _read(client, path, [item.doc_id for item in valid.values()], quirks,
                         one_copy=True)
    results: list[WriteResult | None] = [
        item if isinstance(item, WriteResult) else None for item in items]
    send: list[int] = []
    guard = _Guard(client, path, docs, validate, quirks)
    for index, item in valid.items():
        state = before.get(item.doc_id) or _State()
        extends = _extends(item, new_edits)
        closes = tuple(leaf for leaf in state.leaves if leaf not in extends)
        verdict = validate(index, docs[index], Stored(
            item.doc_id, state.winner, None, None if new_edits else item.rev, closes))
        if verdict.refusal is not None:
            results[index] = WriteResult(id=item.doc_id, error="forbidden", reason=verdict.refusal)
            continue
        send.append(index)
        guard.watch(index, item, set(state.leaves) - extends, verdict.prevail)
    written = await write_bulk(client, path, [docs[i] for i in send], new_edits=new_edits,
                               max_size=max_size, fill_stubs=quirks,
                               prepared=[items[i] for i in send])
    for index, result in zip(send, written, strict=True):
        results[index] = result
    await guard.settle(results)
    return [result for result in results if result is not None]


class _Guard:
    """Steps 3 and 4 of the module doc for the accepted documents of one batch."""

    def __init__(self, client: CouchClient, path: str, docs: Sequence[Doc],
                 validate: Validator, quirks: bool) -> None:
        self.client, self.path, self.docs, self.validate = client, path, docs, validate
        self.quirks = quirks
        self.items: dict[int, Incoming] = {}
        self.untouched: dict[int, set[str]] = {}  # open leaves the write leaves alone
        self.prevail: set[int] = set()

    def watch(self, index: int, item: Incoming, untouched: set[str], prevail: bool) -> None:
        self.items[index], self.untouched[index] = item, untouched
        if prevail:
            self.prevail.add(index)

    async def settle(self, results: list[WriteResult | None]) -> None:
        pending = {i for i in self.items if results[i] is not None and not results[i].error}  # type: ignore[union-attr]
        for _ in range(ROUNDS):
            if not pending:
                return
            now = await _read(self.client, self.path, [self.items[i].doc_id for i in pending],
                              self.quirks)
            tombs: list[Doc] = []
            again: set[int] = set()
            for i in sorted(pending):
                item, rev = self.items[i], str(results[i].rev)  # type: ignore[union-attr]
                state = now.get(item.doc_id) or _State()
                others = [leaf for leaf in state.leaves if leaf != rev]
                if i not in self.prevail:
                    mine = set() if item.deleted else {rev}
                    if set(state.leaves) == self.untouched[i] | mine:
                        continue  # nobody else wrote it: the judgement stands
                    verdict, keep = await self._rejudge(i, rev, state, others)
                    if verdict.refusal is not None:
                        tombs += tombstones(item.doc_id, [rev], keep or rev)
                        results[i] = WriteResult(id=item.doc_id, error="forbidden",
                                                 reason=verdict.refusal)
                        continue
                    if not verdict.prevail:
                        continue
                    self.prevail.add(i)
                if others:
                    tombs += tombstones(item.doc_id, others, rev)
                    again.add(i)  # check once more that nothing new appeared
            if tombs:
                await write_bulk(self.client, self.path, tombs, new_edits=False,
                                 max_size=2**31, fill_stubs=False)
            pending = again

    async def _rejudge(self, index: int, rev: str, state: _State,
                       others: list[str]) -> tuple[Verdict, str | None]:
        """The verdict on `docs[index]` (written as `rev`) against the document as the others
        left it: its best open leaf but `rev`. Also that leaf's revision."""
        if not others:
            return Verdict(), None  # nothing else is open: the judgement stands
        if state.winner is not None and state.winner["_rev"] != rev:
            winner: Doc = state.winner
        else:
            best = max(others, key=revtree.parse_rev)
            winner = await self.client.call("GET", self.path, doc_path(self.items[index].doc_id),
                                            params={"rev": best})
        stored = Stored(self.items[index].doc_id, winner, None, rev, tuple(others))
        return self.validate(index, self.docs[index], stored), str(winner["_rev"])
