"""The real `todo` processes over real HTTP: restarts, concurrent writers, concurrent migrations."""

import asyncio
import sqlite3
import subprocess
import uuid
from collections import Counter
from contextlib import closing
from pathlib import Path

import httpx
import psycopg
import pytest
from alembic.script import ScriptDirectory

from adapters.sql.migrate import alembic_config
from tests.e2e.servers import TODO, Serve, Server, todo_env

pytestmark = pytest.mark.e2e

SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
HEAD = SCRIPTS.get_current_head()
REVISIONS = len(list(SCRIPTS.walk_revisions()))


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def by_id(tasks: list[dict[str, object]]) -> list[dict[str, object]]:
    return sorted(tasks, key=lambda task: str(task["id"]))


def test_tasks_survive_a_restart_and_stay_with_their_owner(serve: Serve, store_url: str) -> None:
    alice, bob = new_user(), new_user()
    bodies: dict[str, list[dict[str, object]]] = {
        alice: [{"title": "buy milk"}, {"title": "file taxes", "description": "before May", "completed": True}],
        bob: [{"title": "call mum", "description": "Sun"}, {"title": "fix bike"}, {"title": "nap", "completed": True}],
    }
    server = serve(store_url)
    with httpx.Client(base_url=server.base_url) as client:
        created = {user: [client.post(f"/api/{user}/tasks", json=b).json() for b in bodies[user]] for user in bodies}
        completed = client.patch(f"/api/{bob}/tasks/{created[bob][1]['id']}/complete", json={"completed": True})
        created[bob][1] = completed.json()
    server.stop()
    assert "Application shutdown complete." in server.output()  # a graceful stop, not a kill

    server = serve(store_url)
    with httpx.Client(base_url=server.base_url) as client:
        for user, tasks in created.items():
            assert by_id(client.get(f"/api/{user}/tasks").json()) == by_id(tasks)
            for task in tasks:
                assert client.get(f"/api/{user}/tasks/{task['id']}").json() == task
        assert client.get(f"/api/{bob}/tasks/{created[alice][0]['id']}").status_code == 404


@pytest.mark.anyio
async def test_concurrent_toggles_across_two_workers_are_all_applied(two_worker_server: Server) -> None:
    user = new_user()
    async with httpx.AsyncClient(base_url=two_worker_server.base_url, timeout=30) as client:
        task = (await client.post(f"/api/{user}/tasks", json={"title": "race"})).json()
        path = f"/api/{user}/tasks/{task['id']}"
        responses = await asyncio.gather(*(client.patch(f"{path}/complete") for _ in range(41)))
        final = (await client.get(path)).json()

    assert [response.status_code for response in responses] == [200] * 41
    # Atomic toggles serialise: each sees a different state, so the answers alternate 21 to 20.
    assert Counter(response.json()["completed"] for response in responses) == {True: 21, False: 20}
    assert final["completed"] is True


@pytest.mark.anyio
async def test_concurrent_creates_across_two_workers_all_land(two_worker_server: Server) -> None:
    user = new_user()
    async with httpx.AsyncClient(base_url=two_worker_server.base_url, timeout=30) as client:
        responses = await asyncio.gather(
            *(client.post(f"/api/{user}/tasks", json={"title": f"task {n}"}) for n in range(64))
        )
        listed = (await client.get(f"/api/{user}/tasks")).json()

    assert [response.status_code for response in responses] == [201] * 64
    ids = {response.json()["id"] for response in responses}
    assert len(ids) == 64
    assert sorted(task["id"] for task in listed) == sorted(ids)
    assert {task["title"] for task in listed} == {f"task {n}" for n in range(64)}


def alembic_versions(rows: list[tuple[str]]) -> list[str]:
    return [version for (version,) in rows]


@pytest.mark.postgres
def test_servers_started_together_migrate_a_fresh_postgres_database_once(
    empty_postgres_database: str, serve: Serve
) -> None:
    servers = [serve(empty_postgres_database, wait=False) for _ in range(3)]
    for server in servers:
        server.wait_until_up()

    assert "".join(server.output() for server in servers).count("Running upgrade ") == REVISIONS
    with psycopg.connect(empty_postgres_database) as connection:
        assert alembic_versions(connection.execute("SELECT version_num FROM alembic_version").fetchall()) == [HEAD]
    user = new_user()
    task = httpx.post(f"{servers[0].base_url}/api/{user}/tasks", json={"title": "once"}).json()
    for server in servers:
        assert httpx.get(f"{server.base_url}/api/{user}/tasks").json() == [task]


def test_migrate_commands_run_together_migrate_sqlite_once(tmp_path: Path) -> None:
    database = tmp_path / "tasks.sqlite3"
    commands = [
        subprocess.Popen(
            [str(TODO), "migrate"],
            env=todo_env(f"sqlite:///{database}"),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = [command.communicate(timeout=30)[0].decode() for command in commands]

    assert [command.returncode for command in commands] == [0, 0, 0], outputs
    assert "".join(outputs).count("Running upgrade ") == REVISIONS
    with closing(sqlite3.connect(database)) as connection:
        assert alembic_versions(connection.execute("SELECT version_num FROM alembic_version").fetchall()) == [HEAD]
        assert connection.execute("SELECT count(*) FROM tasks").fetchone() == (0,)


def test_serve_without_database_url_keeps_tasks_in_todo_sqlite3_in_the_working_directory(
    serve: Serve, tmp_path: Path
) -> None:
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    server = serve(None, cwd=workdir)
    user = new_user()

    response = httpx.post(f"{server.base_url}/api/{user}/tasks", json={"title": "embedded"})

    assert response.status_code == 201
    with closing(sqlite3.connect(workdir / "todo.sqlite3")) as connection:
        assert connection.execute("SELECT title FROM tasks WHERE user_id = ?", (user,)).fetchall() == [("embedded",)]
