"""Listing a user's tasks: the filters (completion, priority, tag, due dates, text), the sorts and
their ties, the limits, and the parameters refused."""

import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.clients import create, error_fields, follow, ids, tasks_url

# --- listing: filters and sorts ------------------------------------------------------------------

# title: fields
LISTED: dict[str, dict[str, Any]] = {
    "Buy milk": {"priority": "high", "due_at": "2026-06-01T09:00:00Z", "tags": ["home", "shop"]},
    "buy bread": {"completed": True, "priority": "low", "due_at": "2026-06-02T09:00:00Z", "tags": ["shop"]},
    "Call Bob": {"description": "about the 50% discount", "priority": "medium", "tags": ["work"]},
    "Write report": {"description": "quarterly", "priority": "high", "due_at": "2026-06-03T09:00:00Z"},
    "Archive": {"completed": True, "due_at": "2026-05-01T00:00:00Z", "tags": ["Home"]},
}


@pytest.fixture
def listed(client: TestClient, user: str) -> dict[str, dict[str, Any]]:
    return {title: create(client, user, title, **fields) for title, fields in LISTED.items()}


LIST_QUERIES = {
    "no parameters": ("", ["Buy milk", "buy bread", "Call Bob", "Write report", "Archive"]),
    "completed": ("completed=true", ["buy bread", "Archive"]),
    "open": ("completed=false", ["Buy milk", "Call Bob", "Write report"]),
    "priority": ("priority=high", ["Buy milk", "Write report"]),
    "priority none": ("priority=none", ["Archive"]),
    "tag": ("tag=home", ["Buy milk"]),
    "tag is exact": ("tag=Home", ["Archive"]),
    "due before, strictly": ("due_before=2026-06-02T09:00:00Z", ["Buy milk", "Archive"]),
    "due after, strictly": ("due_after=2026-06-01T09:00:00Z", ["buy bread", "Write report"]),
    "due before, with an offset": ("due_before=2026-06-01T11:00:00.000001%2B02:00", ["Buy milk", "Archive"]),
    "q ignores ASCII case": ("q=BUY", ["Buy milk", "buy bread"]),
    "q in the description": ("q=quarter", ["Write report"]),
    "q with a percent sign": ("q=50%25", ["Call Bob"]),
    "q nowhere": ("q=nothing", []),
    "combined": ("completed=false&priority=high&due_before=2026-06-02T00:00:00Z&q=milk&tag=shop", ["Buy milk"]),
    "sort by title, code-point order": ("sort=title", ["Archive", "Buy milk", "Call Bob", "Write report", "buy bread"]),
    "sort by title descending": ("sort=-title", ["buy bread", "Write report", "Call Bob", "Buy milk", "Archive"]),
    "sort by due: none last": ("sort=due", ["Archive", "Buy milk", "buy bread", "Write report", "Call Bob"]),
    "sort by due descending: none first": (
        "sort=-due",
        ["Call Bob", "Write report", "buy bread", "Buy milk", "Archive"],
    ),
    "sort by priority descending": ("sort=-priority&q=b", ["Buy milk", "Call Bob", "buy bread"]),
    "sort by priority": ("sort=priority&q=b", ["buy bread", "Call Bob", "Buy milk"]),
    "sort by created descending": ("sort=-created", ["Archive", "Write report", "Call Bob", "buy bread", "Buy milk"]),
    "filtered and sorted": ("completed=true&sort=-due", ["buy bread", "Archive"]),
}


@pytest.mark.parametrize(("query", "titles"), LIST_QUERIES.values(), ids=LIST_QUERIES.keys())
def test_list_query_parameters(
    client: TestClient, user: str, listed: dict[str, dict[str, Any]], query: str, titles: list[str]
) -> None:
    response = client.get(f"{tasks_url(user)}?{query}")

    assert response.status_code == 200, response.text
    tasks = response.json()
    by_title = {task["title"]: task for task in tasks}
    assert [task["title"] for task in tasks] == titles
    assert all(by_title[title] == listed[title] for title in titles)
    assert "link" not in response.headers


def test_ties_are_broken_by_id_in_the_direction_of_the_sort(client: TestClient, user: str) -> None:
    made = [create(client, user, "same", priority="low") for _ in range(6)]

    ascending = client.get(f"{tasks_url(user)}?sort=title").json()
    descending = client.get(f"{tasks_url(user)}?sort=-priority").json()

    assert ids(ascending) == sorted(ids(made), key=uuid.UUID)
    assert ids(descending) == sorted(ids(made), key=uuid.UUID, reverse=True)


def test_the_updated_sort_follows_changes(client: TestClient, user: str) -> None:
    first, second, third = (create(client, user, title) for title in ("first", "second", "third"))
    client.patch(tasks_url(user, first["id"]), json={"priority": "low"})

    assert ids(client.get(f"{tasks_url(user)}?sort=-updated").json()) == [first["id"], third["id"], second["id"]]


BAD_LIST_QUERIES = {
    "limit 0": ("limit=0", "limit"),
    "limit 501": ("limit=501", "limit"),
    "limit negative": ("limit=-1", "limit"),
    "limit not a number": ("limit=ten", "limit"),
    "unknown sort": ("sort=size", "sort"),
    "sort with two dashes": ("sort=--title", "sort"),
    "unknown priority": ("priority=urgent", "priority"),
    "completed not a boolean": ("completed=maybe", "completed"),
    "due_before not a date": ("due_before=soon", "due_before"),
    "due_after a date without time": ("due_after=2026-06-01", "due_after"),
    "due_before without an offset, as a due_at would be refused": ("due_before=2026-06-01T09:00:00", "due_before"),
    "q longer than 200": ("q=" + "x" * 201, "q"),
    "cursor garbage": ("cursor=zzz", "cursor"),
}


@pytest.mark.parametrize(("query", "field"), BAD_LIST_QUERIES.values(), ids=BAD_LIST_QUERIES.keys())
def test_bad_list_parameters_are_400_naming_the_parameter(
    client: TestClient, user: str, query: str, field: str
) -> None:
    create(client, user)

    assert error_fields(client.get(f"{tasks_url(user)}?{query}"), 400) == {field}


@pytest.mark.parametrize("limit", [1, 499, 500])
def test_every_limit_from_1_to_500_is_allowed(client: TestClient, user: str, limit: int) -> None:
    task = create(client, user)

    response = client.get(f"{tasks_url(user)}?limit={limit}")

    assert response.status_code == 200, response.text
    assert response.json() == [task]


# --- a smoke subset of listing on every store ------------------------------------------------------


def test_filters_sorts_and_links_on_every_store(store_client: TestClient, user: str, other_user: str) -> None:
    for n in range(7):
        create(
            store_client,
            user,
            f"Task {n}",
            completed=n % 2 == 0,
            priority=["low", "high"][n % 2],
            due_at=None if n % 3 == 0 else f"2026-06-0{1 + n % 3}T09:00:00Z",
            tags=["even"] if n % 2 == 0 else ["odd"],
        )
    create(store_client, other_user, "Task of another", tags=["even"])

    even = store_client.get(f"{tasks_url(user)}?tag=even&completed=true&q=TASK").json()
    by_due = follow(store_client, f"{tasks_url(user)}?sort=-due&limit=2")
    titles = follow(store_client, f"{tasks_url(user)}?sort=title&priority=high&limit=1")

    assert [task["title"] for task in even] == ["Task 0", "Task 2", "Task 4", "Task 6"]
    flat = [task for page in by_due for task in page]
    assert sorted(ids(flat)) == sorted(ids(store_client.get(tasks_url(user)).json()))
    # No due date first, then latest first; ties by id, descending too.
    assert [task["due_at"] is None for task in flat] == [True] * 3 + [False] * 4
    assert {task["title"] for task in flat[:3]} == {"Task 0", "Task 3", "Task 6"}
    assert ids(flat[:3]) == sorted(ids(flat[:3]), key=uuid.UUID, reverse=True)
    assert [task["due_at"][:10] for task in flat[3:]] == ["2026-06-03"] * 2 + ["2026-06-02"] * 2
    assert ids(flat[3:5]) == sorted(ids(flat[3:5]), key=uuid.UUID, reverse=True)
    assert [page[0]["title"] for page in titles] == ["Task 1", "Task 3", "Task 5"]
    assert error_fields(store_client.get(f"{tasks_url(user)}?limit=0"), 400) == {"limit"}
    assert error_fields(store_client.get(f"{tasks_url(user)}?cursor=zzz"), 400) == {"cursor"}
