"""`thidua demo` shows server-scored results; `thidua worker --once`; `thidua check` lag."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine

from scoring import format_points
from server.cli import cli
from server.results import list_results
from server.settings import load_settings


def test_demo_scores_on_the_server_and_check_reports_no_lag(tmp_path: Path) -> None:
    env = {"THIDUA_DATA_DIR": str(tmp_path / "data"), "THIDUA_PORT": "8766"}
    runner = CliRunner()
    shown = runner.invoke(cli, ["demo", "--no-serve"], env=env, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "Kết quả chấm điểm của máy chủ" in shown.output
    assert unicodedata.is_normalized("NFC", shown.output)
    settings = load_settings(env)
    engine = create_engine(settings.store_url)
    results = list_results(engine, campaign="2026", unit_kind="savings_group")
    best = max(results, key=lambda r: r.total)
    assert best.unit_code in shown.output and format_points(best.total) in shown.output
    again = runner.invoke(cli, ["worker", "--once"], env=env, catch_exceptions=False)
    assert "handled 0 changes" in again.output  # everything was scored by the demo
    check = runner.invoke(cli, ["check"], env=env, catch_exceptions=False)
    assert "lag 0 changes (0 of " in check.output and "; 0 open failures" in check.output
    assert "THIDUA_WORKER" in check.output
    engine.dispose()
