"""`thidua serve` for real, as a test's context manager: a fresh data dir, a free port on
127.0.0.1, the machine's environment without THIDUA_ settings."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

THIDUA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "thidua"


@contextlib.contextmanager
def thidua_serve(data_dir: Path, port: int, start_within: float = 180) -> Iterator[str]:
    """Start `thidua serve`, wait for `/healthz`, yield its base URL, stop it afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
    env.update(THIDUA_DATA_DIR=str(data_dir), THIDUA_LOG_LEVEL="ERROR")
    process = subprocess.Popen(
        [str(THIDUA), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_within  # a busy machine starts slowly
        while True:
            try:
                httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)
