"""The `DocumentStore` conformance suite, shared by every backend (as Kinto's storage tests).

Subclass `StoreConformance` in a test module and give it an async `store` fixture yielding an
initialized store; every test works in a fresh database (`db` fixture). Behaviour that differs
between backends is declared in `store.capabilities`, never by overriding tests:

* `integer_seqs`: seqs are ints counting writes (1, 2, 3, ... per database);
* `revision_bodies`: bodies of non-leaf revisions stay readable (no compaction);
* `deterministic_revs`: a new rev hashes the edit only, so equal edits of two docs get equal
  revs (CouchDB; PouchDB 7, inside pouchdb-server, also hashes the doc id);
* `replicated_revpos`: an inline attachment written by replication keeps its `revpos`
  (PouchDB sets it to the revision being written).

Topics live in small modules (`_docs`, `_feeds`, `_more`) and are combined here.
"""

from __future__ import annotations

from ._base import StoreFixtures, needs, rev_path
from ._docs import CrudTests, RevisionTests
from ._feeds import AttachmentTests, ChangesTests, LocalDocTests, RevsDiffBulkGetTests
from ._more import AllDocsTests, BadInputTests, ConcurrencyTests
from ._validate import ValidatorTests

__all__ = [
    "AllDocsTests",
    "AttachmentTests",
    "BadInputTests",
    "ChangesTests",
    "ConcurrencyTests",
    "CrudTests",
    "LocalDocTests",
    "RevisionTests",
    "RevsDiffBulkGetTests",
    "StoreConformance",
    "StoreFixtures",
    "ValidatorTests",
    "needs",
    "rev_path",
]


class StoreConformance(
    CrudTests,
    RevisionTests,
    ChangesTests,
    LocalDocTests,
    RevsDiffBulkGetTests,
    AttachmentTests,
    AllDocsTests,
    BadInputTests,
    ConcurrencyTests,
    ValidatorTests,
):
    """Every topic; subclass it and provide an async `store` fixture."""
