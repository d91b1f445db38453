"""`thidua serve` for real: uvicorn on a free loopback port, /healthz, clean SIGTERM shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

THIDUA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "thidua"


def test_serve_answers_and_stops_cleanly(tmp_path: Path, free_port: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
    env["THIDUA_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [str(THIDUA), "serve", "--host", "127.0.0.1", "--port", str(free_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{free_port}/healthz"
        deadline = time.monotonic() + 180  # a busy machine starts slowly
        while True:
            try:
                response = httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # uvicorn re-raises the signal after a graceful shutdown, as a signalled process should
    assert process.returncode in (0, -signal.SIGTERM), stderr
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    messages = [r["msg"] for r in records]
    assert "started" in messages and "stopped" in messages
    assert "Application shutdown complete." in messages
    access = [r for r in records if r["logger"] == "thidua.access"]
    assert access and access[0]["path"] == "/healthz" and access[0]["status"] == 200
    assert "Traceback" not in stderr
