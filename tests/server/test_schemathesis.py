"""schemathesis against `/schema/openapi.json` of the real app (in-process ASGI), signed in as
an admin: every operation, valid and invalid inputs, no server error, and every response that
the schema declares conforms to it (content type and body)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.generation import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans

from server.accounts import Accounts
from server.app import create_app
from server.settings import Settings

ADMIN, PASSWORD = "schema-admin-7f3c", "a-long-admin-password"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()}
#: Our own JSON API: invalid input must be refused with a 4xx.
STRICT_PREFIX = "/api/admin"
FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.fixture
def api_schema(settings: Settings) -> Iterator[schemathesis.BaseSchema]:
    accounts = Accounts.from_settings(settings)
    accounts.hasher = FAST
    try:
        accounts.initialize()
        accounts.add(ADMIN, PASSWORD, ["admin"])
        accounts.add("canbo1", "canbo1-password", ["scorer"], ["26734"])
    finally:
        accounts.close()
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)  # starts the lifespan
    app.state.accounts.hasher = FAST
    yield schema
    shutdown_lifespans()  # flush the audit log and close the store before tmp_path goes


def _operations() -> dict[str, bool]:
    """`METHOD /path` of every operation -> whether it takes any input (the schema depends on
    neither settings nor data)."""
    paths = create_app(Settings(data_dir=Path("unused"))).openapi_schema.to_schema()["paths"]
    return {
        f"{method.upper()} {path}": bool(op.get("parameters") or op.get("requestBody"))
        for path, ops in paths.items()
        for method, op in ops.items()
    }


OPERATIONS = _operations()
CASES = [(name, GenerationMode.POSITIVE) for name in OPERATIONS] + [
    (name, GenerationMode.NEGATIVE) for name, has_input in OPERATIONS.items() if has_input
]


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_no_server_error_and_declared_responses_conform(
    api_schema: schemathesis.BaseSchema, operation: str, mode: GenerationMode
) -> None:
    method, path = operation.split(" ", 1)
    checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
    if path.startswith(STRICT_PREFIX):
        checks.append(negative_data_rejection)

    @given(case=api_schema[path][method].as_strategy(mode))
    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case: schemathesis.Case) -> None:
        statuses.add(case.call_and_validate(headers=AUTH, checks=checks).status_code)

    statuses: set[int] = set()
    check()
    assert not statuses & {401, 403}, f"the admin was refused: {statuses}"  # really signed in


def test_every_operation_is_covered(api_schema: schemathesis.BaseSchema) -> None:
    """The served schema has exactly the operations the test above is parametrized with."""
    served = [f"{op.ok().method.upper()} {op.ok().path}" for op in api_schema.get_all_operations()]
    assert sorted(served) == sorted(OPERATIONS)
    assert {"GET /api/admin/accounts", "GET /api/admin/audit/export", "GET /healthz"} <= set(served)
