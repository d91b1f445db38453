"""`load_settings`: defaults, precedence env > TOML file > default, and each bad value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.settings import SETTINGS, ConfigError, Settings, load_settings


def env_for(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"THIDUA_DATA_DIR": str(tmp_path / "data"), **values}


def test_defaults_match_the_settings_table(tmp_path: Path) -> None:
    settings = load_settings(env_for(tmp_path))
    defaults = Settings()
    assert settings.port == defaults.port == int(_default("THIDUA_PORT"))
    assert settings.host == defaults.host == _default("THIDUA_HOST")
    assert settings.log_level == _default("THIDUA_LOG_LEVEL")
    assert settings.max_request_size == defaults.max_request_size
    assert settings.max_document_size == defaults.max_document_size
    assert settings.session_timeout == defaults.session_timeout
    assert settings.store_url == f"sqlite:///{(tmp_path / 'data' / 'thidua.sqlite3').resolve()}"


def _default(name: str) -> str:
    return next(s.default for s in SETTINGS if s.name == name)


def test_precedence_env_over_file_over_default(tmp_path: Path) -> None:
    config = tmp_path / "thidua.toml"
    config.write_text('port = 9001\nlog_level = "debug"\ncors_origins = ["https://a.example"]\n')
    from_file = load_settings(env_for(tmp_path, THIDUA_CONFIG=str(config)))
    assert (from_file.port, from_file.log_level) == (9001, "DEBUG")
    assert from_file.cors_origins == ("https://a.example",)
    both = load_settings(env_for(tmp_path, THIDUA_CONFIG=str(config), THIDUA_PORT="9002"))
    assert (both.port, both.log_level) == (9002, "DEBUG")
    assert load_settings(env_for(tmp_path)).port == 8000


def test_secret_key_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(env_for(tmp_path)).secret_key
    assert len(first) >= 32
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_settings(env_for(tmp_path)).secret_key == first
    given = load_settings(env_for(tmp_path, THIDUA_SECRET_KEY="an-explicit-key-of-some-length"))
    assert given.secret_key == "an-explicit-key-of-some-length"


def test_postgresql_url_accepted(tmp_path: Path) -> None:
    url = "postgresql+psycopg://u:p@db.example/thidua"
    assert load_settings(env_for(tmp_path, THIDUA_DATABASE_URL=url)).store_url == url


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"THIDUA_PORT": "70000"}, "THIDUA_PORT=70000: out of range 1..65535"),
        ({"THIDUA_PORT": "0"}, "THIDUA_PORT=0: out of range"),
        ({"THIDUA_PORT": "eighty"}, "THIDUA_PORT='eighty': expected a whole number"),
        ({"THIDUA_DATABASE_URL": "mysql://h/db"}, "THIDUA_DATABASE_URL='mysql://h/db'"),
        ({"THIDUA_DATABASE_URL": "not a url"}, "expected a URL starting with sqlite"),
        ({"THIDUA_COUCHDB_URL": "http://"}, "THIDUA_COUCHDB_URL='http://': the URL has no host"),
        ({"THIDUA_COUCHDB_URL": "ftp://x"}, "expected a URL starting with http or https"),
        ({"THIDUA_COUCHDB_URL": "http://a:5984,ftp://b"}, "expected a URL starting with http"),
        ({"THIDUA_COUCHDB_URL": "http://a:5984,,http://b"}, "an empty URL between commas"),
        ({"THIDUA_LOG_LEVEL": "LOUD"}, "THIDUA_LOG_LEVEL='LOUD': expected one of"),
        ({"THIDUA_SECRET_KEY": "short"}, "THIDUA_SECRET_KEY: too short"),
        ({"THIDUA_SESSION_TIMEOUT": "5"}, "THIDUA_SESSION_TIMEOUT=5: out of range"),
        ({"THIDUA_CORS_ORIGINS": "example.org"}, "THIDUA_CORS_ORIGINS='example.org'"),
    ],
)
def test_bad_values(tmp_path: Path, values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=_literal(message)):
        load_settings(env_for(tmp_path, **values))


def _literal(text: str) -> str:
    import re

    return re.escape(text)


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="THIDUA_DATA_DIR=.*not a writable folder"):
        load_settings({"THIDUA_DATA_DIR": str(blocker / "data")})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_data_dir(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    with pytest.raises(ConfigError, match="not a writable folder"):
        load_settings({"THIDUA_DATA_DIR": str(folder)})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 'blue'\n", "THIDUA_CONFIG: unknown key 'colour'"),
        ("config = 'x.toml'\n", "THIDUA_CONFIG: unknown key 'config'"),
        ("port = \n", "THIDUA_CONFIG: cannot read"),
        ("[port]\nx = 1\n", "key 'port' in"),
    ],
)
def test_bad_config_file(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "thidua.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=_literal(message)):
        load_settings(env_for(tmp_path, THIDUA_CONFIG=str(config)))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="THIDUA_CONFIG: cannot read .*missing.toml"):
        load_settings(env_for(tmp_path, THIDUA_CONFIG=str(tmp_path / "missing.toml")))
