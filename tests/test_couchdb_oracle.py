"""How the tests find Apache CouchDB (tests/couchdb.py): skip outside CI, fail in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import couchdb


@pytest.fixture
def no_couchdb(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.setattr(couchdb, "TARBALL", tmp_path / "absent.tar.gz")
    monkeypatch.delenv("THIDUA_TEST_COUCHDB_URL", raising=False)
    return monkeypatch


def test_without_shared_or_url_the_tests_skip(no_couchdb: pytest.MonkeyPatch) -> None:
    no_couchdb.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as info:
        couchdb.require_couchdb()
    assert "neither ../shared/couchdb nor THIDUA_TEST_COUCHDB_URL" in str(info.value)


def test_in_ci_a_missing_couchdb_fails(no_couchdb: pytest.MonkeyPatch) -> None:
    no_couchdb.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as info:
        couchdb.require_couchdb()
    assert "CI needs Apache CouchDB" in str(info.value)


def test_an_unbuilt_tarball_says_make_setup(no_couchdb: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    tarball = tmp_path / "couchdb.tar.gz"
    tarball.write_bytes(b"not really a tarball")
    no_couchdb.setattr(couchdb, "TARBALL", tarball)
    no_couchdb.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert couchdb.couchdb_prefix() is None
    assert "make setup" in couchdb.missing_couchdb()


def test_the_url_wins(no_couchdb: pytest.MonkeyPatch) -> None:
    no_couchdb.setenv("THIDUA_TEST_COUCHDB_URL", "http://u:p@127.0.0.1:5999")
    assert couchdb.missing_couchdb() == ""
    node = couchdb.start_node(0)
    assert (node.url, node.auth, node.url_with_auth) == (
        "http://127.0.0.1:5999/", ("u", "p"), "http://u:p@127.0.0.1:5999")
