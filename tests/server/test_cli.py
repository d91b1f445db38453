"""The real `thidua` console script in a subprocess: configuration errors, users, tokens."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from server.cli import cli

THIDUA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "thidua"


def run(
    args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
    return subprocess.run(
        [str(THIDUA), *args],
        input=stdin,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"THIDUA_DATA_DIR": str(tmp_path / "data"), "THIDUA_LOG_LEVEL": "WARNING"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"THIDUA_PORT": "70000"}, "THIDUA_PORT=70000: out of range 1..65535"),
        ({"THIDUA_PORT": "http"}, "THIDUA_PORT='http': expected a whole number"),
        ({"THIDUA_DATABASE_URL": "oracle://h/x"}, "THIDUA_DATABASE_URL='oracle://h/x'"),
        ({"THIDUA_COUCHDB_URL": "http:///nohost"}, "the URL has no host"),
        ({"THIDUA_LOG_LEVEL": "chatty"}, "THIDUA_LOG_LEVEL='CHATTY'"),
        ({"THIDUA_DATA_DIR": "/dev/null/data"}, "THIDUA_DATA_DIR='/dev/null/data': not a writable"),
    ],
)
def test_bad_configuration_exits_2_with_one_line(
    env: dict[str, str], bad: dict[str, str], message: str
) -> None:
    commands = (["check"], ["user", "list"], ["serve"]) if "THIDUA_PORT" in bad else (["check"],)
    for command in commands:
        done = run(command, {**env, **bad})
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert done.stderr.startswith("thidua: configuration error: ")
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert done.stdout == ""


def test_unknown_key_in_config_file(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "thidua.toml"
    config.write_text("prot = 8001\n")
    done = run(["check"], {**env, "THIDUA_CONFIG": str(config)})
    assert done.returncode == 2 and "unknown key 'prot'" in done.stderr


def test_user_add_and_list(env: dict[str, str]) -> None:
    added = run(
        [
            "user",
            "add",
            "canbo1",
            "--role",
            "scorer",
            "--territory",
            "26734",
            "--territory",
            "26735",
            "--password-stdin",
        ],
        env,
        stdin="mat-khau-1\n",
    )
    assert added.returncode == 0, added.stderr
    assert "created canbo1 (scorer)" in added.stdout
    again = run(["user", "add", "canbo1", "--role", "viewer", "--password-stdin"], env, "x" * 10)
    assert again.returncode == 1 and "already exists" in again.stderr
    listed = run(["user", "list"], env)
    assert listed.returncode == 0
    assert "canbo1" in listed.stdout and "26734, 26735" in listed.stdout
    assert "active" in listed.stdout


def invoke(args: list[str], env: dict[str, str], stdin: str = "") -> Result:
    """The same commands in-process (a subprocess costs seconds on a busy machine)."""
    return CliRunner().invoke(cli, args, input=stdin, env=env, catch_exceptions=False)


def test_user_and_token_management(env: dict[str, str]) -> None:
    short = invoke(["user", "add", "lan", "--role", "viewer", "--password-stdin"], env, "abc\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    bad_role = invoke(["user", "add", "lan", "--role", "boss", "--password-stdin"], env, "x" * 10)
    assert bad_role.exit_code == 2 and "boss" in bad_role.output  # click's usage error
    no_stdin = invoke(["user", "add", "lan", "--role", "viewer", "--password-stdin"], env, "")
    assert no_stdin.exit_code == 1 and "no password on stdin" in no_stdin.output
    add = invoke(
        ["user", "add", "lan", "--role", "viewer", "--password-stdin"], env, "mat-khau-1\n"
    )
    assert add.exit_code == 0, add.output

    assert invoke(["user", "passwd", "lan", "--password-stdin"], env, "mat-khau-2\n").exit_code == 0
    assert (
        invoke(["user", "passwd", "ghost", "--password-stdin"], env, "mat-khau-2\n").exit_code == 1
    )
    assert invoke(["user", "disable", "lan"], env).exit_code == 0
    assert "disabled" in invoke(["user", "list"], env).output
    assert invoke(["user", "disable", "lan", "--enable"], env).exit_code == 0
    assert "active" in invoke(["user", "list"], env).output

    created = invoke(["token", "create", "lan", "--device", "Điện thoại"], env)
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("thd_")
    token_id = created.stderr.split()[1]
    tokens = invoke(["token", "list"], env)
    assert token_id in tokens.output and secret not in tokens.output
    assert invoke(["token", "revoke", token_id], env).exit_code == 0
    assert invoke(["token", "revoke", "nope"], env).exit_code == 1
    assert invoke(["token", "create", "ghost", "--device", "x"], env).exit_code == 1


def test_check_reports_settings_with_secrets_masked(env: dict[str, str]) -> None:
    secret = "a-very-secret-key-nobody-should-see"
    done = run(["check"], {**env, "THIDUA_SECRET_KEY": secret})
    assert done.returncode in (0, 1), done.stderr  # 1 only if the machine lacks fonts etc.
    assert secret not in done.stdout
    assert "THIDUA_SECRET_KEY" in done.stdout and "document store" in done.stdout
    assert "SqlStore answers" in done.stdout
