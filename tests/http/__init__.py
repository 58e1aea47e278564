"""HTTP tests: the contract in /work/shared/api-contract.md, driven through Litestar's TestClient.

Small helpers shared by the test modules live here; fixtures live in conftest.py.
"""

import re
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


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
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def error_fields(response: httpx.Response, status: int = 422) -> set[str]:
    """The fields a validation problem names (each with a message)."""
    body = assert_problem(response, status)
    assert body["errors"], body
    assert all(isinstance(error["message"], str) and error["message"] for error in body["errors"])
    return {error["field"] for error in body["errors"]}
