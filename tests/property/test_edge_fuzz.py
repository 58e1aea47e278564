"""Hypothesis over the edge's inputs: nested bodies and percent-escapes that are not UTF-8.

Every answer keeps the error promise (a problem, nothing internal, never a 500), and a refused
request changes nothing: a victim's tasks stay as they were, and no other owner gains any.
"""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from adapters.http.nesting import MAX_JSON_DEPTH
from entrypoints.app import create_app
from entrypoints.settings import Settings
from tests.property.problems import problem_violations

VICTIM = "\ufffd"  # the owner every non-UTF-8 escape used to collapse into


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url="memory://", access_log=False))) as client:
        client.post(f"/api/{quote_from_bytes(VICTIM.encode())}/tasks", json={"title": "the victim's"})
        yield client


def victims_tasks(client: TestClient) -> list[Any]:
    return list(client.get("/api/%EF%BF%BD/tasks").json())


def check(response: Any, sent: str = "") -> None:
    assert response.status_code != 500, response.text
    if response.status_code >= 400:
        assert not problem_violations(
            response.status_code, response.headers.get("content-type"), response.content, sent
        )


LEAF = st.one_of(st.none(), st.integers(), st.text(alphabet='[]{}"\\ab', max_size=5))
# One level around the value inside: an array, or an object holding it under a key; either may hold a
# shallow sibling too, so that bodies also have more brackets than the limit without nesting deeper.
LEVEL: st.SearchStrategy[tuple[str, str, Any]] = st.tuples(
    st.sampled_from(["array", "object"]),
    st.text(alphabet="ab[{", max_size=2),
    st.sampled_from([None, [], {}, [[]], {"a": [1]}]),
)
LEVELS = st.one_of(
    st.lists(LEVEL, max_size=60),
    st.lists(LEVEL, min_size=MAX_JSON_DEPTH - 3, max_size=MAX_JSON_DEPTH + 1),  # both sides of the limit
)


def nest(leaf: Any, levels: list[tuple[str, str, Any]]) -> Any:
    """The leaf wrapped in the levels, innermost first. Built from flat draws: a strategy that
    recursed once per level would overrun Hypothesis's buffer long before the limit."""
    value = leaf
    for kind, key, sibling in levels:
        if kind == "array":
            value = [value] if sibling is None else [value, sibling]
        else:
            value = {key: value} if sibling is None else {key: value, f"{key}~": sibling}
    return value


def depth_of(value: Any) -> int:
    """How deeply arrays and objects nest in a decoded JSON value."""
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


def array_levels(count: int) -> list[tuple[str, str, Any]]:
    """`count` levels of plain arrays, one inside the next."""
    return [("array", "", None)] * count


@given(leaf=LEAF, levels=LEVELS, route=st.sampled_from(["post", "put", "complete"]))
@example(leaf=None, levels=array_levels(MAX_JSON_DEPTH - 1), route="post")  # with the body object: the limit itself
@example(leaf=None, levels=array_levels(MAX_JSON_DEPTH), route="post")  # one level beyond
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_nested_bodies_are_accepted_up_to_the_limit_and_refused_beyond(
    client: TestClient, leaf: Any, levels: list[tuple[str, str, Any]], route: str
) -> None:
    body = {"title": "t", "completed": True, "id": nest(leaf, levels)}  # `id`: read-only, ignored
    raw = json.dumps(body)
    before = victims_tasks(client)
    task = client.post("/api/nester/tasks", json={"title": "target"}).json()
    if route == "post":
        response = client.post("/api/nester/tasks", content=raw, headers={"content-type": "application/json"})
    elif route == "put":
        response = client.put(
            f"/api/nester/tasks/{task['id']}", content=raw, headers={"content-type": "application/json"}
        )
    else:
        response = client.patch(
            f"/api/nester/tasks/{task['id']}/complete", content=raw, headers={"content-type": "application/json"}
        )
    check(response, raw)
    if depth_of(body) <= MAX_JSON_DEPTH:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 400
        assert client.get(f"/api/nester/tasks/{task['id']}").json() == task
    assert victims_tasks(client) == before


@given(raw=st.binary(min_size=1, max_size=12))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_escaped_user_ids_that_are_not_utf8_are_refused_and_touch_no_other_owner(
    client: TestClient, raw: bytes
) -> None:
    owner = quote_from_bytes(raw, safe="")
    before = victims_tasks(client)
    created = client.post(f"/api/{owner}/tasks", json={"title": "probe"})
    listed = client.get(f"/api/{owner}/tasks")
    for response in (created, listed):
        check(response)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        assert created.status_code == listed.status_code == 400
    else:
        if "/" in text:  # the router would fold the empty segment: no owner is reached
            assert created.status_code == listed.status_code == 404
        if created.status_code == 201:
            assert created.json()["user_id"] == text
            assert listed.json()[-1]["id"] == created.json()["id"]
    if raw != VICTIM.encode():
        assert victims_tasks(client) == before
