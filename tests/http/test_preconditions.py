"""ETags on task answers and the preconditions built on them: If-Match on writes (412 when it names
another version), If-None-Match on reads (304 while the task is unchanged)."""

import uuid
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from adapters.http.conditional import versions_allowed
from tests.http.clients import assert_problem, create, etag_of, tasks_url

# --- ETags ------------------------------------------------------------------------------------


def test_every_task_response_carries_an_etag_that_changes_on_each_write(client: TestClient, user: str) -> None:
    created = client.post(tasks_url(user), json={"title": "t"})
    url = created.headers["location"]
    responses = [
        created,
        client.get(url),
        client.put(url, json={"title": "u"}),
        client.patch(url, json={"priority": "low"}),
        client.patch(url + "/complete"),
        client.patch(url + "/complete", json={"completed": False}),
    ]

    tags = [etag_of(response) for response in responses]

    assert tags == ['"1"', '"1"', '"2"', '"3"', '"4"', '"5"']
    assert etag_of(client.get(url)) == '"5"'


def test_a_no_op_completion_keeps_the_etag(client: TestClient, user: str) -> None:
    created = client.post(tasks_url(user), json={"title": "t"})
    url = created.headers["location"] + "/complete"

    response = client.patch(url, json={"completed": False})

    assert response.json() == created.json()
    assert etag_of(response) == etag_of(created)


def test_the_list_and_a_delete_carry_no_etag(client: TestClient, user: str) -> None:
    task = create(client, user)

    assert "etag" not in client.get(tasks_url(user)).headers
    assert "etag" not in client.delete(tasks_url(user, task["id"])).headers


# --- If-Match ---------------------------------------------------------------------------------

# name: (method, suffix, body)
WRITES = {
    "PUT": ("PUT", "", {"title": "written", "priority": "high"}),
    "PATCH": ("PATCH", "", {"title": "written"}),
    "DELETE": ("DELETE", "", None),
    "toggle": ("PATCH", "/complete", None),
    "set completion": ("PATCH", "/complete", {"completed": True}),
}


@pytest.fixture
def at_version_3(client: TestClient, user: str) -> httpx.Response:
    task = create(client, user, "original", description="keep")
    url = tasks_url(user, task["id"])
    client.patch(url, json={"priority": "low"})
    client.patch(url, json={"priority": "medium"})
    response = client.get(url)
    assert etag_of(response) == '"3"'
    return response


@pytest.mark.parametrize("if_match", ['"1"', '"2"', '"4"', 'W/"3"', '"1", "2"', "3", '"three"', '""'])
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_under_a_stale_or_weak_if_match_is_412_and_writes_nothing(
    client: TestClient, at_version_3: httpx.Response, write: tuple[str, str, Any], if_match: str
) -> None:
    method, suffix, body = write
    url = at_version_3.url.path

    response = client.request(method, url + suffix, json=body, headers={"if-match": if_match})

    assert_problem(response, 412)
    after = client.get(url)
    assert (after.json(), after.headers["etag"]) == (at_version_3.json(), '"3"')


@pytest.mark.parametrize(
    ("header", "versions"),
    [('"\u00b2"', set()), ('"\u0661\u0662"', set()), ('"\u00b3", "3"', {3})],
    ids=["superscript", "arabic-indic", "beside-ascii"],
)
def test_if_match_digits_other_than_ascii_name_no_version(header: str, versions: frozenset[int]) -> None:
    # A server hands over header bytes as Latin-1, so a byte 0xB2 arrives as "²", which str.isdigit accepts.
    assert versions_allowed(header) == versions


@pytest.mark.parametrize("if_match", ['"3"', "*", ' "3" ', '"1", "3"', '"3", W/"2"', 'W/"3", "3"'])
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_under_a_matching_if_match_happens(
    client: TestClient, at_version_3: httpx.Response, write: tuple[str, str, Any], if_match: str
) -> None:
    method, suffix, body = write
    url = at_version_3.url.path

    response = client.request(method, url + suffix, json=body, headers={"if-match": if_match})

    assert response.status_code in (200, 204), response.text
    if method == "DELETE":
        assert_problem(client.get(url), 404)
    else:
        assert etag_of(response) == '"4"'
        assert client.get(url).json() == response.json()


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_if_match_on_a_missing_task_is_404(client: TestClient, user: str, write: tuple[str, str, Any]) -> None:
    method, suffix, body = write

    response = client.request(
        method, tasks_url(user, str(uuid.uuid4())) + suffix, json=body, headers={"if-match": '"1"'}
    )

    assert_problem(response, 404)


def test_a_lost_update_is_prevented(client: TestClient, user: str) -> None:
    task = client.post(tasks_url(user), json={"title": "shared"})
    url, tag = task.headers["location"], task.headers["etag"]

    alice = client.put(url, json={"title": "alice's"}, headers={"if-match": tag})
    bob = client.put(url, json={"title": "bob's"}, headers={"if-match": tag})

    assert alice.status_code == 200
    assert_problem(bob, 412)
    assert client.get(url).json()["title"] == "alice's"


def test_if_match_on_every_store(store_client: TestClient, user: str) -> None:
    created = store_client.post(tasks_url(user), json={"title": "t", "tags": ["x"]})
    url = created.headers["location"]
    changed = store_client.patch(url, json={"title": "changed"}, headers={"if-match": created.headers["etag"]})

    stale = store_client.put(url, json={"title": "stale"}, headers={"if-match": created.headers["etag"]})
    stale_delete = store_client.delete(url, headers={"if-match": created.headers["etag"]})

    assert changed.status_code == 200
    assert etag_of(changed) == '"2"'
    assert_problem(stale, 412)
    assert_problem(stale_delete, 412)
    after = store_client.get(url)
    assert (after.json(), etag_of(after)) == (changed.json(), '"2"')
    assert store_client.delete(url, headers={"if-match": '"2"'}).status_code == 204


# --- If-None-Match ----------------------------------------------------------------------------


@pytest.mark.parametrize("if_none_match", ['"3"', 'W/"3"', "*", '"1", "3"', '"9",W/"3"'])
def test_if_none_match_with_the_current_tag_is_304_with_empty_body_and_the_etag(
    client: TestClient, at_version_3: httpx.Response, if_none_match: str
) -> None:
    response = client.get(at_version_3.url.path, headers={"if-none-match": if_none_match})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == '"3"'


@pytest.mark.parametrize("if_none_match", ['"2"', '"4"', 'W/"2"', '"1", "2"', "3"])
def test_if_none_match_with_another_tag_is_200_with_the_task(
    client: TestClient, at_version_3: httpx.Response, if_none_match: str
) -> None:
    response = client.get(at_version_3.url.path, headers={"if-none-match": if_none_match})

    assert response.status_code == 200
    assert response.json() == at_version_3.json()
    assert response.headers["etag"] == '"3"'


def test_if_none_match_on_a_missing_task_is_404(client: TestClient, user: str) -> None:
    assert_problem(client.get(tasks_url(user, str(uuid.uuid4())), headers={"if-none-match": "*"}), 404)


def test_a_cached_copy_goes_stale_after_a_write(store_client: TestClient, user: str) -> None:
    created = store_client.post(tasks_url(user), json={"title": "t"})
    url, tag = created.headers["location"], created.headers["etag"]

    unchanged = store_client.get(url, headers={"if-none-match": tag})
    store_client.patch(url + "/complete")
    changed = store_client.get(url, headers={"if-none-match": tag})

    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", tag)
    assert changed.status_code == 200
    assert changed.json()["completed"] is True
    assert changed.headers["etag"] == '"2"'
