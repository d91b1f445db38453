"""Backend selection: `load_store(config)` builds the configured `DocumentStore`.

The embedded SQL store (`sql`) is the default; `couchdb` is chosen when `config.couchdb_url`
is set. `config` is any object with the attributes of `StoreConfig` (the server passes its
`Settings`; `sync/` never imports `server/`). Backends register a factory in `BACKENDS`; the
result is checked to be a `DocumentStore` (as Kinto's `setup_storage` does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..store import DocumentStore

__all__ = ["BACKENDS", "BackendError", "StoreConfig", "backend_name", "load_store"]


class StoreConfig(Protocol):
    """What a backend needs to be built (the server's `Settings` has these)."""

    @property
    def store_url(self) -> str: ...
    @property
    def couchdb_url(self) -> str: ...
    @property
    def revs_limit(self) -> int: ...
    @property
    def max_document_size(self) -> int: ...


class BackendError(Exception):
    """The configured backend is not available."""


def _sql(config: StoreConfig) -> DocumentStore:
    from .sql import SqlStore

    return SqlStore.from_settings(config)


def _couchdb(config: StoreConfig) -> DocumentStore:
    from .couchdb import CouchStore

    return CouchStore.from_settings(config)


#: backend name -> factory taking the configuration.
BACKENDS: dict[str, Callable[[StoreConfig], DocumentStore]] = {"sql": _sql, "couchdb": _couchdb}


def backend_name(config: StoreConfig) -> str:
    """`couchdb` when `THIDUA_COUCHDB_URL` is set, else `sql`."""
    return "couchdb" if config.couchdb_url else "sql"


def load_store(config: StoreConfig) -> DocumentStore:
    """The store the configuration asks for (not yet initialized: `await store.initialize()`).

    :raises BackendError: the configured backend is not available.
    """
    name = backend_name(config)
    factory = BACKENDS.get(name)
    if factory is None:
        raise BackendError(f"no document store backend named {name!r}")
    store = factory(config)
    if not isinstance(store, DocumentStore):
        raise BackendError(f"backend {name!r} did not return a DocumentStore")
    return store
