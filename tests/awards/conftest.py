"""Award fixtures: a seeded SQLite results database, copied fresh for each test."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, create_engine

from scoring import CriteriaSet
from scoring.demo import DemoProvince
from server.app import create_app
from server.demo import prepare_demo
from server.settings import Settings
from tests.awards.world import seed_results

Client = AsyncTestClient[Litestar]


def sqlite_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False,
                                                             "timeout": 30})


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoProvince, CriteriaSet]:
    path = tmp_path_factory.mktemp("awards") / "seed.sqlite3"
    engine = sqlite_engine(path)
    demo, cset = seed_results(engine, communes=8)
    engine.dispose()
    return path, demo, cset


@pytest.fixture
def world(seeded: tuple[Path, DemoProvince, CriteriaSet],
          tmp_path: Path) -> Iterator[tuple[Engine, DemoProvince, CriteriaSet]]:
    path, demo, cset = seeded
    shutil.copy(path, tmp_path / "db.sqlite3")
    engine = sqlite_engine(tmp_path / "db.sqlite3")
    yield engine, demo, cset
    engine.dispose()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    await prepare_demo(settings)
    engine = create_engine(settings.store_url)
    seed_results(engine, communes=6)
    engine.dispose()
    async with AsyncTestClient(create_app(settings)) as c:
        c.headers["Origin"] = str(c.base_url).rstrip("/")
        yield c


def decision_form(**changes: str) -> dict[str, str]:
    """The form of `/branch/quyet-dinh`: a draft Giấy khen for GK-XA, with ``changes``."""
    return {"award": "GK-XA", "kind": "giay_khen", "number": "", "symbol": "QĐ-NHCS",
            "signed_on": "2026-12-05",
            "issuer_line": "GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI TỈNH AN GIANG",
            "achievement": "Đã có thành tích xuất sắc trong phong trào thi đua năm 2026",
            "signer_title": "GIÁM ĐỐC", "signer_name": "Lê Văn Bình", **changes}


async def sign_in(client: Client, name: str, password: str) -> int:
    r = await client.post("/branch/dang-nhap", data={"name": name, "password": password},
                          follow_redirects=False)
    return r.status_code


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """What `make demo` serves: the demo seeded and every sheet scored by the worker."""
    from tests.consolidated.world import make_world

    return make_world(tmp_path_factory.mktemp("demo-world") / "data")


@pytest.fixture
async def demo_client(demo_world: Settings, tmp_path: Path) -> AsyncIterator[Client]:
    """The real app (worker included) on a copy of the demo world."""
    from tests.consolidated.world import copy_world

    async with AsyncTestClient(create_app(copy_world(demo_world, tmp_path / "data"))) as c:
        c.headers["Origin"] = str(c.base_url).rstrip("/")
        yield c


async def build_report(client: Client, form: dict[str, str], *, timeout: float = 300) -> tuple[int, bytes]:
    """Start the council report's PDF build from the page, follow its progress to the end,
    and download the stored PDF: (job id, PDF bytes)."""
    import anyio

    started = await client.post("/branch/bao-cao/dung", data=form, follow_redirects=False)
    assert started.status_code == 302, started.text[-400:]
    job = int(started.headers["location"].split("job=")[1].split("&")[0])
    with anyio.fail_after(timeout):
        while True:
            status = (await client.get(f"/branch/bao-cao/trang-thai/{job}")).json()
            assert status["status"] in ("queued", "running", "done"), status
            assert 0 <= status["progress"] <= 100 and status["step"], status
            if status["status"] == "done":
                break
            await anyio.sleep(0.3)
    pdf = await client.get(status["url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    return job, pdf.content
