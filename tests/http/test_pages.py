"""Cursor pages of a list: the Link header to the next page, and the cursors it hands out, which
hold for their own query only and are refused when malformed, altered or forged."""

import base64
import json
import re
import uuid

import pytest
from litestar.testing import TestClient

from tests.http.clients import DUE, create, error_fields, follow, ids, next_link, tasks_url


def test_a_default_page_holds_100_tasks_and_links_to_the_rest(client: TestClient, user: str) -> None:
    made = [create(client, user, f"task {n}")["id"] for n in range(130)]

    first = client.get(tasks_url(user))
    pages = follow(client, tasks_url(user))

    assert len(first.json()) == 100
    assert next_link(first) is not None
    assert [len(page) for page in pages] == [100, 30]
    assert [task_id for page in pages for task_id in ids(page)] == made


@pytest.mark.parametrize("size", [1, 2, 3, 7])
@pytest.mark.parametrize(
    "query", ["", "sort=-created", "sort=title", "sort=-due", "sort=priority", "sort=-updated", "completed=false"]
)
def test_following_links_gives_every_task_once_in_order(client: TestClient, user: str, query: str, size: int) -> None:
    for n in range(8):
        create(
            client,
            user,
            f"t{n % 3}",
            completed=n % 4 == 0,
            priority=["none", "low", "high"][n % 3],
            due_at=None if n % 3 == 0 else f"2026-06-0{1 + n % 2}T09:00:00Z",
        )
    whole = client.get(f"{tasks_url(user)}?{query}&limit=100").json()
    assert len(whole) == (6 if query == "completed=false" else 8)

    pages = follow(client, f"{tasks_url(user)}?{query}&limit={size}")

    assert [task for page in pages for task in page] == whole
    assert all(len(page) == size for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= size


def test_the_link_keeps_the_other_parameters_and_replaces_the_cursor(client: TestClient, user: str) -> None:
    for n in range(5):
        create(client, user, f"t{n}", priority="high")

    first = client.get(f"{tasks_url(user)}?priority=high&sort=-title&limit=2")
    link = next_link(first)
    assert link is not None
    second = client.get(link)
    link2 = next_link(second)

    assert link.startswith(tasks_url(user) + "?")
    for parameter in ("priority=high", "sort=-title", "limit=2", "cursor="):
        assert parameter in link
    assert link2 is not None
    assert link2.count("cursor=") == 1
    assert link2 != link
    assert [t["title"] for t in first.json() + second.json()] == ["t4", "t3", "t2", "t1"]


def test_a_page_exactly_as_long_as_the_limit_has_no_link(client: TestClient, user: str) -> None:
    for n in range(3):
        create(client, user, f"t{n}")

    response = client.get(f"{tasks_url(user)}?limit=3")

    assert len(response.json()) == 3
    assert "link" not in response.headers


ODD_OWNERS = ["a b", "o'brien", "p%q", "a?b", "#hash", "x&cursor=1", "ü", "用户", "🦄"]


@pytest.mark.parametrize("owner", ODD_OWNERS)
def test_links_work_for_odd_user_ids(client: TestClient, owner: str) -> None:
    made = [create(client, owner, f"t{n}")["id"] for n in range(3)]

    response = client.get(f"{tasks_url(owner)}?limit=2")

    assert response.status_code == 200, response.text
    link = next_link(response)
    assert link is not None
    # A URI reference: ASCII, no spaces, every % starting an escape.
    assert link.isascii(), link
    assert " " not in link, link
    assert re.fullmatch(r"([^%]|%[0-9A-Fa-f]{2})*", link), link
    assert [task_id for page in follow(client, f"{tasks_url(owner)}?limit=2") for task_id in ids(page)] == made


def a_cursor(client: TestClient, user: str, query: str = "") -> str:
    for n in range(3):
        create(client, user, f"t{n}", due_at=DUE)
    link = next_link(client.get(f"{tasks_url(user)}?limit=1&{query}"))
    assert link is not None
    found = re.search(r"[?&]cursor=([^&]+)", link)
    assert found
    return found.group(1)


@pytest.mark.parametrize(
    "cursor",
    ["zzz", "", "%00", "!!!!", base64.urlsafe_b64encode(b"[]").decode(), base64.urlsafe_b64encode(b"{}").decode()],
    ids=["garbage", "empty", "nul", "punctuation", "empty-array", "object"],
)
def test_a_malformed_cursor_is_400(client: TestClient, user: str, cursor: str) -> None:
    create(client, user)

    assert error_fields(client.get(f"{tasks_url(user)}?cursor={cursor}"), 400) == {"cursor"}


def test_a_truncated_or_altered_cursor_is_400(client: TestClient, user: str) -> None:
    cursor = a_cursor(client, user)

    for bad in (cursor[:-3], cursor[:10], "A" + cursor[1:], cursor + "xx"):
        assert error_fields(client.get(f"{tasks_url(user)}?limit=1&cursor={bad}"), 400) == {"cursor"}


@pytest.mark.parametrize(
    ("made_for", "used_for"),
    [
        ("sort=created", "sort=-created"),
        ("sort=created", "sort=updated"),
        ("sort=title", "sort=priority"),
        ("sort=due", "sort=-due"),
        ("", "completed=true"),
        ("priority=low", "priority=high"),
        ("q=a", "q=b"),
        ("tag=x", ""),
        ("due_before=2026-10-01T00:00:00Z", "due_before=2026-10-02T00:00:00Z"),
    ],
)
def test_a_cursor_from_another_query_is_400(client: TestClient, user: str, made_for: str, used_for: str) -> None:
    for n in range(3):
        create(client, user, f"a b {n}", priority="low", tags=["x"], due_at=DUE)
    link = next_link(client.get(f"{tasks_url(user)}?limit=1&{made_for}"))
    assert link is not None
    cursor = re.search(r"cursor=([^&]+)", link).group(1)

    assert client.get(f"{tasks_url(user)}?limit=1&{made_for}&cursor={cursor}").status_code == 200
    assert error_fields(client.get(f"{tasks_url(user)}?limit=1&{used_for}&cursor={cursor}"), 400) == {"cursor"}


def forge(cursor: str, value: object) -> str:
    """A real cursor's nonce and tag around a chosen position in plain text: what a client could try."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    plain = json.dumps([value, str(uuid.uuid4())]).encode()
    return base64.urlsafe_b64encode(raw[:12] + plain + raw[-16:]).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("sort=created", "not a date"),
        ("sort=created", "2026-01-01T00:00:00"),
        ("sort=created", 5),
        ("sort=created", None),
        ("sort=priority", 7),
        ("sort=priority", "high"),
        ("sort=title", 3),
        ("sort=title", "a\u0000b"),
        ("sort=due", "2026-13-01T00:00:00Z"),
    ],
)
def test_a_forged_cursor_is_400_never_500(client: TestClient, user: str, sort: str, value: object) -> None:
    cursor = a_cursor(client, user, sort)

    assert error_fields(client.get(f"{tasks_url(user)}?limit=1&{sort}&cursor={forge(cursor, value)}"), 400) == {
        "cursor"
    }


def test_a_user_id_is_percent_encoded_in_every_link(store_client: TestClient) -> None:
    owner = f"team a?b {uuid.uuid4().hex[:6]}"
    made = [create(store_client, owner, f"t{n}")["id"] for n in range(3)]

    pages = follow(store_client, f"{tasks_url(owner)}?limit=2")

    assert [task_id for page in pages for task_id in ids(page)] == made
