"""One typed settings object, read from `THIDUA_*` environment variables and an optional TOML file.

`SETTINGS` is the single source of truth for names, defaults and help (the docs test and
`thidua check` read it). Precedence: environment > TOML file (`THIDUA_CONFIG`) > defaults.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

__all__ = ["SETTINGS", "ConfigError", "Setting", "Settings", "load_settings"]


class ConfigError(Exception):
    """A setting has a bad value; the message names the variable and what is wrong."""


class Setting(msgspec.Struct, frozen=True):
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("THIDUA_DATA_DIR", "./var", "Folder for the SQLite store, the secret key and uploads."),
    Setting(
        "THIDUA_DATABASE_URL",
        "",
        "SQLAlchemy URL of the embedded store; default sqlite:///<data dir>/thidua.sqlite3. "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db.",
    ),
    Setting("THIDUA_COUCHDB_URL", "", "Use a CouchDB server or cluster as the document store; "
            "several nodes of one cluster comma-separated (failover)."),
    Setting("THIDUA_HOST", "127.0.0.1", "Address the server listens on."),
    Setting("THIDUA_PORT", "8000", "Port the server listens on (1-65535)."),
    Setting(
        "THIDUA_SECRET_KEY",
        "",
        "Key that signs session cookies; generated and kept in <data dir>/secret_key when absent.",
    ),
    Setting("THIDUA_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR."),
    Setting("THIDUA_MAX_DOCUMENT_SIZE", "8000000", "Largest accepted document body in bytes."),
    Setting("THIDUA_MAX_REQUEST_SIZE", "67108864", "Largest accepted request body in bytes."),
    Setting("THIDUA_REVS_LIMIT", "1000", "Revisions kept per document path (stemming)."),
    Setting("THIDUA_CORS_ORIGINS", "", "Comma-separated origins allowed to call the API."),
    Setting(
        "THIDUA_SESSION_TIMEOUT",
        "86400",
        "Seconds an AuthSession cookie stays valid (60-31536000); refreshed while in use.",
    ),
    Setting(
        "THIDUA_TRUSTED_PROXIES",
        "",
        "Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed; default none (the headers are ignored).",
    ),
    Setting("THIDUA_WORKER", "on", "on: the server runs the reconcile-and-score worker; off: not "
            "(run `thidua worker` apart)."),
    Setting("THIDUA_WORKER_LEASE", "15", "Seconds a worker's lease lasts (2-600): one worker runs "
            "at a time over all servers; another takes over this long after it dies."),
    Setting("THIDUA_CONFIG", "", "Optional TOML file with the same keys (lower case, no prefix)."),
)

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Validated configuration. Build with `load_settings()`; tests construct it directly."""

    data_dir: Path = Path("./var")
    database_url: str = ""
    couchdb_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    log_level: str = "INFO"
    max_document_size: int = 8_000_000
    max_request_size: int = 64 * 1024 * 1024
    revs_limit: int = 1000
    cors_origins: tuple[str, ...] = ()
    session_timeout: int = 86400
    trusted_proxies: tuple[str, ...] = ()
    config_file: str = ""
    #: Run the worker in the server process. `load_settings` defaults it on (THIDUA_WORKER);
    #: a `Settings` built directly (tests, embedding) has it off unless asked.
    worker: bool = False
    #: Seconds the worker's lease (`server.worker.lease`) lasts per renewal.
    worker_lease: int = 15

    @property
    def store_url(self) -> str:
        """The embedded store's URL, defaulting to a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'thidua.sqlite3').resolve()}"


def _raw_values(env: Mapping[str, str]) -> dict[str, str]:
    values = {s.name: s.default for s in SETTINGS}
    config_file = env.get("THIDUA_CONFIG", "")
    if config_file:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"THIDUA_CONFIG: cannot read {config_file}: {exc}") from exc
        known = {
            s.name.removeprefix("THIDUA_").lower(): s.name
            for s in SETTINGS
            if s.name != "THIDUA_CONFIG"
        }
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"THIDUA_CONFIG: unknown key {key!r} in {config_file}")
            if isinstance(value, dict):
                raise ConfigError(
                    f"THIDUA_CONFIG: key {key!r} in {config_file} must be a value, not a table"
                )
            if isinstance(value, list):
                values[known[key]] = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                values[known[key]] = "true" if value else "false"
            else:
                values[known[key]] = str(value)
    values.update({k: v for k, v in env.items() if k in values})
    return values


def _int(values: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = values[name].strip()
    try:
        number = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if not low <= number <= high:
        raise ConfigError(f"{name}={number}: out of range {low}..{high}")
    return number


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    if not url:
        return url
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in schemes:
        raise ConfigError(f"{name}={url!r}: expected a URL starting with {' or '.join(schemes)}")
    if scheme in ("http", "https", "postgresql") and not parts.hostname:
        raise ConfigError(f"{name}={url!r}: the URL has no host")
    return url


def _couch_urls(raw: str) -> str:
    """One CouchDB URL, or several nodes of one cluster comma-separated (each checked)."""
    urls = [u.strip() for u in raw.split(",") if u.strip()]
    for url in urls:
        _check_url("THIDUA_COUCHDB_URL", url, ("http", "https"))
    if len(urls) < len(raw.split(",")) and urls:
        raise ConfigError(f"THIDUA_COUCHDB_URL={raw!r}: an empty URL between commas")
    return ",".join(urls)


def _writable_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise ConfigError(f"THIDUA_DATA_DIR={str(path)!r}: not a writable folder ({why})") from exc
    return path


def _secret_key(values: Mapping[str, str], data_dir: Path) -> str:
    given = values["THIDUA_SECRET_KEY"].strip()
    if given:
        if len(given) < 16:
            raise ConfigError("THIDUA_SECRET_KEY: too short, use at least 16 characters")
        return given
    key_file = data_dir / "secret_key"
    try:
        if key_file.exists():
            key = key_file.read_text(encoding="ascii").strip()
            if len(key) < 32:
                raise ConfigError(f"{key_file}: the kept secret key is too short; delete the file")
            return key
        key = secrets.token_hex(32)
        partial = key_file.with_suffix(".tmp")
        partial.write_text(key, encoding="ascii")
        partial.chmod(0o600)
        partial.replace(key_file)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"THIDUA_SECRET_KEY: cannot read or keep {key_file}: {exc}") from exc
    return key


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings. :raises ConfigError: on the first bad value."""
    values = _raw_values(os.environ if env is None else env)
    level = values["THIDUA_LOG_LEVEL"].strip().upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"THIDUA_LOG_LEVEL={level!r}: expected one of {', '.join(_LOG_LEVELS)}")
    port = _int(values, "THIDUA_PORT", 1, 65535)
    data_dir = _writable_dir(Path(values["THIDUA_DATA_DIR"]).expanduser())
    return Settings(
        data_dir=data_dir,
        database_url=_check_url(
            "THIDUA_DATABASE_URL", values["THIDUA_DATABASE_URL"], ("sqlite", "postgresql")
        ),
        couchdb_url=_couch_urls(values["THIDUA_COUCHDB_URL"]),
        host=values["THIDUA_HOST"].strip() or "127.0.0.1",
        port=port,
        secret_key=_secret_key(values, data_dir),
        log_level=level,
        max_document_size=_int(values, "THIDUA_MAX_DOCUMENT_SIZE", 1024, 1 << 31),
        max_request_size=_int(values, "THIDUA_MAX_REQUEST_SIZE", 1024, 1 << 34),
        revs_limit=_int(values, "THIDUA_REVS_LIMIT", 1, 1_000_000),
        cors_origins=_origins(values["THIDUA_CORS_ORIGINS"]),
        session_timeout=_int(values, "THIDUA_SESSION_TIMEOUT", 60, 365 * 86400),
        trusted_proxies=_proxies(values["THIDUA_TRUSTED_PROXIES"]),
        config_file=values["THIDUA_CONFIG"],
        worker=_switch(values, "THIDUA_WORKER"),
        worker_lease=_int(values, "THIDUA_WORKER_LEASE", 2, 600),
    )


def _switch(values: Mapping[str, str], name: str) -> bool:
    raw = values[name].strip().lower()
    if raw not in ("on", "off", "1", "0", "true", "false", "yes", "no"):
        raise ConfigError(f"{name}={values[name]!r}: expected on or off")
    return raw in ("on", "1", "true", "yes")


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*":
            _check_url("THIDUA_CORS_ORIGINS", origin, ("http", "https"))
    return origins


def _proxies(raw: str) -> tuple[str, ...]:
    proxies = tuple(p.strip() for p in raw.split(",") if p.strip())
    for proxy in proxies:
        try:
            ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"THIDUA_TRUSTED_PROXIES: {proxy!r} is not an IP address or CIDR range"
            ) from None
    return proxies
