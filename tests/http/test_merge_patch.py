"""PATCH of a task as a JSON Merge Patch (RFC 7396): what a patch sets, clears, ignores and refuses."""

import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.clients import FULL_TASK, JSON, assert_problem, create, error_fields, etag_of, tasks_url, timestamp

MERGE_PATCHES = {
    "empty": ({}, {}),
    "title": ({"title": "  New  "}, {"title": "New"}),
    "description": ({"description": "other"}, {"description": "other"}),
    "description null clears": ({"description": None}, {"description": None}),
    "priority": ({"priority": "low"}, {"priority": "low"}),
    "priority null clears": ({"priority": None}, {"priority": "none"}),
    "due": ({"due_at": "2026-10-01T00:00:00+01:00"}, {"due_at": "2026-09-30T23:00:00Z"}),
    "due null clears": ({"due_at": None}, {"due_at": None}),
    "tags replace the list": ({"tags": ["c", " c", "a"]}, {"tags": ["c", "a"]}),
    "tags null clears": ({"tags": None}, {"tags": []}),
    "several": ({"title": "T", "tags": None, "priority": "high"}, {"title": "T", "tags": [], "priority": "high"}),
    "read-only fields ignored": (
        {"id": str(uuid.uuid4()), "user_id": "x", "created_at": "2000-01-01T00:00:00Z"},
        {},
    ),
}


@pytest.mark.parametrize(("patch", "changed"), MERGE_PATCHES.values(), ids=MERGE_PATCHES.keys())
def test_patch_merges(client: TestClient, user: str, patch: dict[str, Any], changed: dict[str, Any]) -> None:
    task = create(client, user, **FULL_TASK)

    response = client.patch(tasks_url(user, task["id"]), json=patch)

    assert response.status_code == 200, response.text
    patched = response.json()
    expected = task | changed
    volatile = ("updated_at", "due_at")
    assert {k: v for k, v in patched.items() if k not in volatile} == {
        k: v for k, v in expected.items() if k not in volatile
    }
    assert (patched["due_at"] and timestamp(patched["due_at"])) == (
        expected["due_at"] and timestamp(expected["due_at"])
    )
    assert timestamp(patched["updated_at"]) >= timestamp(task["updated_at"])
    assert client.get(tasks_url(user, task["id"])).json() == patched


def test_patch_completion_sets_and_clears_completed_at(client: TestClient, user: str) -> None:
    task = create(client, user)
    url = tasks_url(user, task["id"])

    done = client.patch(url, json={"completed": True}).json()
    renamed = client.patch(url, json={"title": "renamed"}).json()
    reopened = client.patch(url, json={"completed": False}).json()

    assert timestamp(done["completed_at"]) == timestamp(done["updated_at"]) > timestamp(task["updated_at"])
    assert renamed["completed_at"] == done["completed_at"]  # still completed: kept
    assert reopened["completed_at"] is None


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"title": None}, "title"),
        ({"completed": None}, "completed"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"description": "d" * 1001}, "description"),
        ({"priority": "urgent"}, "priority"),
        ({"due_at": "2026-10-01T00:00:00"}, "due_at"),
        ({"tags": ["x" * 41]}, "tags"),
        ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ({"completed": "yes"}, "completed"),
        ({"title": 5}, "title"),
    ],
)
def test_a_bad_patch_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, user: str, patch: dict[str, Any], field: str
) -> None:
    task = create(client, user, **FULL_TASK)
    before = client.get(tasks_url(user, task["id"]))

    response = client.patch(tasks_url(user, task["id"]), json=patch)

    assert error_fields(response) == {field}
    after = client.get(tasks_url(user, task["id"]))
    assert (after.json(), after.headers["etag"]) == (before.json(), before.headers["etag"])


@pytest.mark.parametrize(
    ("body", "status"), [(b"[]", 422), (b'"x"', 422), (b"null", 422), (b"{", 400), (b"", 400), (b"{'a': 1}", 400)]
)
def test_a_patch_that_is_not_a_json_object_is_refused(client: TestClient, user: str, body: bytes, status: int) -> None:
    task = create(client, user)

    assert_problem(client.patch(tasks_url(user, task["id"]), content=body, headers=JSON), status)
    assert client.get(tasks_url(user, task["id"])).json() == task


def test_patch_accepts_the_merge_patch_media_type(client: TestClient, user: str) -> None:
    task = create(client, user)

    response = client.patch(
        tasks_url(user, task["id"]),
        content=b'{"title": "merged"}',
        headers={"content-type": "application/merge-patch+json"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "merged"


def test_patch_on_a_missing_or_foreign_task_is_the_same_404(client: TestClient, user: str, other_user: str) -> None:
    theirs = create(client, other_user, "theirs")
    nowhere = assert_problem(client.patch(tasks_url(user, str(uuid.uuid4())), json={"title": "x"}), 404)

    assert assert_problem(client.patch(tasks_url(user, theirs["id"]), json={"title": "x"}), 404) == nowhere
    assert assert_problem(client.patch(tasks_url(user, "not-an-id"), json={"title": "x"}), 404) == nowhere
    assert client.get(tasks_url(other_user, theirs["id"])).json() == theirs


def test_patch_on_every_store(store_client: TestClient, user: str) -> None:
    task = create(store_client, user, **FULL_TASK)
    url = tasks_url(user, task["id"])

    patched = store_client.patch(url, json={"title": "New", "tags": None, "due_at": None, "completed": False})

    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["title"], body["description"], body["priority"], body["tags"], body["due_at"]) == (
        "New",
        "notes",
        "medium",
        [],
        None,
    )
    assert (body["completed"], body["completed_at"]) == (False, None)
    assert etag_of(patched) == '"2"'
    assert error_fields(store_client.patch(url, json={"title": None})) == {"title"}
    assert store_client.get(url).json() == body
