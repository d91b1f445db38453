"""The `DocumentStore` conformance suite, shared by every backend (as Kinto's storage tests).

Subclass `StoreConformance` in a test module and give it an async `store` fixture yielding an
initialized store; every test works in a fresh database (`db` fixture). Behaviour that differs
between backends is declared in `store.capabilities`, never by overriding tests:

* `integer_seqs`: seqs are ints counting writes (1, 2, 3, ... per database);
* `revision_bodies`: bodies of non-leaf revisions stay readable (no compaction);
* `deterministic_revs`: a new rev hashes the edit only, so equal edits of two docs get equal
  revs (CouchDB; PouchDB 7, inside pouchdb-server, also hashes the doc id);
* `replicated_revpos`: an inline attachment written by replication keeps its `revpos`
  (PouchDB sets it to the revision being written);
* `identity_digests`: an attachment's digest is the md5 of its bytes (CouchDB compresses
  `text/*` and JSON attachments and digests the compressed form);
* `quiet_rewrites`: re-sending revisions the tree already has writes nothing, `update_seq`
  stays (CouchDB rewrites the document under a new seq).
* `cluster`: each database has several copies (a CouchDB cluster); a feed is read from any
  one of them, so its rows may come in another order than written, and one position may be
  spelled by different `last_seq` strings (seqs are opaque: never compared, only sent back).

Topics live in small modules (`_docs`, `_feeds`, `_more`) and are combined here.
"""

from __future__ import annotations

from ._base import StoreFixtures, needs, rev_path
from ._docs import CrudTests, RevisionTests
from ._feeds import AttachmentTests, ChangesTests, LocalDocTests, RevsDiffBulkGetTests
from ._more import AllDocsTests, BadInputTests, CompactionTests, ConcurrencyTests
from ._validate import ValidatorTests

__all__ = [
    "AllDocsTests",
    "AttachmentTests",
    "BadInputTests",
    "ChangesTests",
    "CompactionTests",
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
    CompactionTests,
    ConcurrencyTests,
    ValidatorTests,
):
    """Every topic; subclass it and provide an async `store` fixture."""
