"""`server.access.decide`: who may call which `/db` route (before the territory rules)."""

from __future__ import annotations

import pytest

from server.access import decide, visible_dbs
from server.accounts import Account

ADMIN = Account("admin", ("admin",))
SCORER = Account("canbo1", ("scorer",), ("89102",))
DISABLED = Account("old", ("scorer",), disabled=True)


@pytest.mark.parametrize(
    ("user", "method", "path", "status"),
    [
        (None, "GET", "", 200),
        (None, "POST", "_session", 200),
        (None, "GET", "_all_dbs", 401),
        (None, "GET", "c-89102", 401),
        (None, "GET", "c-89102/_changes", 401),
        (SCORER, "GET", "_all_dbs", 200),
        (SCORER, "GET", "c-89102", 200),
        (SCORER, "PUT", "c-89102", 403),
        (SCORER, "DELETE", "c-89102", 403),
        (ADMIN, "PUT", "c-89102", 200),
        (ADMIN, "DELETE", "c-89102", 200),
        (SCORER, "POST", "c-89102/_bulk_docs", 200),
        (SCORER, "POST", "c-89102/_revs_diff", 200),
        (SCORER, "PUT", "c-89102/_local/checkpoint", 200),
        (DISABLED, "GET", "c-89102", 403),
        (DISABLED, "POST", "c-89102/_bulk_docs", 403),
        (DISABLED, "POST", "c-89102/_changes", 403),
    ],
)
def test_decide(user: Account | None, method: str, path: str, status: int) -> None:
    decision = decide(user, method, path)
    assert (200 if decision.allowed else decision.status) == status
    if not decision.allowed:
        assert decision.reason


def test_visible_dbs() -> None:
    assert visible_dbs(None, ["a", "b"]) == []
    assert visible_dbs(SCORER, ["config", "c-89102"]) == ["config", "c-89102"]
    assert visible_dbs(DISABLED, ["config"]) == []
