"""`GET /api/{user_id}/tasks/{task_id}/history`: a task's changes, oldest first, as CloudEvents, a page
at a time; not found exactly as a task is; a bad limit or cursor is a bad query parameter."""

import re
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

from tests.http.clients import (
    JSON,
    assert_problem,
    create,
    error_fields,
    etag_of,
    follow,
    next_link,
    tasks_url,
    timestamp,
)


def history_url(user: str, task_id: str, query: str = "") -> str:
    return tasks_url(user, task_id, "/history") + (f"?{query}" if query else "")


def cloud_event(user: str, position: int, kind: str, task: dict[str, Any], version: int) -> dict[str, Any]:
    """The CloudEvent of a change that left `task` as GET answered it (time aside)."""
    return {
        "specversion": "1.0",
        "id": str(position),
        "source": f"/api/{quote(user, safe='')}/tasks",
        "type": f"com.todo.task.{kind}",
        "subject": task["id"],
        "datacontenttype": "application/json",
        "taskversion": version,
        "data": task,
    }


def read(client: TestClient, user: str, task_id: str) -> tuple[dict[str, Any], int]:
    response = client.get(tasks_url(user, task_id))
    assert response.status_code == 200, response.text
    return response.json(), int(etag_of(response).strip('"'))


def without_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: value for name, value in event.items() if name != "time"} for event in events]


def test_every_change_is_a_cloud_event_holding_the_task_as_get_answered(store_client: TestClient, user: str) -> None:
    task_id = create(store_client, user, "Buy milk")["id"]
    create(store_client, user, "another task")  # position 2, in the owner's feed but not in this history
    seen = [read(store_client, user, task_id)]
    changes = [
        ("put", "", {"title": "Buy oat milk", "tags": ["errands"]}),
        ("patch", "", {"priority": "high", "due_at": "2026-12-24T10:00:00+01:00"}),
        ("patch", "/complete", {"completed": True}),
        ("patch", "/complete", None),
    ]
    for method, suffix, body in changes:
        response = store_client.request(method, tasks_url(user, task_id, suffix), json=body)
        assert response.status_code == 200, response.text
        seen.append(read(store_client, user, task_id))
    assert store_client.delete(tasks_url(user, task_id)).status_code == 204

    response = store_client.get(history_url(user, task_id))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert "link" not in response.headers
    events = response.json()
    kinds = ["created", "updated", "updated", "completed", "reopened"]
    expected = [
        cloud_event(user, position, kind, task, version)
        for position, kind, (task, version) in zip([1, 3, 4, 5, 6], kinds, seen, strict=True)
    ]
    last_version = seen[-1][1]
    deletion = cloud_event(user, 7, "deleted", {"id": task_id, "deleted": True}, last_version)
    assert without_time(events) == [*expected, deletion]
    assert [timestamp(event["time"]) for event in events[:-1]] == [timestamp(task["updated_at"]) for task, _ in seen]
    assert timestamp(events[-1]["time"]) >= timestamp(seen[-1][0]["updated_at"])


def test_a_deleted_tasks_history_is_still_read_and_the_task_is_not(store_client: TestClient, user: str) -> None:
    task_id = create(store_client, user)["id"]
    store_client.delete(tasks_url(user, task_id))

    assert_problem(store_client.get(tasks_url(user, task_id)), 404)
    events = store_client.get(history_url(user, task_id)).json()
    assert [(event["type"], event["data"].get("deleted")) for event in events] == [
        ("com.todo.task.created", None),
        ("com.todo.task.deleted", True),
    ]


def test_history_comes_a_page_at_a_time_through_the_link(store_client: TestClient, user: str) -> None:
    task_id = create(store_client, user)["id"]
    for _ in range(4):
        store_client.patch(tasks_url(user, task_id, "/complete"))

    first = store_client.get(history_url(user, task_id, "limit=2"))
    pages = follow(store_client, history_url(user, task_id, "limit=2"))

    assert next_link(first) == history_url(user, task_id, "limit=2&cursor=2")
    assert [[event["id"] for event in page] for page in pages] == [["1", "2"], ["3", "4"], ["5"]]
    assert pages == [follow(store_client, history_url(user, task_id))[0][i : i + 2] for i in (0, 2, 4)]


def test_the_link_keeps_the_limit_and_the_owner_percent_encoded(client: TestClient) -> None:
    owner = f"team a?b&c=d {uuid.uuid4().hex[:6]}"
    task_id = create(client, owner)["id"]
    client.patch(tasks_url(owner, task_id, "/complete"))

    link = next_link(client.get(history_url(owner, task_id, "limit=1")))

    assert link == f"/api/{quote(owner, safe='')}/tasks/{task_id}/history?limit=1&cursor=1"
    assert [event["id"] for event in client.get(link).json()] == ["2"]


def test_a_page_exactly_as_long_as_the_limit_has_no_link(client: TestClient, user: str) -> None:
    task_id = create(client, user)["id"]
    client.patch(tasks_url(user, task_id, "/complete"))

    response = client.get(history_url(user, task_id, "limit=2"))

    assert len(response.json()) == 2
    assert "link" not in response.headers


def test_the_default_page_holds_100_events(client: TestClient, user: str) -> None:
    task_id = create(client, user)["id"]
    for _ in range(100):
        client.patch(tasks_url(user, task_id, "/complete"))

    pages = follow(client, history_url(user, task_id))

    assert [len(page) for page in pages] == [100, 1]


# Random ids get fixed names: every pytest-xdist worker must collect the same tests.
@pytest.mark.parametrize(
    "task_id",
    [
        pytest.param(str(uuid.uuid4()), id="unknown uuid"),
        "abc",
        "-1",
        "1" * 25,
        pytest.param(uuid.uuid4().hex, id="unknown uuid without dashes"),
        "%00",
    ],
)
def test_no_such_task_is_404_as_for_a_get(store_client: TestClient, user: str, task_id: str) -> None:
    create(store_client, user)

    problem = assert_problem(store_client.get(history_url(user, task_id)), 404)

    assert problem == store_client.get(tasks_url(user, task_id)).json()


def test_another_owners_task_is_404_exactly_like_a_missing_one(
    store_client: TestClient, user: str, other_user: str
) -> None:
    theirs = create(store_client, other_user)["id"]

    problem = assert_problem(store_client.get(history_url(user, theirs)), 404)

    assert problem == assert_problem(store_client.get(history_url(user, str(uuid.uuid4()))), 404)
    assert problem == store_client.get(tasks_url(user, theirs)).json()
    assert store_client.get(history_url(user, theirs, "cursor=0")).json() == []


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=-1", "limit=x", "limit=1.5", "limit=1.0", "limit=1e2", "limit=010"]
)
def test_a_limit_out_of_range_is_400(store_client: TestClient, user: str, query: str) -> None:
    task_id = create(store_client, user)["id"]

    assert error_fields(store_client.get(history_url(user, task_id, query)), 400) == {"limit"}


@pytest.mark.parametrize(
    "cursor", ["", "x", "-1", "1.0", "%201", "0x10", "%D9%A1", str(2**63), "01", "1~2", "9" * 5000]
)
def test_a_cursor_that_is_not_a_position_is_400(client: TestClient, user: str, cursor: str) -> None:
    task_id = create(client, user)["id"]

    assert error_fields(client.get(history_url(user, task_id, f"cursor={cursor}")), 400) == {"cursor"}


def test_a_bad_cursor_is_400_on_every_store(store_client: TestClient, user: str) -> None:
    task_id = create(store_client, user)["id"]

    assert error_fields(store_client.get(history_url(user, task_id, "cursor=abc")), 400) == {"cursor"}


def test_a_cursor_past_the_end_is_an_empty_page(client: TestClient, user: str) -> None:
    task_id = create(client, user)["id"]

    assert client.get(history_url(user, task_id, "cursor=1")).json() == []


def test_a_user_id_that_breaks_its_rules_is_422(store_client: TestClient) -> None:
    assert error_fields(store_client.get(history_url("u" * 129, str(uuid.uuid4()))), 422) == {"user_id"}


def test_history_is_read_only(client: TestClient, user: str) -> None:
    task_id = create(client, user)["id"]

    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.request(method, history_url(user, task_id), headers=JSON, content=b"{}")
        assert_problem(response, 405)
        assert re.search(r"\bGET\b", response.headers["allow"])
