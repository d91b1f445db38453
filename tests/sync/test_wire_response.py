"""`json_response`'s own ASGI form sends what Litestar's `Response` would have sent."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from litestar import Response

from sync.http.wire import json_response

HEADERS = st.dictionaries(
    st.sampled_from(["ETag", "Location", "X-Couch-Request-ID", "Cache-Control"]),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=12),
    max_size=3,
)
BODIES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


def _sent(answer: Any, **options: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        messages.append(message)

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    asgi = answer.to_asgi_response(None, None, **options)  # type: ignore[arg-type]
    asyncio.run(asgi({"type": "http"}, receive, send))
    return messages


@given(BODIES, st.sampled_from([200, 201, 202, 400, 404, 409, 412, 500]), HEADERS)
def test_the_same_messages_as_litestar_response(data: Any, status: int, headers: Any) -> None:
    ours = json_response(data, status, headers)
    plain = Response(ours.content, status_code=status, media_type="application/json",
                     headers=headers or None)  # fmt: skip
    assert _sent(ours) == _sent(plain)
    assert _sent(ours, headers={"X-Extra": "1"}) == _sent(plain, headers={"X-Extra": "1"})
