"""/metrics on `todo serve --workers 2`: a scrape, whichever worker answers it, adds up both workers."""

import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.servers import Serve, Server

pytestmark = pytest.mark.e2e

METRICS = "/internal/metrics"  # not the default: the setting is honoured
REQUESTS = 60
TASKS = 3


def scrape(server: Server) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of one scrape, by name and labels."""
    response = httpx.get(server.base_url + METRICS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def listed(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> float:
    labels = {"method": "GET", "path": "/api/{user_id}/tasks", "status_code": "200"}
    return samples.get(("todo_requests_total", frozenset(labels.items())), 0.0)


def test_two_workers_add_up_and_scrapes_stay_off_the_access_log(serve: Serve, tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    server = serve(
        f"sqlite:///{tmp_path / 'tasks.sqlite3'}",
        workers=2,
        env={"TODO_METRICS_PATH": METRICS, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
    )
    for number in range(TASKS):
        httpx.post(f"{server.base_url}/api/alice/tasks", json={"title": f"task {number}"}).raise_for_status()
    for _ in range(REQUESTS):  # a connection each, so the kernel spreads them over both workers
        httpx.get(f"{server.base_url}/api/alice/tasks").raise_for_status()

    counting = {path.name for path in folder.glob("counter_*.db")}
    assert len(counting) == 2, f"both workers should have counted requests: {counting}"
    scrapes = [scrape(server) for _ in range(4)]  # new connections: both workers answer some
    assert [listed(samples) for samples in scrapes] == [REQUESTS] * 4
    samples = scrapes[-1]
    assert samples[("todo_event_log_events", frozenset())] == TASKS
    assert samples[("todo_event_streams_open", frozenset())] == 0
    assert not any("alice" in value for _, labels in samples for _, value in labels)
    assert httpx.get(f"{server.base_url}/metrics").status_code == 404

    with httpx.stream("GET", f"{server.base_url}/api/alice/events", timeout=10) as stream:
        assert stream.status_code == 200
        deadline = time.monotonic() + 5
        while scrape(server)[("todo_event_streams_open", frozenset())] != 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scrape(server)[("todo_event_streams_open", frozenset())] == 1

    log = server.output()
    assert log.count('"route":"/api/{user_id}/tasks"') == TASKS + REQUESTS
    assert METRICS not in log
