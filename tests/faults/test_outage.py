"""Postgres stops for a few seconds under load: the service answers 503, never hangs, recovers, loses nothing.

This stops the local cluster (pg_ctlcluster, fast mode) for about OUTAGE seconds, so anything else
using that server at the same moment sees it go away too; the cluster is always started again,
and the test waits until it accepts connections before it ends. Hence `stops_postgres`: scripts/test.sh
runs it alone, before the other tests run in parallel.
"""

import asyncio
import itertools
import json
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import httpx
import psycopg
import pytest

from tests.databases import POSTGRES_SERVER_URL
from tests.e2e.servers import Serve
from tests.faults.services import Cluster

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.stops_postgres]

DB_TIMEOUT = 2.0  # TODO_DB_TIMEOUT: the longest a request waits for a connection
REQUEST_BOUND = DB_TIMEOUT + 1.5  # every answer, 503s included, comes within this
OUTAGE = 5.0
CLIENTS = 4
RECOVERY_BOUND = 5.0  # seconds from Postgres accepting connections to the service answering 2xx
MAX_REQUESTS = 20_000  # per client: a bound on the load loops besides their clock
INTERNALS = re.compile(r"psycopg|postgres|sql|traceback|5432|127\.0\.0\.1|operational|pool|terminating", re.IGNORECASE)


@dataclass
class Outcome:
    kind: str  # create, toggle, ready, health
    sent: float
    done: float
    status: int | None  # None: no HTTP answer (a transport error or a client timeout)
    content_type: str = ""
    retry_after: str | None = None
    body: str = ""
    task_id: str | None = None
    completed: bool | None = None

    @property
    def seconds(self) -> float:
        return self.done - self.sent


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def of(self, *kinds: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.kind in kinds]


async def _request(client: httpx.AsyncClient, kind: str, method: str, path: str, **kwargs: object) -> Outcome:
    sent = time.monotonic()
    try:
        response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as error:
        return Outcome(kind, sent, time.monotonic(), None, body=repr(error))
    outcome = Outcome(
        kind,
        sent,
        time.monotonic(),
        response.status_code,
        response.headers.get("content-type", ""),
        response.headers.get("retry-after"),
        response.text,
    )
    if response.status_code in (200, 201) and kind in ("create", "toggle"):
        outcome.task_id, outcome.completed = response.json()["id"], response.json()["completed"]
    return outcome


async def client_load(base_url: str, load: Load, deadline: float) -> None:
    """One client: creates and toggles its own tasks, one request at a time, until told to stop."""
    user = f"outage-{uuid.uuid4().hex[:8]}"
    load.users.append(user)
    mine: list[str] = []
    chooser = random.Random(user)
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_BOUND + 5) as client:
        for n in range(MAX_REQUESTS):
            if load.stop.is_set() or time.monotonic() > deadline:
                return
            if mine and n % 2:
                task_id = chooser.choice(mine)
                outcome = await _request(client, "toggle", "PATCH", f"/api/{user}/tasks/{task_id}/complete")
                outcome.task_id = task_id
            else:
                outcome = await _request(client, "create", "POST", f"/api/{user}/tasks", json={"title": f"task {n}"})
                if outcome.status == 201:
                    mine.append(str(outcome.task_id))
            load.outcomes.append(outcome)


async def probe_load(base_url: str, load: Load, deadline: float) -> None:
    """A load balancer: /health and /ready, side by side, every 0.2 s."""
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_BOUND + 5) as client:
        for _ in range(MAX_REQUESTS):
            if load.stop.is_set() or time.monotonic() > deadline:
                return
            health, ready = await asyncio.gather(
                _request(client, "health", "GET", "/health"), _request(client, "ready", "GET", "/ready")
            )
            load.outcomes += [health, ready]
            await asyncio.sleep(0.2)


async def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def first_accepted_connection(timeout: float) -> float:
    """When Postgres first accepts a connection (polled every 50 ms): the start of the recovery clock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = await psycopg.AsyncConnection.connect(POSTGRES_SERVER_URL, connect_timeout=2)
        except psycopg.OperationalError:
            await asyncio.sleep(0.05)
            continue
        await connection.close()
        return time.monotonic()
    pytest.fail(f"PostgreSQL did not accept connections within {timeout} s of its start")


@pytest.mark.anyio
async def test_a_postgres_outage_under_load_is_503_then_recovers_and_loses_nothing(
    serve: Serve, todo_vars: dict[str, str], empty_postgres_database: str, postgres_cluster: Cluster
) -> None:
    todo_vars["TODO_DB_TIMEOUT"] = str(DB_TIMEOUT)
    server = serve(empty_postgres_database)
    load = Load()
    hard_deadline = time.monotonic() + 60
    clients = [asyncio.create_task(client_load(server.base_url, load, hard_deadline)) for _ in range(CLIENTS)]
    clients.append(asyncio.create_task(probe_load(server.base_url, load, hard_deadline)))
    try:
        assert await wait_until(lambda: len([o for o in load.of("create") if o.status == 201]) >= 20, 10)
        down_from = time.monotonic()
        await anyio.to_thread.run_sync(postgres_cluster.stop)
        down = time.monotonic()
        await asyncio.sleep(OUTAGE)
        starting = time.monotonic()
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, postgres_cluster.start)
            up = await first_accepted_connection(timeout=30)

        def recovered() -> bool:
            return any(o.status in (200, 201) and o.done > up for o in load.of("create", "toggle"))

        assert await wait_until(recovered, 30), "no write succeeded within 30 s of Postgres returning"
        recovery = min(o.done for o in load.of("create", "toggle") if o.status in (200, 201) and o.done > up) - up
        await asyncio.sleep(1.5)  # steady load after the recovery
    finally:
        load.stop.set()
        with anyio.fail_after(REQUEST_BOUND + 10):
            await asyncio.gather(*clients, return_exceptions=True)
        await anyio.to_thread.run_sync(postgres_cluster.ensure_running)

    writes = load.of("create", "toggle")
    statuses = Counter(o.status for o in writes)
    answered = {str(o.task_id) for o in load.of("create") if o.status == 201}
    with psycopg.connect(empty_postgres_database) as connection:
        rows: dict[str, bool] = dict(
            connection.execute(
                "SELECT id::text, completed FROM tasks WHERE user_id = ANY(%s)", (load.users,)
            ).fetchall()
        )
    lost = answered - set(rows)
    unanswered_but_stored = set(rows) - answered  # creates answered 503 that committed all the same
    others = [o for o in writes if o.status not in (200, 201, 503)]
    print(
        f"\noutage: {len(writes)} requests sent (creates and toggles), {statuses[201]} x 201, "
        f"{statuses[200]} x 200, {statuses[503]} x 503, {len(others)} other; "
        f"recovery {recovery:.2f} s after Postgres accepted connections (stop took {down - down_from:.1f} s, "
        f"down {starting - down:.1f} s, start {up - starting:.1f} s); {len(lost)} tasks lost; "
        f"{len(unanswered_but_stored)} creates answered 503 but stored; "
        f"slowest answer {max(o.seconds for o in load.outcomes):.2f} s"
    )

    # Nothing the service confirmed is lost, and nothing but 2xx and 503 came back.
    assert lost == set()
    assert others == [], [(o.kind, o.status, o.body[:200]) for o in others[:5]]
    # The outage was seen, and every 503 is a clean problem with Retry-After and nothing internal.
    failures = [o for o in writes if o.status == 503]
    assert failures, "no request saw the outage"
    for outcome in failures:
        assert outcome.content_type.startswith("application/problem+json")
        assert outcome.retry_after is not None
        assert int(outcome.retry_after) > 0
        problem = json.loads(outcome.body)
        assert problem["status"] == 503
        assert problem["title"] == "Service Unavailable"
        assert not INTERNALS.search(outcome.body), outcome.body
    # Never a hang: every answer, the 503s too, within the bound.
    slow = [(o.kind, o.status, round(o.seconds, 2)) for o in load.outcomes if o.seconds > REQUEST_BOUND]
    assert slow == []
    # /health stays up throughout; /ready says 503 while Postgres is down, 200 again after.
    health = load.of("health")
    assert health
    assert {o.status for o in health} == {200}
    assert max(o.seconds for o in health) < 0.5
    ready_while_down = [o for o in load.of("ready") if o.sent > down and o.done < starting]
    assert ready_while_down
    assert {o.status for o in ready_while_down} == {503}
    assert [o.status for o in load.of("ready") if o.sent > up + recovery][-3:] == [200, 200, 200]
    # Back within seconds, without a restart; and once back, every request succeeds.
    assert server.process.poll() is None
    assert recovery < RECOVERY_BOUND
    after = [o.status for o in writes if o.sent > up + recovery]
    assert after, Counter(after)
    assert set(after) <= {200, 201}, Counter(after)
    # A toggle answered 200, with no later toggle of that task unanswered, is what the database holds.
    last_answer: dict[str, bool] = {}
    for task_id, toggles in itertools.groupby(
        sorted((o for o in load.of("toggle")), key=lambda o: (str(o.task_id), o.sent)), key=lambda o: str(o.task_id)
    ):
        history = list(toggles)
        if history[-1].status == 200:
            last_answer[task_id] = bool(history[-1].completed)
    assert last_answer, "no toggle was answered"
    assert {task_id: rows.get(task_id) for task_id in last_answer} == last_answer
