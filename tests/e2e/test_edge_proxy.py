"""The example nginx in front of the real `todo serve`: deploy/nginx.conf, as shipped, on free ports."""

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import Serve, free_port
from tests.e2e.sse import event_stream
from tests.tools import unavailable

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def proxy(serve: Serve, tmp_path: Path) -> Iterator[str]:
    if not os.path.exists(NGINX):
        unavailable(
            "nginx is not installed: apt-get install nginx-light",
            in_ci="nginx is not installed (.ci/run installs nginx-light)",
        )
    server = serve("memory://")
    port = free_port()
    text = CONFIG.read_text()
    text = text.replace("127.0.0.1:8000", server.base_url.removeprefix("http://")).replace(
        "listen 8080", f"listen 127.0.0.1:{port}"
    )
    text = text.replace("client_header_timeout 10s", "client_header_timeout 1s")
    text = text.replace("worker_processes auto", "worker_processes 1")
    (tmp_path / "tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(text)
    log = (tmp_path / "nginx.log").open("wb")
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.terminate()
        pytest.fail(f"nginx did not come up: {(tmp_path / 'nginx.log').read_text()}")
    yield base
    process.terminate()
    process.wait(10)


def test_requests_pass_through_with_their_headers(proxy: str) -> None:
    created = httpx.post(f"{proxy}/api/alice/tasks", json={"title": "via nginx"})
    assert created.status_code == 201
    assert created.headers["location"].startswith("/api/alice/tasks/")
    assert httpx.get(f"{proxy}{created.headers['location']}").json()["title"] == "via nginx"


def test_nginx_refuses_a_large_body_as_a_problem(proxy: str) -> None:
    response = httpx.post(
        f"{proxy}/api/alice/tasks", content=b"x" * 100_000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_nginx_refuses_large_headers_as_a_problem(proxy: str) -> None:
    response = httpx.get(f"{proxy}/health", headers={"x-big": "a" * 20_000})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_nginx_closes_a_slow_header_sender(proxy: str) -> None:
    host, port = proxy.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(5)
        started = time.monotonic()
        try:
            while sock.recv(1000):
                pass
        except ConnectionResetError:
            pass
        assert time.monotonic() - started < 3


@pytest.mark.anyio
async def test_an_event_stream_passes_through_as_each_event_commits(proxy: str) -> None:
    user = f"proxied-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=proxy) as client, event_stream(client, f"/api/{user}/events") as stream:
        assert stream.response.status_code == 200
        for n in range(3):
            sent = time.monotonic()
            created = await client.post(f"/api/{user}/tasks", json={"title": f"t{n}"})
            events = await stream.wait_for_events(n + 1, timeout=1.0)
            assert time.monotonic() - sent < 1.0  # not held in nginx's buffer
            assert events[n].cloud_event["data"] == created.json()
