"""Through the app: nested bodies, non-UTF-8 user ids, dot-segment user ids, lone surrogates."""

import logging
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.http.nesting import MAX_JSON_DEPTH, check_nesting

JSON = {"content-type": "application/json"}


def nested(depth: int) -> bytes:
    """A task body whose read-only (so ignored) field `id` nests `depth` arrays: the body itself is one level more."""
    return b'{"title":"t","id":' + b"[" * depth + b"]" * depth + b"}"


def write(client: TestClient, user: str, method: str, body: bytes) -> Any:
    task = client.post(f"/api/{user}/tasks", json={"title": "kept"}).json()
    paths = {
        "POST": f"/api/{user}/tasks",
        "PUT": f"/api/{user}/tasks/{task['id']}",
        "PATCH": f"/api/{user}/tasks/{task['id']}",
        "COMPLETE": f"/api/{user}/tasks/{task['id']}/complete",
    }
    response = client.request("PATCH" if method == "COMPLETE" else method, paths[method], content=body, headers=JSON)
    return response, task


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "COMPLETE"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 980, 32_000])
def test_a_body_nested_beyond_the_limit_is_a_400_logged_in_one_line(
    store_client: TestClient, user: str, method: str, depth: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response, task = write(store_client, user, method, nested(depth))

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert f"deeper than {MAX_JSON_DEPTH} levels" in response.json()["detail"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        f"refused a body nested too deeply on PUT (request {response.headers['x-request-id']})".replace(
            "PUT", "PATCH" if method == "COMPLETE" else method
        )
    ]
    assert not caplog.text.count("Traceback")
    assert store_client.get(f"/api/{user}/tasks").json() == [task]  # nothing written


def test_a_body_nested_up_to_the_limit_is_accepted(client: TestClient, user: str) -> None:
    response = client.post(f"/api/{user}/tasks", content=nested(MAX_JSON_DEPTH - 1), headers=JSON)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b'{"a":"' + b"[" * 1000 + b'"}', False),  # brackets in a string do not nest
        (b'{"a":"\\"' + b"[" * 1000 + b'"}', False),
        (b"[]" * 1000, False),
        (b"[" * 33 + b"]" * 33, True),
        (b"[{" * 17 + b"}]" * 17, True),
    ],
)
def test_nesting_counts_arrays_and_objects_not_strings(body: bytes, deep: bool) -> None:
    if deep:
        with pytest.raises(ValueError, match="deeper than 32"):
            check_nesting(body)
    else:
        check_nesting(body)


@pytest.mark.parametrize("escape", ["%FF", "%FE", "%C0%C1", "%ED%B2%80", "a%80b"])
def test_a_user_id_that_is_not_utf8_is_a_400_and_touches_nothing(
    store_client: TestClient, user: str, escape: str
) -> None:
    replacement = f"%EF%BF%BD{user}"
    mine = store_client.post(f"/api/{replacement}/tasks", json={"title": "mine"}).json()

    created = store_client.post(f"/api/{escape}{user}/tasks", json={"title": "theirs"})
    listed = store_client.get(f"/api/{escape}{user}/tasks")
    read = store_client.get(f"/api/{escape}{user}/tasks/{mine['id']}")

    for response in (created, listed, read):
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert "UTF-8" in response.json()["detail"]
        assert response.headers["x-request-id"]
    assert store_client.get(f"/api/{replacement}/tasks").json() == [mine]  # a real U+FFFD is its own owner
    assert mine["user_id"] == f"\ufffd{user}"


@pytest.mark.parametrize("escaped", ["{user}%2F", "%2F{user}", "{user}%2f%2F", "%2F%2F{user}"])
def test_a_slash_in_a_user_id_finds_no_route_and_never_reaches_the_owner_without_it(
    store_client: TestClient, user: str, escaped: str
) -> None:
    mine = store_client.post(f"/api/{user}/tasks", json={"title": "mine"}).json()
    owner = escaped.format(user=user)

    for response in (
        store_client.post(f"/api/{owner}/tasks", json={"title": "theirs"}),
        store_client.get(f"/api/{owner}/tasks"),
        store_client.get(f"/api/{owner}/tasks/{mine['id']}"),
        store_client.delete(f"/api/{owner}/tasks/{mine['id']}"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert store_client.get(f"/api/{user}/tasks").json() == [mine]


@pytest.mark.parametrize("owner", ["%2E", "%2E%2E", "%2e%2E", ".%2E"])
def test_dot_segment_user_ids_are_refused_with_422(client: TestClient, owner: str) -> None:
    created = client.post(f"/api/{owner}/tasks", json={"title": "lost"})
    listed = client.get(f"/api/{owner}/tasks")

    for response in (created, listed):
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "user_id"
    assert "location" not in created.headers


def test_dots_inside_a_user_id_are_kept_and_located(client: TestClient) -> None:
    created = client.post("/api/.../tasks", json={"title": "fine"})
    assert created.status_code == 201
    assert created.headers["location"].startswith("/api/.../tasks/")
    assert client.get(created.headers["location"]).status_code == 200


def test_a_lone_surrogate_is_a_400_as_the_readme_says(client: TestClient, user: str) -> None:
    response = client.post(f"/api/{user}/tasks", content=b'{"title":"\\udc80"}', headers=JSON)

    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert client.get(f"/api/{user}/tasks").json() == []


def test_each_refusal_at_the_edge_carries_its_own_request_id(client: TestClient) -> None:
    answers = [client.get(path, headers={"X-Request-ID": f"edge-{n}"}) for n, path in enumerate(["/api/%FF/tasks"] * 3)]

    assert [answer.headers.get_list("x-request-id") for answer in answers] == [
        ["edge-0"],
        ["edge-1"],
        ["edge-2"],
    ]
