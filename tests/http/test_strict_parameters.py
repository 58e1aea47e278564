"""No request parameter silently ignored: the plan's own names (`status`, `sort=due_date`) are served
as meant, and a query parameter or body field the endpoint does not know is refused, naming it."""

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.clients import assert_problem, create, error_fields, tasks_url

LIST_PARAMETERS = "completed, status, priority, tag, due_before, due_after, q, recurring, sort, limit, cursor"


@pytest.fixture
def listed(client: TestClient, user: str) -> dict[str, dict[str, Any]]:
    return {
        "Buy milk": create(client, user, "Buy milk", due_at="2026-06-02T09:00:00Z"),
        "Pay rent": create(client, user, "Pay rent", completed=True, due_at="2026-06-01T09:00:00Z"),
        "Call Bob": create(client, user, "Call Bob", due_at="2026-06-03T09:00:00Z"),
        "Archive": create(client, user, "Archive", completed=True),
    }


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()]


# --- what front ends written against the plan send -------------------------------------------------

PLAN_CLIENT_LISTINGS = {
    "pending, by due date": ("status=pending&sort=due_date", ["Buy milk", "Call Bob"]),
    "completed, latest due first": ("status=completed&sort=-due_date", ["Archive", "Pay rent"]),
    "all": ("status=all", ["Buy milk", "Pay rent", "Call Bob", "Archive"]),
    "status and completed agreeing": ("status=pending&completed=false", ["Buy milk", "Call Bob"]),
    "due_date is due": ("sort=due_date", ["Pay rent", "Buy milk", "Call Bob", "Archive"]),
}


@pytest.mark.parametrize(("query", "expected"), PLAN_CLIENT_LISTINGS.values(), ids=PLAN_CLIENT_LISTINGS.keys())
def test_the_plans_listing_names_are_served_as_meant(
    client: TestClient, user: str, listed: dict[str, Any], query: str, expected: list[str]
) -> None:
    assert titles(client.get(f"{tasks_url(user)}?{query}")) == expected


PLAN_CLIENT_REFUSALS = {
    "search for q": ("search=milk", "search"),
    "sort_by for sort": ("sort_by=title", "sort_by"),
    "an unknown status": ("status=done", "status"),
    "status and completed disagreeing": ("status=pending&completed=true", "status"),
    "all with a completion filter": ("status=all&completed=true", "status"),
    "an unknown parameter beside known ones": ("status=pending&page=2", "page"),
}


@pytest.mark.parametrize(("query", "field"), PLAN_CLIENT_REFUSALS.values(), ids=PLAN_CLIENT_REFUSALS.keys())
def test_what_the_service_cannot_serve_as_meant_is_a_400_naming_it(
    client: TestClient, user: str, listed: dict[str, Any], query: str, field: str
) -> None:
    assert error_fields(client.get(f"{tasks_url(user)}?{query}"), 400) == {field}


def test_an_unknown_query_parameter_is_named_with_the_known_ones(client: TestClient, user: str) -> None:
    problem = assert_problem(client.get(f"{tasks_url(user)}?search=milk&sort_by=title"), 400)

    assert problem["detail"] == f"Unknown query parameter `search`, `sort_by`; this endpoint takes {LIST_PARAMETERS}."
    messages = {error["field"]: error["message"] for error in problem["errors"]}
    assert messages["search"] == f"unknown; the known ones are {LIST_PARAMETERS}"
    assert messages["sort_by"] == f"unknown (did you mean `sort`?); the known ones are {LIST_PARAMETERS}"


def test_an_unknown_status_lists_the_known_values(client: TestClient, user: str) -> None:
    problem = assert_problem(client.get(f"{tasks_url(user)}?status=open"), 400)

    assert problem["errors"] == [{"field": "status", "message": "must be one of all, pending, completed"}]


@pytest.mark.parametrize(
    ("path", "known"),
    [
        ("/api/{user}/changes", "after, limit"),
        ("/api/{user}/tasks/{task}/history", "limit, cursor"),
        ("/api/{user}/tasks/{task}", None),
        ("/health", None),
    ],
)
def test_every_endpoint_refuses_a_query_parameter_it_does_not_take(
    client: TestClient, user: str, path: str, known: str | None
) -> None:
    task = create(client, user)

    response = client.get(path.format(user=user, task=task["id"]) + "?verbose=1")

    problem = assert_problem(response, 400)
    takes = f"takes {known}" if known else "takes no query parameters"
    assert problem["detail"] == f"Unknown query parameter `verbose`; this endpoint {takes}."


def test_the_next_page_of_a_status_listing_keeps_the_filter(client: TestClient, user: str) -> None:
    made = [create(client, user, f"t{n}", completed=n % 2 == 1, due_at=f"2026-06-0{n + 1}T09:00:00Z") for n in range(5)]

    first = client.get(f"{tasks_url(user)}?status=pending&sort=due_date&limit=2")
    following = client.get(first.links["next"]["url"])

    assert titles(first) + titles(following) == [task["title"] for task in made if not task["completed"]]


def test_status_filters_on_every_store(store_client: TestClient, user: str) -> None:
    create(store_client, user, "open")
    create(store_client, user, "done", completed=True)

    assert titles(store_client.get(f"{tasks_url(user)}?status=pending")) == ["open"]
    assert titles(store_client.get(f"{tasks_url(user)}?status=completed&sort=-due_date")) == ["done"]
    assert error_fields(store_client.get(f"{tasks_url(user)}?search=x"), 400) == {"search"}


# --- bodies -----------------------------------------------------------------------------------------


def test_the_plans_due_date_is_a_422_that_says_due_at(client: TestClient, user: str) -> None:
    response = client.post(tasks_url(user), json={"title": "Buy milk", "due_date": "2026-06-01T09:00:00Z"})

    problem = assert_problem(response, 422)
    assert len(problem["errors"]) == 1
    assert problem["errors"][0]["field"] == "due_date"
    assert "did you mean `due_at`?" in problem["errors"][0]["message"]
    assert client.get(tasks_url(user)).json() == []


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_unknown_field_in_an_edit_is_a_422_and_changes_nothing(client: TestClient, user: str, method: str) -> None:
    task = create(client, user)

    response = client.request(method, tasks_url(user, task["id"]), json={"title": "New", "due_date": None})

    assert error_fields(response) == {"due_date"}
    assert client.get(tasks_url(user, task["id"])).json() == task


def test_every_unknown_field_is_named(client: TestClient, user: str) -> None:
    response = client.post(tasks_url(user), json={"title": "t", "colour": "red", "done": True, "id": "mine"})

    assert error_fields(response) == {"colour", "done"}


def test_a_client_may_send_back_the_whole_task_it_read(client: TestClient, user: str) -> None:
    task = create(client, user, "Buy milk", tags=["home"])
    read = client.get(tasks_url(user, task["id"])).json() | {"version": 1}

    patched = client.patch(tasks_url(user, task["id"]), json=read | {"title": "Buy oat milk"})
    completed = client.patch(tasks_url(user, task["id"], "/complete"), json=read | {"completed": True})

    assert patched.status_code == 200, patched.text
    assert patched.json()["title"] == "Buy oat milk"
    assert completed.status_code == 200, completed.text
    assert completed.json()["completed"] is True
    assert error_fields(client.patch(tasks_url(user, task["id"], "/complete"), json={"done": True})) == {"done"}


# --- the document ----------------------------------------------------------------------------------


def test_the_document_describes_status_and_the_sort_names(client: TestClient) -> None:
    document = client.get("/docs/openapi.json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/{user_id}/tasks"]["get"]["parameters"]}

    assert parameters["status"]["schema"]["enum"] == ["all", "pending", "completed"]
    assert {"due_date", "-due_date", "due", "-due"} <= set(parameters["sort"]["schema"]["enum"])
    assert "400" in document["paths"]["/api/{user_id}/tasks"]["get"]["responses"]
