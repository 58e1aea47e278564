"""Postgres as hosts hand it out: `sslmode=require`, and a PgBouncer in transaction mode in between.

The real `todo serve` runs every endpoint through the pooler, each statement more than five times
(psycopg prepares a statement on a connection after five executions), with requests in parallel so
that the pooler moves them between its two server connections; and it migrates through the pooler.
"""

import asyncio
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.servers import Serve
from tests.e2e.test_server import HEAD, REVISIONS
from tests.faults.services import pgbouncer, pgbouncer_version, with_port

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.anyio]

ROUNDS = 8  # > 5: every statement is executed often enough on a connection to be prepared
USERS = 4
PREPARED_STATEMENTS_IN_POOLER = (1, 21)  # PgBouncer's max_prepared_statements


async def exercise(base_url: str) -> None:
    """Every endpoint, ROUNDS times for each of USERS users at once; checks each answer and the end state."""

    async def one_user(client: httpx.AsyncClient) -> None:
        user = f"pooled-{uuid.uuid4().hex[:8]}"
        tasks = f"/api/{user}/tasks"
        kept: list[dict[str, object]] = []
        for n in range(ROUNDS):
            created = await client.post(tasks, json={"title": f"task {n}", "description": "via the pooler"})
            assert created.status_code == 201, created.text
            task = created.json()
            path = f"{tasks}/{task['id']}"
            assert (await client.get(path)).json() == task
            toggled = await client.patch(f"{path}/complete")
            assert toggled.status_code == 200, toggled.text
            assert toggled.json()["completed"] is True, toggled.text
            replaced = await client.put(path, json={"title": f"task {n}, replaced", "completed": False})
            assert replaced.status_code == 200, replaced.text
            assert replaced.json()["title"] == f"task {n}, replaced", replaced.text
            listed = await client.get(tasks)
            assert listed.status_code == 200, listed.text
            assert [t["id"] for t in listed.json()] == [t["id"] for t in kept] + [task["id"]]
            if n % 2:  # every other task goes again
                assert (await client.delete(path)).status_code == 204
                assert (await client.get(path)).status_code == 404
            else:
                kept.append(replaced.json())
        assert (await client.get(tasks)).json() == kept

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await asyncio.gather(*(one_user(client) for _ in range(USERS)))


def alembic_head(url: str) -> list[str]:
    with psycopg.connect(url) as connection:
        return [version for (version,) in connection.execute("SELECT version_num FROM alembic_version").fetchall()]


@pytest.mark.parametrize(
    ("prepared", "max_prepared_statements"),
    [pytest.param(True, 100, id="prepared-statements"), pytest.param(False, 0, id="no-prepared-statements")],
)
async def test_the_service_migrates_and_serves_through_pgbouncer_in_transaction_mode(
    serve: Serve,
    todo_vars: dict[str, str],
    empty_postgres_database: str,
    tmp_path: Path,
    prepared: bool,
    max_prepared_statements: int,
) -> None:
    version = pgbouncer_version()
    if version < PREPARED_STATEMENTS_IN_POOLER:
        if prepared:
            pytest.skip(
                f"PgBouncer {'.'.join(map(str, version)) or '(none)'} cannot carry prepared statements in "
                "transaction mode (max_prepared_statements needs 1.21+); the service needs "
                "TODO_DB_PREPARED_STATEMENTS=false behind it, tested by the other case"
            )
        max_prepared_statements = None  # type: ignore[assignment]  # older: no such key, and no support
    todo_vars["TODO_DB_PREPARED_STATEMENTS"] = "true" if prepared else "false"
    todo_vars["TODO_DB_POOL_SIZE"] = "4"  # more client connections than the pooler's 2 server connections

    with pgbouncer(tmp_path, max_prepared_statements=max_prepared_statements) as bouncer:
        url = with_port(empty_postgres_database, bouncer.port)
        # Two servers migrate the fresh database at once, through the pooler: the advisory
        # transaction lock still lets only one of them run the revisions.
        servers = [serve(url, wait=False) for _ in range(2)]
        for server in servers:
            server.wait_until_up()
        await asyncio.gather(*(exercise(server.base_url) for server in servers))
        output = "".join(server.output() for server in servers)
        log = bouncer.output()

    assert output.count("Running upgrade ") == REVISIONS
    assert alembic_head(empty_postgres_database) == [HEAD]
    assert "login attempt" in log  # the traffic did go through our PgBouncer
    assert "ERROR" not in output
    assert "Traceback" not in output


async def test_sslmode_require_works_against_the_local_server(serve: Serve, empty_postgres_database: str) -> None:
    with psycopg.connect(empty_postgres_database) as connection:
        ssl = connection.execute("SHOW ssl").fetchone()
    if ssl != ("on",):
        pytest.skip("the local PostgreSQL has ssl = off (not changed here); see the PgBouncer TLS test")
    server = serve(f"{empty_postgres_database}?sslmode=require")
    await exercise(server.base_url)

    with psycopg.connect(empty_postgres_database) as connection:
        encrypted = connection.execute(
            "SELECT count(*) FILTER (WHERE ssl), count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert encrypted is not None
    assert encrypted[0] == encrypted[1] > 0


async def test_sslmode_require_through_a_pooler_that_requires_tls(
    serve: Serve,
    todo_vars: dict[str, str],
    empty_postgres_database: str,
    tmp_path: Path,
    tls_certificate: tuple[Path, Path],
) -> None:
    """Neon's shape: `?sslmode=require` to a transaction-mode pooler that refuses clients without TLS."""
    prepared = pgbouncer_version() >= PREPARED_STATEMENTS_IN_POOLER
    todo_vars["TODO_DB_PREPARED_STATEMENTS"] = "true" if prepared else "false"
    with pgbouncer(tmp_path, tls=tls_certificate, max_prepared_statements=100 if prepared else None) as bouncer:
        plain = with_port(empty_postgres_database, bouncer.port)
        with pytest.raises(psycopg.OperationalError, match="SSL required"):
            psycopg.connect(f"{plain}?sslmode=disable", connect_timeout=5).close()
        server = serve(f"{plain}?sslmode=require")
        await exercise(server.base_url)
        log = bouncer.output()

    assert "Running upgrade " in server.output()
    assert alembic_head(empty_postgres_database) == [HEAD]
    logins = [line for line in log.splitlines() if "login attempt" in line]
    assert logins, log[-2000:]
    assert all("tls=TLSv1" in line for line in logins), log[-2000:]
