"""Start-up against a database that is not there yet, and the command's own switches.

`todo serve` and `todo migrate` wait for Postgres with a bounded back-off, log every attempt, and
give up with exit status 69 and the reason; a database that turns up in time is migrated and served.
"""

import re
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from entrypoints import cli
from entrypoints.server.process import uvicorn_options
from entrypoints.settings import Settings
from tests.e2e.servers import TODO, Serve, free_port, todo_env
from tests.faults.services import Forwarder, wait_for, with_port

pytestmark = pytest.mark.e2e

RETRY_LINE = re.compile(r"database not reachable, retrying in (\d+\.\d) s \(attempt (\d+)\)")


def retry_delays(output: str) -> list[float]:
    return [float(delay) for delay, _ in RETRY_LINE.findall(output)]


def test_serve_gives_up_on_a_closed_port_after_the_startup_timeout(
    serve: Serve, todo_vars: dict[str, str], tmp_path: Path
) -> None:
    todo_vars["TODO_DB_STARTUP_TIMEOUT"] = "3"
    closed = free_port()  # nothing listens there
    server = serve(f"postgresql://postgres@127.0.0.1:{closed}/todo", wait=False)
    began = time.monotonic()
    # The timeout counts from the first attempt, not from the launch: under a loaded machine the
    # command's imports alone have taken 8 s here.
    wait_for(lambda: bool(RETRY_LINE.search(server.output())), 30, "a first attempt")
    first_attempt = time.monotonic()
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`todo serve` still waiting 15 s after its first attempt:\n{server.output()}")
    took, waited = time.monotonic() - began, time.monotonic() - first_attempt
    output = server.output()

    assert server.process.returncode == cli.EXIT_DATABASE_UNREACHABLE, output
    delays = retry_delays(output)
    # Doubling from 0.5 s, the last wait cut to what is left of the 3 s.
    assert delays[:2] == [0.5, 1.0], output
    assert len(delays) >= 3, output
    assert all(0 < delay <= 2.0 for delay in delays), output
    assert "Connection refused" in output
    assert f"database not reachable after {len(delays) + 1} attempts in 3 s (TODO_DB_STARTUP_TIMEOUT)" in output
    assert "giving up" in output
    assert "Application startup complete" not in output
    assert took >= 3, f"gave up {took:.1f} s after the launch"
    assert waited < 10, f"gave up {waited:.1f} s after the first attempt"


def test_migrate_waits_as_well_and_says_why_it_gave_up(tmp_path: Path) -> None:
    env = todo_env(f"postgresql://postgres@127.0.0.1:{free_port()}/todo") | {"TODO_DB_STARTUP_TIMEOUT": "1"}
    done = subprocess.run(
        [str(TODO), "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False
    )

    assert done.returncode == cli.EXIT_DATABASE_UNREACHABLE, done.stderr
    assert retry_delays(done.stderr)[:1] == [0.5], done.stderr
    assert "TODO_DB_STARTUP_TIMEOUT" in done.stderr


@pytest.mark.postgres
def test_serve_waits_for_a_database_that_comes_up_later_then_migrates_and_serves(
    serve: Serve, todo_vars: dict[str, str], empty_postgres_database: str
) -> None:
    todo_vars["TODO_DB_STARTUP_TIMEOUT"] = "20"
    port = free_port()
    server = serve(with_port(empty_postgres_database, port), wait=False)
    deadline = time.monotonic() + 10
    while len(retry_delays(server.output())) < 3:  # 0.5 + 1 + 2 s of waiting, then open the port
        assert server.process.poll() is None, server.output()
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.1)
    forwarder = Forwarder(port)
    try:
        server.wait_until_up()
        user = f"user-{uuid.uuid4().hex[:8]}"
        created = httpx.post(f"{server.base_url}/api/{user}/tasks", json={"title": "late database"}, timeout=10)
        listed = httpx.get(f"{server.base_url}/api/{user}/tasks", timeout=10)
    finally:
        server.stop()
        forwarder.stop()

    output = server.output()
    assert 3 <= len(retry_delays(output)) <= 5, output
    assert "Running upgrade" in output
    assert created.status_code == 201
    assert [task["id"] for task in listed.json()] == [created.json()["id"]]
    assert forwarder.relayed >= 2  # the migration and the service's pool came through it
    with psycopg.connect(empty_postgres_database) as connection:
        assert connection.execute("SELECT title FROM tasks WHERE user_id = %s", (user,)).fetchall() == [
            ("late database",)
        ]


def test_the_access_log_flag_sets_the_access_log_and_uvicorns_own_log_stays_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: list[Settings] = []
    monkeypatch.setattr("entrypoints.cli.serve", lambda settings: served.append(settings) or 0)
    monkeypatch.setenv("DATABASE_URL", "memory://")
    monkeypatch.delenv("TODO_SHUTDOWN_TIMEOUT", raising=False)

    monkeypatch.setenv("TODO_ACCESS_LOG", "true")
    for argv in (["serve", "--no-access-log"], ["serve", "--access-log"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
    monkeypatch.setenv("TODO_ACCESS_LOG", "false")
    with pytest.raises(SystemExit):
        cli.main(["serve"])  # no flag: the environment decides

    assert [settings.access_log for settings in served] == [False, True, False]
    options = [uvicorn_options(settings) for settings in served]
    assert [option["access_log"] for option in options] == [False, False, False]
    assert [option["timeout_graceful_shutdown"] for option in options] == [10, 10, 10]


def test_a_served_request_is_not_logged_by_uvicorn(serve: Serve, tmp_path: Path) -> None:
    server = serve(f"sqlite:///{tmp_path / 'tasks.sqlite3'}")
    marker = f"/no-such-route-{uuid.uuid4().hex}"
    assert httpx.get(f"{server.base_url}{marker}", timeout=10).status_code == 404
    server.stop()

    # uvicorn's line is `127.0.0.1:PORT - "GET /path HTTP/1.1" 404`; the app's own log may name the path once.
    assert f'"GET {marker} HTTP/1.1"' not in server.output()
    assert server.output().count(marker) <= 1


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["migrate", "serve"])
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/no_such_database_here",
        "postgresql://no_such_role_here:s3cret@127.0.0.1:5432/postgres",
    ],
    ids=["no such database", "no such role"],
)
def test_a_database_that_refuses_ends_the_start_up_at_once_in_one_line(
    postgres_server: str, command: str, url: str, tmp_path: Path
) -> None:
    began = time.monotonic()
    finished = subprocess.run(
        [str(TODO), command, *(["--port", str(free_port())] if command == "serve" else [])],
        env=todo_env(url) | {"TODO_DB_STARTUP_TIMEOUT": "60"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 78, finished.stderr
    assert time.monotonic() - began < 30  # no waiting out TODO_DB_STARTUP_TIMEOUT
    lines = finished.stderr.splitlines()
    assert lines[-1].startswith("todo: the database refused the connection"), finished.stderr
    assert "does not exist" in lines[-1]
    assert not RETRY_LINE.search(finished.stderr)
    assert "Traceback" not in finished.stderr
    assert "s3cret" not in finished.stderr
