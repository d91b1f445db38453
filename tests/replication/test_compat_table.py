"""The CouchDB compatibility table in README.md, checked against the app's `/db` routes."""

from __future__ import annotations

import re
import time

import pytest
from litestar import Litestar
from litestar.exceptions import MethodNotAllowedException, NotFoundException

from server.app import create_app
from server.settings import Settings

from .servers import ROOT, Server

SAMPLES = {"db": "tcompat", "docid": "doc", "attname": "att.txt", "id": "ck", "ddoc": "app",
           "name": "v"}


def _table() -> list[tuple[list[str], str, str]]:
    text = (ROOT / "README.md").read_text()
    body = text.split("<!-- couchdb-compat:start -->")[1].split("<!-- couchdb-compat:end -->")[0]
    rows = []
    for line in body.strip().splitlines()[2:]:
        endpoint, supported = (cell.strip() for cell in line.strip("|").split("|")[:2])
        *methods, path = endpoint.strip("`").split(" ")
        rows.append((methods, path, supported))
    return rows


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], path)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    data = tmp_path_factory.mktemp("compat")
    return create_app(Settings(data_dir=data, secret_key="compat-secret-0123456789abcdef"))


def test_table_is_well_formed() -> None:
    rows = _table()
    assert len(rows) > 20
    assert all(methods and path.startswith("/") and supported in ("yes", "no")
               for methods, path, supported in rows), rows


def test_every_route_is_in_the_table(app: Litestar) -> None:
    listed = {(m, re.sub(r"\{\w+\}", "{}", p.split("?")[0])) for ms, p, s in _table()
              if s == "yes" for m in ms}
    for route in app.routes:
        if not route.path.startswith("/db"):
            continue
        template = re.sub(r"\{[^}]+\}", "{}", route.path.removeprefix("/db")) or "/"
        for method in route.methods - {"OPTIONS"}:
            if template == "/{}/{}" and method == "POST":
                continue  # the 405 / design-view catch-all (sync/http/design.py)
            assert (method, template) in listed or (
                method, template.replace("{}/{}", "{}/{}/{}")) in listed, (method, route.path)


def test_supported_rows_have_a_route(app: Litestar) -> None:
    for methods, path, supported in _table():
        if supported != "yes":
            continue
        for method in methods:
            try:
                _, handler, *_ = app.asgi_router.handle_routing(
                    path="/db" + _concrete(path).rstrip("/"), method=method)
            except (NotFoundException, MethodNotAllowedException):
                pytest.fail(f"no route for {method} {path}")
            assert handler.handler_name != "post_under_db", (method, path)


def test_unsupported_rows_answer_a_couchdb_error(ours: Server) -> None:
    with ours.client() as http:
        assert http.put(SAMPLES["db"]).status_code in (201, 412)
        http.put(f"{SAMPLES['db']}/_design/app", json={"views": {"v": {"map": "function(){}"}},
                                                       "filters": {"v": "function(){}"}})
        for methods, path, supported in _table():
            if supported != "no":
                continue
            for method in methods:
                url = _concrete(path).lstrip("/").replace("filter=app/name", "filter=app/v")
                answer = http.request(method, url, json={} if method in ("POST", "PUT") else None)
                assert answer.status_code in (400, 404, 405, 501), (method, path, answer.text)
                assert set(answer.json()) >= {"error", "reason"}, (method, path)


def test_design_functions_that_exist_are_501(ours: Server) -> None:
    with ours.client() as http:
        db = "tcompat501"
        http.put(db)
        http.put(f"{db}/_design/app", json={"views": {"v": {"map": "function(){}"}},
                                            "filters": {"f": "function(){}"}})
        for answer in (http.get(f"{db}/_changes", params={"filter": "app/f"}),
                       http.get(f"{db}/_design/app/_view/v"),
                       http.post(f"{db}/_design/app/_view/v", json={"keys": ["a"]}),
                       http.get(f"{db}/_changes", params={"filter": "_view", "view": "app/v"})):
            assert answer.status_code == 501 and answer.json()["error"] == "not_implemented"
            assert "_selector" in answer.json()["reason"] or "_all_docs" in answer.json()[
                "reason"]
    time.sleep(0.2)
    assert "NotImplementedHere" not in ours.log_tail(50_000)  # an answer, not a failure

