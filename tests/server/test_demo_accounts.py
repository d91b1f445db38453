"""`thidua demo`: seeds an empty store once, creates the documented demo accounts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from server.accounts import Accounts
from server.cli import cli
from server.demo import DEMO_ACCOUNTS, prepare_demo
from server.settings import Settings
from sync.backends import load_store


async def test_prepare_demo_seeds_then_keeps(settings: Settings) -> None:
    summary, rows = await prepare_demo(settings)
    assert summary is not None and summary.seeded
    by_name = {demo.name: (demo, codes, created) for demo, codes, created in rows}
    assert set(by_name) == {d.name for d in DEMO_ACCOUNTS}
    assert all(created for _, _, created in rows)
    assert by_name["chinhanh"][1] == [summary.province_code]
    assert by_name["phonggd"][1] == [summary.office_codes[0]]
    assert by_name["canbo1"][1] == [summary.commune_codes[0]]
    assert by_name["canbo2"][1] == [summary.commune_codes[1]]
    accounts = Accounts.from_settings(settings)
    try:
        for demo in DEMO_ACCOUNTS:
            account = accounts.verify_password(demo.name, demo.password)
            assert account is not None and account.roles == (demo.role,)
    finally:
        accounts.close()
    again, rows_again = await prepare_demo(settings)
    assert again is not None and not again.seeded
    assert not any(created for _, _, created in rows_again)


async def test_demo_never_seeds_a_store_with_other_data(settings: Settings) -> None:
    store = load_store(settings)
    await store.initialize()
    await store.create_db("real-data")
    await store.close()
    summary, rows = await prepare_demo(settings)
    assert summary is None and len(rows) == len(DEMO_ACCOUNTS)
    store = load_store(settings)
    try:
        assert await store.list_dbs() == ["real-data"]
    finally:
        await store.close()


def test_demo_command_prints_url_and_accounts(tmp_path: Path) -> None:
    env = {"THIDUA_DATA_DIR": str(tmp_path / "data"), "THIDUA_PORT": "8765"}
    result = CliRunner().invoke(cli, ["demo", "--no-serve"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765/" in result.output
    for demo in DEMO_ACCOUNTS:
        assert demo.name in result.output and demo.password in result.output
