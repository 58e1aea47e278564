"""A task's fields on create and replace: priority, due date, tags and completion time, their
defaults and limits; and a client that sends only a title, a description and a completion."""

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.clients import (
    FULL_TASK,
    RFC3339_UTC,
    UNTIDY_FULL_TASK,
    create,
    error_fields,
    etag_of,
    ids,
    tasks_url,
    timestamp,
)

# The fields a task answer has, and among them those a client that sends only a title, a
# description and a completion relies on.
BASIC_FIELDS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}
TASK_FIELDS = BASIC_FIELDS | {"priority", "due_at", "tags", "completed_at"}
TASK_FIELDS |= {"recurrence", "time_zone", "remind_at", "remind_before", "previous_id", "reminded_at"}


# --- creating with every field -------------------------------------------------------------------


def test_create_with_every_field_on_every_store(store_client: TestClient, user: str) -> None:
    response = store_client.post(tasks_url(user), json=UNTIDY_FULL_TASK)

    assert response.status_code == 201, response.text
    task = response.json()
    assert task.keys() == TASK_FIELDS
    assert (task["title"], task["description"], task["completed"]) == ("Plan the trip", "book trains", True)
    assert task["priority"] == "high"
    assert task["due_at"] == "2026-09-01T10:00:00.250000Z"
    assert task["tags"] == ["travel", "family", "Family"]
    assert timestamp(task["completed_at"]) == timestamp(task["created_at"]) == timestamp(task["updated_at"])
    assert etag_of(response) == '"1"'
    read = store_client.get(response.headers["location"])
    assert read.json() == task
    assert etag_of(read) == '"1"'


def test_unset_fields_default_to_no_priority_no_date_no_tags(client: TestClient, user: str) -> None:
    task = create(client, user, "Plain")

    assert (task["priority"], task["due_at"], task["tags"], task["completed_at"]) == ("none", None, [], None)


@pytest.mark.parametrize("priority", ["none", "low", "medium", "high"])
def test_each_priority_label_round_trips(client: TestClient, user: str, priority: str) -> None:
    task = create(client, user, priority=priority)

    assert task["priority"] == priority
    assert client.get(tasks_url(user, task["id"])).json()["priority"] == priority


@pytest.mark.parametrize(
    ("due_at", "stored"),
    [
        ("2026-09-01T10:00:00Z", "2026-09-01T10:00:00Z"),
        ("2026-09-01T10:00:00+00:00", "2026-09-01T10:00:00Z"),
        ("2026-09-01T05:30:00-04:30", "2026-09-01T10:00:00Z"),
        ("2026-09-01T10:00:00.000001Z", "2026-09-01T10:00:00.000001Z"),
    ],
)
def test_due_at_is_kept_in_utc(client: TestClient, user: str, due_at: str, stored: str) -> None:
    task = create(client, user, due_at=due_at)

    assert RFC3339_UTC.match(task["due_at"])
    assert timestamp(task["due_at"]) == timestamp(stored)


def test_twenty_tags_of_forty_characters_are_accepted(client: TestClient, user: str) -> None:
    tags = [f"{n:02d}" + "t" * 38 for n in range(20)]

    assert create(client, user, tags=tags)["tags"] == tags


BAD_FIELD_VALUES = {
    "unknown priority": ({"priority": "urgent"}, "priority"),
    "priority in capitals": ({"priority": "HIGH"}, "priority"),
    "numeric priority": ({"priority": 3}, "priority"),
    "null priority": ({"priority": None}, "priority"),
    "due without offset": ({"due_at": "2026-09-01T10:00:00"}, "due_at"),
    "due as a date only": ({"due_at": "2026-09-01"}, "due_at"),
    "due not a date": ({"due_at": "next tuesday"}, "due_at"),
    "due as a number": ({"due_at": 1788000000}, "due_at"),
    "21 tags": ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
    "41-character tag": ({"tags": ["ok", "x" * 41]}, "tags"),
    "empty tag": ({"tags": [""]}, "tags"),
    "blank tag": ({"tags": ["   "]}, "tags"),
    "NUL in a tag": ({"tags": ["a\x00b"]}, "tags"),
    "tags not a list": ({"tags": "a,b"}, "tags"),
    "tag not a string": ({"tags": [1]}, "tags"),
    "null tags": ({"tags": None}, "tags"),
}


@pytest.mark.parametrize(("fields", "field"), BAD_FIELD_VALUES.values(), ids=BAD_FIELD_VALUES.keys())
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_bad_field_values_are_422_naming_the_field_and_change_nothing(
    client: TestClient, user: str, method: str, fields: dict[str, Any], field: str
) -> None:
    task = create(client, user, "Keep", priority="low", tags=["k"])
    url = tasks_url(user) if method == "POST" else tasks_url(user, task["id"])

    response = client.request(method, url, json={"title": "x", **fields})

    assert error_fields(response) == {field}
    assert client.get(tasks_url(user)).json() == [task]


def test_every_bad_field_is_named_at_once(client: TestClient, user: str) -> None:
    response = client.post(
        tasks_url(user),
        json={"title": " ", "description": "d" * 1001, "tags": ["x" * 41]},
    )

    assert error_fields(response) == {"title", "description", "tags"}


def test_read_only_completion_time_and_version_in_a_body_are_ignored(client: TestClient, user: str) -> None:
    task = create(client, user, completed_at="2000-01-01T00:00:00Z", version=99)

    assert task["completed_at"] is None
    assert client.get(tasks_url(user, task["id"])).headers["etag"] == '"1"'


# --- a client that sends only a title, a description and a completion ---------------------------


def test_a_client_of_the_basic_fields_works_on_every_task_path(store_client: TestClient, user: str) -> None:
    """Bodies of title, description and completed only, on the six task paths: the basic fields keep their meaning."""
    url = tasks_url(user)
    created = store_client.post(url, json={"title": "task 1 of user", "description": "seeded", "completed": True})
    assert created.status_code == 201
    task = created.json()
    assert task.keys() >= BASIC_FIELDS
    assert created.headers["location"] == tasks_url(user, task["id"])
    second = create(store_client, user, "second")

    listed = store_client.get(url)
    assert listed.status_code == 200
    assert ids(listed.json()) == [task["id"], second["id"]]

    replaced = store_client.put(tasks_url(user, task["id"]), json={"title": "renamed", "completed": False})
    assert replaced.status_code == 200
    assert (replaced.json()["title"], replaced.json()["description"], replaced.json()["completed"]) == (
        "renamed",
        None,
        False,
    )
    toggled = store_client.patch(tasks_url(user, task["id"], "/complete"))
    assert toggled.status_code == 200
    assert toggled.json()["completed"] is True
    set_once = store_client.patch(tasks_url(user, task["id"], "/complete"), json={"completed": True})
    set_twice = store_client.patch(tasks_url(user, task["id"], "/complete"), json={"completed": True})
    assert set_once.json() == set_twice.json() == toggled.json()

    assert store_client.get(tasks_url(user, task["id"])).json() == toggled.json()
    deleted = store_client.delete(tasks_url(user, task["id"]))
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert store_client.get(url).json() == [second]


def test_a_put_of_the_basic_fields_resets_the_others_to_their_defaults(client: TestClient, user: str) -> None:
    task = create(client, user, **FULL_TASK)

    replaced = client.put(tasks_url(user, task["id"]), json={"title": "basic client"}).json()

    assert (replaced["priority"], replaced["due_at"], replaced["tags"], replaced["completed_at"]) == (
        "none",
        None,
        [],
        None,
    )


def test_a_client_can_put_back_what_it_got_with_every_field(client: TestClient, user: str) -> None:
    task = create(client, user, **FULL_TASK)
    got = client.get(tasks_url(user, task["id"])).json()

    response = client.put(tasks_url(user, task["id"]), json=got)

    assert response.status_code == 200, response.text
    assert response.json() | {"updated_at": None} == got | {"updated_at": None}
