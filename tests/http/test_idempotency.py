"""Creation under an Idempotency-Key: a replay gets the first answer and creates nothing; a key
belongs to its owner and to one request body."""

from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from tests.http.clients import DUE, JSON, UNTIDY_FULL_TASK, error_fields, ids, tasks_url


def keyed(client: TestClient, user: str, body: dict[str, Any], key: str = "key-1") -> httpx.Response:
    return client.post(tasks_url(user), json=body, headers={"idempotency-key": key})


def test_a_replay_returns_the_first_answer_and_creates_nothing(store_client: TestClient, user: str) -> None:
    first = keyed(store_client, user, UNTIDY_FULL_TASK)
    replay = keyed(store_client, user, UNTIDY_FULL_TASK)

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["location"] == first.headers["location"]
    assert replay.headers["etag"] == first.headers["etag"]
    assert ids(store_client.get(tasks_url(user)).json()) == [first.json()["id"]]


def test_the_same_key_with_another_body_is_422_and_creates_nothing(store_client: TestClient, user: str) -> None:
    first = keyed(store_client, user, {"title": "one"})

    response = keyed(store_client, user, {"title": "two"})

    assert error_fields(response) == {"Idempotency-Key"}
    assert store_client.get(tasks_url(user)).json() == [first.json()]


def test_a_key_is_scoped_to_its_owner(store_client: TestClient, user: str, other_user: str) -> None:
    mine = keyed(store_client, user, {"title": "mine"})
    theirs = keyed(store_client, other_user, {"title": "theirs"})

    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]
    assert ids(store_client.get(tasks_url(other_user)).json()) == [theirs.json()["id"]]
    assert ids(store_client.get(tasks_url(user)).json()) == [mine.json()["id"]]


def test_a_body_that_parses_to_the_same_task_is_a_replay(client: TestClient, user: str) -> None:
    first = keyed(client, user, {"title": "t", "tags": ["a", "b"], "due_at": "2026-09-01T12:00:00+02:00"})

    again = client.post(
        tasks_url(user),
        content=b'{"due_at": "2026-09-01T10:00:00Z", "tags": ["a", " b", "a"], "title": " t "}',
        headers=JSON | {"idempotency-key": "key-1"},
    )

    assert again.status_code == 201
    assert again.json() == first.json()
    assert len(client.get(tasks_url(user)).json()) == 1


BODY_CHANGES = {
    "title": {"title": "other"},
    "description": {"description": "other"},
    "description empty instead of null": {"description": ""},
    "completed": {"completed": True},
    "priority": {"priority": "low"},
    "due": {"due_at": DUE},
    "tags": {"tags": ["x"]},
}


@pytest.mark.parametrize("change", BODY_CHANGES.values(), ids=BODY_CHANGES.keys())
def test_any_change_to_the_body_is_another_request(client: TestClient, user: str, change: dict[str, Any]) -> None:
    first = keyed(client, user, {"title": "t", "description": None})

    response = keyed(client, user, {"title": "t", "description": None} | change)

    assert error_fields(response) == {"Idempotency-Key"}
    assert client.get(tasks_url(user)).json() == [first.json()]


def test_a_replay_after_the_task_changed_returns_the_first_answer(client: TestClient, user: str) -> None:
    first = keyed(client, user, {"title": "t"})
    client.patch(first.headers["location"], json={"title": "edited"})

    replay = keyed(client, user, {"title": "t"})

    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert [task["title"] for task in client.get(tasks_url(user)).json()] == ["edited"]


def test_different_keys_create_different_tasks(client: TestClient, user: str) -> None:
    one = keyed(client, user, {"title": "t"}, "key-1")
    two = keyed(client, user, {"title": "t"}, "key-2")
    plain = client.post(tasks_url(user), json={"title": "t"})

    assert len({one.json()["id"], two.json()["id"], plain.json()["id"]}) == 3


@pytest.mark.parametrize("key", ["x" * 256, "clé".encode(), "a\tb"], ids=["256 characters", "non-ascii", "tab"])
def test_a_malformed_key_is_422_and_creates_nothing(client: TestClient, user: str, key: str | bytes) -> None:
    response = client.post(tasks_url(user), json={"title": "t"}, headers={"idempotency-key": key})  # type: ignore[arg-type]

    assert error_fields(response) == {"Idempotency-Key"}
    assert client.get(tasks_url(user)).json() == []


def test_a_key_of_255_characters_is_accepted(client: TestClient, user: str) -> None:
    assert keyed(client, user, {"title": "t"}, "k" * 255).status_code == 201
