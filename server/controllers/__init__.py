"""Thin HTTP controllers of the server's own routes (the CouchDB API lives in `sync.http`)."""

from .health import health
from .session import SessionController

__all__ = ["SessionController", "health"]
