"""deploy/Dockerfile without docker (none here): what it copies exists, the compose file runs
the image it builds, and the server runs from exactly the tree the image holds."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def _copies(final: bool = False) -> list[tuple[str, list[str], str]]:
    """`COPY` lines (of the final stage only with `final`) as (stage it copies from or "",
    sources, destination)."""
    out = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("FROM ") and final:
            out = []
        elif line.startswith("COPY "):
            words = line.split()[1:]
            stage = words.pop(0).removeprefix("--from=") if words[0].startswith("--from=") else ""
            out.append((stage, words[:-1], words[-1]))
    return out


def test_every_copied_file_exists_and_the_packages_are_the_wheels() -> None:
    local = [src for stage, sources, _ in _copies() if not stage for src in sources]
    assert local and all((ROOT / src).exists() for src in local), local
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r'packages = \[(.*?)\]', pyproject)
    assert packages is not None
    wheel = {name.strip(' "') for name in packages.group(1).split(",")}
    assert wheel <= set(local)  # every package of the project is in the image
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not any(src.split("/")[0] in ignored for src in local)


def test_compose_runs_the_image_the_dockerfile_builds() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    service = compose["services"]["thidua"]
    assert service["image"] == "thidua:latest"
    assert service["command"][0] == "thidua"
    text = DOCKERFILE.read_text()
    assert 'CMD ["thidua", "serve"]' in text and "THIDUA_HOST=0.0.0.0" in text
    env = (ROOT / "deploy" / "thidua.env.example").read_text()
    assert "THIDUA_PORT=8000" in env and "EXPOSE 8000" in text


def test_the_server_runs_from_the_images_tree(tmp_path: Path) -> None:
    """Lay out /app as the Dockerfile does (the venv aside) and serve `/`, the PWA and
    /schema from it: nothing else of the repository is needed at run time."""
    app = tmp_path / "app"
    app.mkdir()
    for stage, sources, dest in _copies(final=True):
        for src in sources:
            if stage:  # from the PWA stage: the files `make setup` built here
                src = src.removeprefix("/src/")
            target = app / dest.removeprefix("./") if dest not in ("./", ".") else app / src
            if (ROOT / src).is_dir():
                shutil.copytree(ROOT / src, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / src, target if dest not in ("./", ".") else app / src)
    code = textwrap.dedent("""
        import sys
        from litestar.testing import TestClient
        from server.app import create_app
        assert all(not p.startswith(sys.argv[1]) for p in sys.modules["server"].__path__)
        with TestClient(create_app()) as client:
            for path in ("/", "/sw.js", "/schema", "/schema-assets/swagger-ui.css", "/healthz"):
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            print("ok")
    """)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")},
           "PYTHONPATH": str(app), "THIDUA_DATA_DIR": str(tmp_path / "data"),
           "THIDUA_WORKER": "off"}
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], cwd=app, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
