"""deploy/nginx/thidua.conf run for real: nginx (Debian's, `make system-deps`) on 127.0.0.1
with a self-signed certificate, in front of two `thidua serve` processes sharing one
PostgreSQL (the embedded store on it). Through https: PouchDB 9 push and pull, a 60 s
longpoll `_changes` (thidua's longest) that nginx's default 60 s read timeout would cut,
X-Forwarded-* believed only from nginx (`THIDUA_TRUSTED_PROXIES`), and one server SIGKILLed
while the other keeps serving with no 5xx to a device. Only ports, certificate paths and the
upstream addresses of the file are rewritten (`render`); everything else is the file."""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.replication.node import pouch_process, run_pouch
from tests.replication.servers import ADMIN_PASSWORD, ADMIN_USER, ROOT, Server, _cli, free_port

CONF = ROOT / "deploy" / "nginx" / "thidua.conf"
AUTH = (ADMIN_USER, ADMIN_PASSWORD)
LONGPOLL_MS = 60_000


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), "")
    if not found:
        reason = "nginx is not installed (`make system-deps` as root: nginx-light)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI needs nginx: {reason}", pytrace=False)
        pytest.skip(reason)
    return found


def _once(conf: str, old: str, new: str) -> str:
    assert conf.count(old) == 1, f"deploy/nginx/thidua.conf no longer has {old!r} once"
    return conf.replace(old, new)


def render(conf: str, upstreams: list[int], http_port: int, https_port: int,
           cert: Path, key: Path) -> str:
    """The file with loopback ports, the test certificate and the two servers."""
    line = re.search(r"^\s*server thidua:8000 (.*);$", conf, re.MULTILINE)
    assert line is not None, "the upstream server line changed"
    servers = "\n".join(f"    server 127.0.0.1:{p} {line.group(1)};" for p in upstreams)
    conf = _once(conf, line.group(0), servers)
    conf = _once(conf, "listen 80;", f"listen 127.0.0.1:{http_port};")
    conf = _once(conf, "listen 443 ", f"listen 127.0.0.1:{https_port} ")
    conf = _once(conf, "/etc/nginx/tls/fullchain.pem", str(cert))
    return _once(conf, "/etc/nginx/tls/privkey.pem", str(key))


def _main_conf(folder: Path, site: Path) -> str:
    temp = " ".join(f"{kind}_temp_path {folder / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off; master_process off; pid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 512; }}\n"
            f"http {{ access_log {folder / 'access.log'}; {temp}\n  include {site}; }}\n")


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class Stack:
    """nginx in front of two thidua servers; `url` is nginx's https root."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.cert, key = _certificate(folder)
        self.database_url = database_url
        env = {**os.environ, "PYTHONPATH": str(ROOT), "THIDUA_DATABASE_URL": database_url,
               "THIDUA_SECRET_KEY": uuid.uuid4().hex * 2, "THIDUA_TRUSTED_PROXIES": "127.0.0.1",
               "THIDUA_WORKER": "off", "THIDUA_LOG_LEVEL": "WARNING"}
        self.servers = [self._server(folder / f"thidua{n}", env) for n in range(2)]
        added = _cli(["user", "add", ADMIN_USER, "--role", "admin", "--password-stdin"],
                     {**env, "THIDUA_DATA_DIR": str(folder / "thidua0")}, ADMIN_PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        self.http_port, self.https_port = free_port(), free_port()
        site = folder / "thidua.conf"
        site.write_text(render(CONF.read_text(), [s.port for s in self.servers], self.http_port,
                               self.https_port, self.cert, key))
        (folder / "nginx.conf").write_text(_main_conf(folder, site))
        self.nginx = [_nginx(), "-p", str(folder), "-c", str(folder / "nginx.conf"),
                      "-e", str(folder / "error.log")]
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def _server(data: Path, env: dict[str, str]) -> Server:
        data.mkdir()
        port = free_port()
        code = "import sys; from server.cli import main; sys.argv[0] = 'thidua'; main()"
        command = [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port)]
        return Server(f"thidua-{port}", command, data, {**env, "THIDUA_DATA_DIR": str(data)},
                      port, "/db/", auth=AUTH)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def start(self) -> None:
        checked = subprocess.run([*self.nginx, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr  # the file is valid for this nginx
        for server in self.servers:
            server.start(wait=120)
        self.proc = subprocess.Popen(self.nginx, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 90  # a busy machine starts slowly
        while True:
            try:
                if self.client().get("/db/").status_code == 200:
                    return
            except httpx.TransportError:
                assert time.monotonic() < deadline and self.proc.poll() is None, \
                    (self.folder / "error.log").read_text()[-2000:]
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        for server in self.servers:
            server.stop()

    def client(self, source: str = "127.0.0.1", base: str = "", **kw: Any) -> httpx.Client:
        """A client to nginx (or `base`) from the loopback address `source`."""
        verify = ssl.create_default_context(cafile=str(self.cert))
        transport = httpx.HTTPTransport(local_address=source, verify=verify)
        return httpx.Client(base_url=base or self.url, transport=transport, timeout=90, **kw)

    def device(self) -> Server:
        """What PouchDB is given: nginx's https URL."""
        return Server("nginx", [], self.folder, {}, self.https_port, "/db/", auth=AUTH,
                      url=f"{self.url}/db/")


@pytest.fixture
def stack(tmp_path: Path, fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[Stack]:
    _nginx()
    running = Stack(tmp_path, fresh_postgres_url)
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(running.cert))  # PouchDB trusts the cert
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _push(device: Server, db: str, count: int, prefix: str) -> list[dict[str, Any]]:
    """Push `count` docs with retry; every 5xx the device saw."""
    steps = [{"op": "generate", "db": "a", "count": count, "size": 100, "id_prefix": prefix},
             {"op": "replicate", "from": "a", "to": f"remote:{db}",
              "opts": {"retry": True, "batch_size": 50}, "progress": True}]
    with pouch_process(device, steps) as (events, finish):
        errors = [e for e in events if e["event"] == "http"]
        results = finish(180)
    assert results[1].get("status") == "complete", results[1]
    return errors


def _pull(device: Server, db: str) -> set[str]:
    r = run_pouch(device, [{"op": "replicate", "from": f"remote:{db}", "to": "b"},
                           {"op": "all_docs", "db": "b"}], timeout=180)
    assert r[0].get("ok"), r[0]
    return {row["id"] for row in r[1]["rows"]}


def _sign_in(http: httpx.Client, prefix: str, **headers: str) -> str:
    answer = http.post(f"{prefix}/_session", json={"name": ADMIN_USER, "password": ADMIN_PASSWORD},
                       headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.headers["set-cookie"]


def _sign_in_clients(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {r[0] for r in conn.execute(text(
                "SELECT client FROM audit_log WHERE action = 'sign_in'"))}
    finally:
        engine.dispose()


def test_nginx_in_front_of_two_servers(stack: Stack) -> None:
    with stack.client(auth=AUTH) as http:
        idle, data = f"t{uuid.uuid4().hex[:10]}", f"t{uuid.uuid4().hex[:10]}"
        assert http.put(f"/db/{idle}").status_code == 201
        # plain http is sent to https
        with stack.client(base=f"http://127.0.0.1:{stack.http_port}") as plain:
            moved = plain.get("/db/")
        assert moved.status_code == 301 and moved.headers["location"].startswith("https://")

    polled: dict[str, Any] = {}

    def longpoll() -> None:
        started = time.monotonic()
        try:
            with stack.client(auth=AUTH) as poller:
                answer = poller.get(f"/db/{idle}/_changes", params={
                    "feed": "longpoll", "since": "now", "timeout": LONGPOLL_MS})
        except httpx.HTTPError as exc:  # e.g. the proxy cut the connection
            polled.update(error=repr(exc), took=time.monotonic() - started)
            return
        polled.update(status=answer.status_code, body=answer.text,
                      took=time.monotonic() - started)

    waiting = threading.Thread(target=longpoll, daemon=True)
    waiting.start()

    device = stack.device()
    assert _push(device, data, 300, "a") == []
    assert len(_pull(device, data)) == 300

    # X-Forwarded-*: believed from nginx (127.0.0.1, trusted), ignored from anyone else.
    # Through nginx from 127.0.0.3 with forged headers: nginx's own win (https, real peer).
    with stack.client(source="127.0.0.3") as http:
        cookie = _sign_in(http, "/db", **{"X-Forwarded-For": "203.0.113.9",
                                          "X-Forwarded-Proto": "http"})
    assert "Secure" in cookie
    direct = f"http://127.0.0.1:{stack.servers[0].port}"
    with stack.client(source="127.0.0.2", base=direct) as http:  # straight to a server
        cookie = _sign_in(http, "/db", **{"X-Forwarded-For": "203.0.113.7",
                                          "X-Forwarded-Proto": "https"})
    assert "Secure" not in cookie
    deadline = time.monotonic() + 60  # the audit is flushed in the background
    while not {"127.0.0.2", "127.0.0.3"} <= (clients := _sign_in_clients(stack.database_url)):
        assert time.monotonic() < deadline, clients
        time.sleep(0.2)
    assert not any(c and c.startswith("203.0.113.") for c in clients), clients

    waiting.join(LONGPOLL_MS / 1000 + 30)
    assert polled.get("status") == 200, polled  # not nginx's 504 at its default 60 s
    assert polled["took"] >= LONGPOLL_MS / 1000 - 1 and '"results":[]' in polled["body"]

    stack.servers[0].kill()  # one server dies; nginx sends everything to the other
    assert _push(device, data, 100, "b") == [], "a device saw a 5xx after a server died"
    assert len(_pull(device, data)) == 400
    with stack.client(auth=AUTH) as http:
        assert {http.get(f"/db/{data}").status_code for _ in range(20)} == {200}
