"""/metrics in one process: requests by route template and status, the gauges, the path setting."""

import asyncio
import uuid

import pytest
from litestar.testing import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from adapters.gauges import ServiceGauges
from adapters.memory import InMemoryTaskStore
from adapters.sql.psycopg_database import PsycopgDatabase
from application.streams import EventStreams
from entrypoints.settings import ConfigurationError, Settings
from tests.http.clients import open_client

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient, path: str = "/metrics") -> Samples:
    response = client.get(path)
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests(samples: Samples, method: str, path: str, status: int) -> float:
    labels = {"method": method, "path": path, "status_code": str(status)}
    return samples.get(("todo_requests_total", frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_never_by_raw_path(sqlite_url: str, user: str) -> None:
    with open_client(sqlite_url) as client:
        before = scrape(client)
        client.post(f"/api/{user}/tasks", json={"title": "one"})
        client.get(f"/api/{user}/tasks")
        client.get(f"/api/{user}/tasks/{uuid.uuid4()}")
        client.get(f"/api/{user}/nowhere")
        after = scrape(client)

    assert (
        requests(after, "POST", "/api/{user_id}/tasks", 201)
        == requests(before, "POST", "/api/{user_id}/tasks", 201) + 1
    )
    assert (
        requests(after, "GET", "/api/{user_id}/tasks", 200) == requests(before, "GET", "/api/{user_id}/tasks", 200) + 1
    )
    missing = "/api/{user_id}/tasks/{task_id}"
    assert requests(after, "GET", missing, 404) == requests(before, "GET", missing, 404) + 1
    assert requests(after, "GET", "unrouted", 404) == requests(before, "GET", "unrouted", 404) + 1
    assert after[("todo_requests_in_progress", frozenset())] == 1  # the scrape itself
    assert not any(user in value for _, labels in after for _, value in labels)
    assert after[("todo_event_log_events", frozenset())] == 1
    assert after[("todo_event_streams_open", frozenset())] == 0
    durations = [value for (name, _), value in after.items() if name == "todo_request_duration_seconds_count"]
    assert sum(durations) >= 3


def test_metrics_stay_out_of_the_openapi_document_and_follow_their_setting(client: TestClient) -> None:
    assert "/metrics" not in client.get("/docs/openapi.json").json()["paths"]
    with open_client("memory://", metrics_path="/ops/metrics") as moved:
        assert moved.get("/metrics").status_code == 404
        assert ("todo_event_streams_open", frozenset()) in scrape(moved, "/ops/metrics")


@pytest.mark.parametrize("value", ["metrics", "/", "/metrics/", "/a b", "/metrics?x=1"])
def test_a_metrics_path_that_is_not_a_plain_path_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="TODO_METRICS_PATH"):
        Settings.from_env({"TODO_METRICS_PATH": value})


POOL_SAMPLES = [("todo_db_pool_connections", {"state": "in_use"}), ("todo_db_pool_waiting", {})]


@pytest.mark.postgres
@pytest.mark.anyio
async def test_the_pool_gauges_show_connections_in_use_and_requests_waiting_for_one(postgres_url: str) -> None:
    database = PsycopgDatabase(postgres_url, pool_size=1, timeout=5.0)
    memory = InMemoryTaskStore()
    gauges = ServiceGauges(streams=EventStreams(memory, max_streams=1), relay_log=memory, postgres=database)
    await database.open()
    try:
        held = asyncio.create_task(database.fetch_one(text("SELECT pg_sleep(0.5)"), {}))
        await asyncio.sleep(0.2)
        queued = [asyncio.create_task(database.fetch_one(text("SELECT 1"), {})) for _ in range(3)]
        await asyncio.sleep(0.1)
        gauges.sample_worker()
        during = {name: REGISTRY.get_sample_value(name, labels) for name, labels in POOL_SAMPLES}
        await asyncio.gather(held, *queued)
        gauges.sample_worker()
        after = {name: REGISTRY.get_sample_value(name, labels) for name, labels in POOL_SAMPLES}
    finally:
        await database.close()
    assert during == {"todo_db_pool_connections": 1, "todo_db_pool_waiting": 3}
    assert after == {"todo_db_pool_connections": 0, "todo_db_pool_waiting": 0}
