"""SIGTERM under a steady create load: requests in flight finish and answer; nothing commits unanswered.

To be sure requests are in flight when the signal arrives, the test holds a lock that makes every
INSERT wait, sends SIGTERM, keeps the lock a moment longer, then lets go. The creates that were
waiting must then complete and be answered 201 before the process exits.
"""

import asyncio
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import anyio
import httpx
import psycopg
import pytest

from tests.e2e.servers import Serve, Server

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.anyio]

CLIENTS = 6
MAX_REQUESTS = 20_000  # per client, besides the clock


@dataclass
class Create:
    sent: float
    done: float
    status: int | None  # None: no answer (refused, reset, or closed without a response)
    task_id: str | None


async def create_load(server: Server, user: str, results: list[Create], stop: asyncio.Event) -> None:
    """One client creating tasks one after another (keep-alive), until the server is gone."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as client:
        for n in range(MAX_REQUESTS):
            if stop.is_set():
                return
            sent = time.monotonic()
            try:
                response = await client.post(f"/api/{user}/tasks", json={"title": f"task {n}"})
            except httpx.HTTPError:
                results.append(Create(sent, time.monotonic(), None, None))
                if server.process.poll() is not None:
                    return
                await asyncio.sleep(0.01)
                continue
            task_id = response.json()["id"] if response.status_code == 201 else None
            results.append(Create(sent, time.monotonic(), response.status_code, task_id))


async def blocked_inserts(database_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO tasks%%'"
        )
        return int((await cursor.fetchone())[0])  # type: ignore[index]


async def stored(database_url: str, user: str) -> set[str]:
    async with await psycopg.AsyncConnection.connect(database_url) as connection:
        cursor = await connection.execute("SELECT id::text FROM tasks WHERE user_id = %s", (user,))
        return {task_id for (task_id,) in await cursor.fetchall()}


@dataclass
class Run:
    server: Server
    results: list[Create]
    rows: set[str]  # the ids stored for the user
    sigterm: float  # when it was sent
    waiting: int  # creates waiting on the lock when it was sent
    alive_at_release: bool  # the server was still running when the lock went

    @property
    def answered(self) -> set[str | None]:
        return {result.task_id for result in self.results if result.status == 201}


async def sigterm_while_inserts_wait(serve: Serve, database_url: str, hold_after_sigterm: float) -> Run:
    """Load, lock, SIGTERM, hold the lock `hold_after_sigterm` s longer, release, wait for the exit."""
    server = serve(database_url)
    user = f"shutdown-{uuid.uuid4().hex[:8]}"
    results: list[Create] = []
    stop = asyncio.Event()
    clients = [asyncio.create_task(create_load(server, user, results, stop)) for _ in range(CLIENTS)]
    try:
        for _ in range(100):  # up to 10 s for a steady stream of answered creates
            await asyncio.sleep(0.1)
            if sum(result.status == 201 for result in results) >= 50:
                break
        locker = await psycopg.AsyncConnection.connect(database_url)
        try:
            await locker.execute("LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE")  # INSERTs now wait
            waiting = 0
            for _ in range(100):  # up to 5 s for every client's create to be stuck behind the lock
                await asyncio.sleep(0.05)
                if (waiting := await blocked_inserts(database_url)) >= CLIENTS:
                    break
            sigterm = time.monotonic()
            server.process.terminate()
            await asyncio.sleep(hold_after_sigterm)
            still_running = server.process.poll() is None
        finally:
            await locker.rollback()  # the lock goes; the waiting INSERTs go on
            await locker.close()
        await anyio.to_thread.run_sync(server.process.wait, 20)
    finally:
        stop.set()
        with anyio.fail_after(30):
            await asyncio.gather(*clients, return_exceptions=True)
    return Run(server, results, await stored(database_url, user), sigterm, waiting, still_running)


async def test_sigterm_lets_requests_in_flight_finish_and_nothing_commits_unanswered(
    serve: Serve, empty_postgres_database: str
) -> None:
    run = await sigterm_while_inserts_wait(serve, empty_postgres_database, hold_after_sigterm=1.0)
    server, results, rows, sigterm, waiting, answered = (
        run.server,
        run.results,
        run.rows,
        run.sigterm,
        run.waiting,
        run.answered,
    )

    in_flight = [result for result in results if result.sent < sigterm < result.done]
    finished_in_flight = [result for result in in_flight if result.status == 201]
    statuses = Counter(result.status for result in results)
    print(
        f"\nshutdown: {len(results)} creates sent, {statuses[201]} answered 201, {statuses[None]} without an answer, "
        f"{len(in_flight)} in flight at SIGTERM ({waiting} waiting on the lock), {len(finished_in_flight)} of them "
        f"answered 201 after it; {len(rows)} rows stored; {len(rows - answered)} committed without an answer; "
        f"{len(answered - rows)} answered but not stored"
    )

    assert run.alive_at_release, f"the server exited with requests in flight:\n{server.output()}"
    assert server.process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it is done
    assert "Application shutdown complete." in server.output()
    assert "timeout graceful shutdown exceeded" not in server.output()
    assert waiting >= 1
    assert len(finished_in_flight) >= waiting
    assert set(statuses) <= {201, None}  # an answer is a success; no 503 or 500 while shutting down
    assert answered - rows == set()  # every 201 is stored
    assert rows - answered == set()  # and nothing was stored without its 201 reaching the client


async def test_requests_still_running_past_the_shutdown_timeout_are_cancelled_and_roll_back(
    serve: Serve, todo_vars: dict[str, str], empty_postgres_database: str
) -> None:
    """Past TODO_SHUTDOWN_TIMEOUT uvicorn cancels what is left; the cancelled INSERTs must not commit later.

    psycopg cancels a cancelled statement in the server, and the pool's close waits for that, so the
    lock's release (after the process is gone) finds nothing left to commit. uvicorn itself answers
    such a request 500, in plain text, if the connection is still open: it is not an answer from the app.
    """
    todo_vars["TODO_SHUTDOWN_TIMEOUT"] = "1"
    run = await sigterm_while_inserts_wait(serve, empty_postgres_database, hold_after_sigterm=3.0)
    rows, answered = run.rows, run.answered
    cut_off = [r for r in run.results if r.sent < run.sigterm < r.done and r.status != 201]
    print(
        f"\nshutdown past the timeout: {run.waiting} creates waiting at SIGTERM, {len(cut_off)} cut off "
        f"(answers: {dict(Counter(r.status for r in cut_off))}); {len(rows - answered)} committed all the same"
    )

    assert "timeout graceful shutdown exceeded" in run.server.output()
    assert run.server.process.returncode in (0, -signal.SIGTERM)
    assert len(cut_off) >= 1
    assert {r.status for r in cut_off} <= {500, None}
    assert answered - rows == set()
    assert rows - answered == set()  # the cancelled INSERTs were cancelled in Postgres too
