"""Backend selection: `load_store(settings)` builds the configured `DocumentStore`.

The embedded SQL store (`sql`) is the default; `couchdb` is chosen when
`settings.couchdb_url` is set. Backends register a factory in `BACKENDS`; the result is
checked to be a `DocumentStore` (as Kinto's `setup_storage` does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..store import DocumentStore

if TYPE_CHECKING:
    from server.settings import Settings

__all__ = ["BACKENDS", "backend_name", "load_store"]


def _sql(settings: Settings) -> DocumentStore:
    from .sql import SqlStore

    return SqlStore.from_settings(settings)


def _couchdb(settings: Settings) -> DocumentStore:
    from .couchdb import CouchStore

    return CouchStore.from_settings(settings)


#: backend name -> factory taking the settings.
BACKENDS: dict[str, Callable[[Settings], DocumentStore]] = {"sql": _sql, "couchdb": _couchdb}


def backend_name(settings: Settings) -> str:
    """`couchdb` when `THIDUA_COUCHDB_URL` is set, else `sql`."""
    return "couchdb" if settings.couchdb_url else "sql"


def load_store(settings: Settings) -> DocumentStore:
    """The store the settings ask for (not yet initialized: call `await store.initialize()`).

    :raises ConfigError: the configured backend is not available.
    """
    from server.settings import ConfigError

    name = backend_name(settings)
    factory = BACKENDS.get(name)
    if factory is None:
        raise ConfigError(f"no document store backend named {name!r}")
    store = factory(settings)
    if not isinstance(store, DocumentStore):
        raise ConfigError(f"backend {name!r} did not return a DocumentStore")
    return store
