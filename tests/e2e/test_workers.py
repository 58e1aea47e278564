"""`todo serve --workers 2`: both workers take connections, a dead one is replaced, the port is not shared."""

import os
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.servers import TODO, Serve, Server, todo_env

pytestmark = pytest.mark.e2e


def _port(server: Server) -> int:
    return int(urlsplit(server.base_url).port or 0)


def _workers(server: Server) -> list[int]:
    """The pids of the server's uvicorn workers (its children that hold a listening socket)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == server.process.pid and b"spawn_main" in cmdline:
            children.append(int(stat.parent.name))
    return sorted(children)


def _sockets(port: int, state: str) -> set[str]:
    """The inodes of the TCP sockets on local `port` in `state` (01: established, 0A: listening)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rpartition(":")[2], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _wait_until_listening(port: int, sockets: int) -> None:
    """A worker logs its start-up just before it listens: wait for every worker's socket."""
    deadline = time.monotonic() + 10
    while len(_sockets(port, "0A")) < sockets and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_sockets(port, "0A")) == sockets


def _established_by_process(port: int) -> Counter[int]:
    """How many established connections on `port` each process holds open."""
    inodes = _sockets(port, "01")
    holders: Counter[int] = Counter()
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            holders[int(fd.parent.parent.name)] += 1
    return holders


def _open_connections(server: Server, count: int) -> list[socket.socket]:
    """`count` keep-alive connections opened at once, each having had one request answered."""
    connections = [socket.create_connection(("127.0.0.1", _port(server))) for _ in range(count)]
    for connection in connections:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
    for connection in connections:
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")
    return connections


def test_connections_opened_together_are_spread_across_both_workers(serve: Serve) -> None:
    server = serve("memory://", workers=2)
    workers = _workers(server)
    assert len(workers) == 2
    _wait_until_listening(_port(server), 2)

    for _ in range(3):  # with one shared socket, all 32 sometimes landed on one worker
        connections = _open_connections(server, 32)
        held = _established_by_process(_port(server))
        for connection in connections:
            connection.close()
        assert sorted(held) == workers
        assert min(held[pid] for pid in workers) >= 4, held  # an even split is 16 each; 4 is far out in the tail


def test_a_worker_that_dies_is_replaced_and_the_server_keeps_answering(serve: Serve) -> None:
    server = serve("memory://", workers=2)
    first, second = _workers(server)

    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 20
    workers = [first, second]
    while time.monotonic() < deadline and (first in workers or len(workers) < 2):
        time.sleep(0.1)
        workers = _workers(server)
    assert second in workers
    assert first not in workers
    assert len(workers) == 2

    while time.monotonic() < deadline and server.output().count("Application startup complete.") < 3:
        time.sleep(0.1)
    answers = [httpx.get(f"{server.base_url}/health", timeout=5).status_code for _ in range(20)]
    assert answers == [200] * 20
    assert server.stop() == 0


def test_a_second_server_on_a_taken_port_is_refused(serve: Serve, tmp_path: Path) -> None:
    first = serve("memory://", workers=2)

    second = subprocess.run(
        [str(TODO), "serve", "--port", str(_port(first)), "--workers", "2"],
        check=False,
        env=todo_env("memory://"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert second.returncode != 0
    assert "Cannot listen on 127.0.0.1 port" in second.stderr
    assert httpx.get(f"{first.base_url}/health").status_code == 200
