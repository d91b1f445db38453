"""Request headers read straight from the ASGI scope, for the few that a hot path needs.

Litestar's `Headers` decodes every header of a request into a case-insensitive multidict;
the credential check, the CSRF check and the body limit each need one or two of them, on
every request a phone sends. `ScopeHeaders` answers `get` and `in` as `Headers` does (the
first value of a name, in any case, decoded as latin-1) from one dict built in C.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any, overload

__all__ = ["ScopeHeaders"]

_NAME = itemgetter(0)


class ScopeHeaders:
    """`get(name)` and `name in` over raw ASGI headers (`scope["headers"]`); names lower-case."""

    __slots__ = ("_first",)

    def __init__(self, raw: Sequence[tuple[bytes, bytes]]) -> None:
        names = b"\n".join(map(_NAME, raw))
        if names != names.lower():  # servers send lower-case names; the ASGI spec only asks it
            raw = [(name.lower(), value) for name, value in raw]
        self._first: dict[bytes, bytes] = dict(reversed(raw))  # the first of repeated names

    @classmethod
    def of(cls, scope: Any) -> ScopeHeaders:
        return cls(scope.get("headers") or ())

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    def get(self, key: str, default: str | None = None, /) -> str | None:
        value = self._first.get(key.encode("latin-1"))
        return default if value is None else value.decode("latin-1")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.encode("latin-1") in self._first
