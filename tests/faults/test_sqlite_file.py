"""The SQLite file under the worst a machine does to it: killed processes, a full disk, a read-only
filesystem. The filesystems are tmpfs mounts of our own (root only; `.ci/run` runs as root)."""

import os
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import TODO, Serve, todo_env
from tests.tools import unavailable

pytestmark = pytest.mark.e2e


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A filesystem of `size` of our own at `where`."""
    if os.geteuid() != 0:
        unavailable(
            "these tests mount a tmpfs and need root",
            in_ci="these tests mount a tmpfs and need root (.ci/run runs as root)",
        )
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def migrate(url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TODO), "migrate"], env=todo_env(url), cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_read_only_file_or_folder_stops_start_up_with_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "4m") as disk:
        assert migrate(f"sqlite:///{disk / 'tasks.sqlite3'}", tmp_path).returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        for name in ("tasks.sqlite3", "new.sqlite3"):
            started = subprocess.run(
                [str(TODO), "serve", "--port", "1"],
                env=todo_env(f"sqlite:///{disk / name}"),
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert started.returncode == 73, started.stderr
            lines = [line for line in started.stderr.splitlines() if line.strip()]
            assert lines == [lines[0]]
            assert lines[0].startswith(f"todo: cannot use the SQLite file {disk / name}: ")
            assert "Read-only file system" in lines[0]
            assert "Traceback" not in started.stderr


def test_a_full_disk_refuses_writes_keeps_reads_and_recovers(serve: Serve, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "8m") as disk:
        database = disk / "tasks.sqlite3"
        server = serve(f"sqlite:///{database}")
        user = f"full-{uuid.uuid4().hex[:8]}"
        with httpx.Client(base_url=server.base_url) as client:
            kept = [client.post(f"/api/{user}/tasks", json={"title": f"before {n}"}).json() for n in range(5)]
            filler = disk / "filler"
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, check=False)

            refused = [
                client.post(f"/api/{user}/tasks", json={"title": "x" * 200, "description": "d" * 1000})
                for _ in range(40)
            ]
            assert {r.status_code for r in refused} == {507}
            assert refused[-1].headers["retry-after"] == "2"
            assert refused[-1].headers["content-type"] == "application/problem+json"
            assert "disk is full" in refused[-1].json()["detail"]
            listed = client.get(f"/api/{user}/tasks")
            assert listed.status_code == 200
            assert [t["id"] for t in listed.json()] == [t["id"] for t in kept]

            filler.unlink()
            after = client.post(f"/api/{user}/tasks", json={"title": "after"})
            assert after.status_code == 201
            assert [t["title"] for t in client.get(f"/api/{user}/tasks").json()][-1] == "after"
        server.stop()
        assert integrity(database) == "ok"
        assert "Traceback" not in server.output()


def test_every_answered_write_survives_kill_9_of_every_process(serve: Serve, tmp_path: Path) -> None:
    database = tmp_path / "tasks.sqlite3"
    url = f"sqlite:///{database}"
    server = serve(url, workers=2)
    answered: dict[str, dict[str, object]] = {}  # task id -> the last answer
    stop = threading.Event()
    lock = threading.Lock()

    def writer(number: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            user = f"killed-{number}"
            while not stop.is_set():
                try:
                    created = client.post(f"/api/{user}/tasks", json={"title": f"w{number} {time.monotonic()}"})
                    if created.status_code != 201:
                        continue
                    with lock:
                        answered[created.json()["id"]] = created.json() | {"version": 1}
                    toggled = client.patch(f"/api/{user}/tasks/{created.json()['id']}/complete")
                    if toggled.status_code == 200:
                        with lock:
                            answered[created.json()["id"]] = toggled.json() | {"version": 2}
                except httpx.TransportError:
                    return  # the server is gone

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(answered) > 50, "the writers did not get going"

    assert integrity(database) == "ok"
    again = serve(url)
    with httpx.Client(base_url=again.base_url) as client:
        for task_id, answer in answered.items():
            stored = client.get(f"/api/{answer['user_id']}/tasks/{task_id}")
            assert stored.status_code == 200, task_id
            assert stored.json()["title"] == answer["title"]
            assert int(stored.headers["etag"].strip('"')) >= int(answer["version"])  # type: ignore[call-overload]
            if answer["version"] == 2:
                assert stored.json()["completed"] is True
