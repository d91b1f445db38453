"""The review tests use the seeded demo world of the consolidated tests."""

from consolidated.conftest import client, world, world_copy  # noqa: F401
