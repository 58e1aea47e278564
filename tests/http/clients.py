"""How the HTTP tests call the app: Litestar's TestClient, every answer checked for what holds everywhere, and
the paths, bodies and checks the test modules share."""

import re
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx
from litestar.testing import TestClient

from entrypoints.app import create_app
from entrypoints.settings import Settings

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
JSON = {"content-type": "application/json"}
DUE = "2026-09-01T10:00:00Z"

# A task body with every writable field set.
FULL_TASK: dict[str, Any] = {
    "title": "Start",
    "description": "notes",
    "completed": True,
    "priority": "medium",
    "due_at": DUE,
    "tags": ["a", "b"],
}
# Every writable field again, as an untidy client writes them: padded, with an offset, tags repeated.
UNTIDY_FULL_TASK = {
    "title": "  Plan the trip  ",
    "description": "book trains",
    "completed": True,
    "priority": "high",
    "due_at": "2026-09-01T12:00:00.250+02:00",
    "tags": [" travel ", "family", "travel", "Family"],
}


def tasks_url(user: str, task_id: str | None = None, suffix: str = "") -> str:
    """The path of a user's task collection, or of one task; the user id is always percent-encoded."""
    url = f"/api/{quote(user, safe='')}/tasks"
    return url if task_id is None else f"{url}/{task_id}{suffix}"


def create(client: httpx.Client, user: str, title: str = "Buy milk", **fields: Any) -> dict[str, Any]:
    response = client.post(tasks_url(user), json={"title": title, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def timestamp(value: str) -> datetime:
    assert RFC3339_UTC.match(value), value
    return datetime.fromisoformat(value)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Checks an RFC 9457 problem with the given status and returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["title"] == HTTPStatus(status).phrase
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def error_fields(response: httpx.Response, status: int = 422) -> set[str]:
    """The fields a validation problem names (each with a message)."""
    body = assert_problem(response, status)
    assert body["errors"], body
    assert all(isinstance(error["message"], str) and error["message"] for error in body["errors"])
    return {error["field"] for error in body["errors"]}


def etag_of(response: httpx.Response) -> str:
    tag = response.headers["etag"]
    assert re.fullmatch(r'"\d+"', tag), tag
    return tag


def ids(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["id"] for task in tasks]


def next_link(response: httpx.Response) -> str | None:
    """The target of `Link: <...>; rel="next"`, or None on the last page."""
    link = response.headers.get("link")
    if link is None:
        return None
    found = re.fullmatch(r'<([^<>]+)>; rel="next"', link)
    assert found, link
    return found.group(1)


def follow(client: TestClient, url: str) -> list[list[dict[str, Any]]]:
    """Every page, following the Link header to the end."""
    pages = []
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        next_url = next_link(response)
        assert len(pages) < 100, "the Link header never ends"
    return pages


LEAKS = ("Traceback", "sqlalchemy", "psycopg", "SELECT")


def _check_response(response: httpx.Response) -> None:
    response.read()
    assert response.status_code != 500, response.text
    if response.status_code >= 400:
        for leak in LEAKS:
            assert leak not in response.text, f"{leak!r} leaked: {response.text}"


def open_client(database_url: str, **settings: object) -> TestClient:
    client = TestClient(create_app(Settings(database_url=database_url, **settings)))  # type: ignore[arg-type]
    client.event_hooks = {"request": [], "response": [_check_response]}
    return client
