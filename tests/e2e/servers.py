"""Runs the real `todo` command as child processes, the way an operator or an orchestrator would.

Each server writes its output to a log file (never a pipe that could fill up), which a failing
test shows. Stopping is a SIGTERM, then SIGKILL to the process group if it hangs. A pytest plugin
(tests/conftest.py names it): its fixtures serve every folder that starts servers.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.databases import create_database, drop_database

TODO = Path(sys.executable).parent / "todo"


START_TIMEOUT = 20.0


STOP_TIMEOUT = 10.0


def todo_env(database_url: str | None) -> dict[str, str]:
    """This process's environment with only the given DATABASE_URL (none: the embedded default)."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL" and not key.startswith("TODO_")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    workers: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_up(self) -> "Server":
        """Until every worker has started and /health answers; fails with the server's output."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"`todo serve` exited with {self.process.returncode}:\n{self.output()}")
            if self.output().count("Application startup complete.") >= self.workers and self._healthy():
                return self
            time.sleep(0.1)
        pytest.fail(f"`todo serve` did not come up within {START_TIMEOUT} s:\n{self.output()}")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> int:
        """SIGTERM, as an orchestrator sends it; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the server and its workers
                self.process.wait()
        return self.process.returncode


Serve = Callable[..., Server]


@contextmanager
def servers(log_dir: Path) -> Iterator[Serve]:
    """A `serve(database_url, workers=1, cwd=None, wait=True, env=None)` function (`env`: TODO_*
    settings for it); stops what it started on exit."""
    started: list[Server] = []

    def serve(
        database_url: str | None,
        workers: int = 1,
        cwd: Path | None = None,
        wait: bool = True,
        env: dict[str, str] | None = None,
    ) -> Server:
        port = free_port()
        log = log_dir / f"todo-serve-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(TODO), "serve", "--port", str(port), "--workers", str(workers)],
                env=todo_env(database_url) | (env or {}),
                cwd=cwd or log_dir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(process, f"http://127.0.0.1:{port}", workers, log)
        started.append(server)
        return server.wait_until_up() if wait else server

    try:
        yield serve
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    with servers(tmp_path) as serve:
        yield serve


@pytest.fixture(scope="module")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database for this module: `todo serve` itself must migrate it."""
    url = create_database(postgres_server, migrate=False)
    yield url
    drop_database(postgres_server, url)


@pytest.fixture
def empty_postgres_database(postgres_server: str) -> Iterator[str]:
    url = create_database(postgres_server, migrate=False)
    yield url
    drop_database(postgres_server, url)
