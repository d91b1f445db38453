"""`ScopeHeaders` answers as Litestar's `Headers` does, for every list of raw headers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from litestar.datastructures import Headers

from sync.http.scope_headers import ScopeHeaders

NAMES = st.sampled_from(
    [
        "authorization",
        "Authorization",
        "COOKIE",
        "cookie",
        "content-length",
        "x-forwarded-for",
        "Transfer-Encoding",
        "host",
    ]
)
VALUES = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20)
RAW = st.lists(st.tuples(NAMES, VALUES), max_size=8).map(
    lambda pairs: [(n.encode("latin-1"), v.encode("latin-1")) for n, v in pairs]
)
ASKED = ["authorization", "cookie", "content-length", "transfer-encoding", "origin"]


@given(RAW)
def test_get_and_in_match_litestar_headers(raw: list[tuple[bytes, bytes]]) -> None:
    ours, theirs = ScopeHeaders(raw), Headers(raw)
    for name in ASKED:
        assert ours.get(name) == theirs.get(name)
        assert ours.get(name, "") == theirs.get(name, "")
        assert (name in ours) == (name in theirs)


def test_the_first_of_repeated_headers_counts() -> None:
    raw = [(b"authorization", b"Bearer first"), (b"Authorization", b"Bearer second")]
    assert ScopeHeaders(raw).get("authorization") == "Bearer first"
    assert ScopeHeaders.of({"headers": raw[::-1]}).get("authorization") == "Bearer second"
    assert ScopeHeaders.of({}).get("cookie", "") == ""
