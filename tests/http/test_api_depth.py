"""The deeper API: new task fields, listing queries and cursor pages, JSON Merge Patch, ETags and
preconditions, and idempotent creation. Most tests run on `memory://`; a smoke subset on every store."""

import base64
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from tests.http import RFC3339_UTC, assert_problem, create, error_fields, tasks_url, timestamp

JSON = {"content-type": "application/json"}
DUE = "2026-09-01T10:00:00Z"
RICH = {
    "title": "  Plan the trip  ",
    "description": "book trains",
    "completed": True,
    "priority": "high",
    "due_at": "2026-09-01T12:00:00.250+02:00",
    "tags": [" travel ", "family", "travel", "Family"],
}
OLD_FIELDS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}
NEW_FIELDS = {"priority", "due_at", "tags", "completed_at"}


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


def ids(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["id"] for task in tasks]


def etag_of(response: httpx.Response) -> str:
    tag = response.headers["etag"]
    assert re.fullmatch(r'"\d+"', tag), tag
    return tag


# --- creating with the new fields ---------------------------------------------------------------


def test_create_with_every_new_field_on_every_store(store_client: TestClient, user: str) -> None:
    response = store_client.post(tasks_url(user), json=RICH)

    assert response.status_code == 201, response.text
    task = response.json()
    assert task.keys() == OLD_FIELDS | NEW_FIELDS
    assert (task["title"], task["description"], task["completed"]) == ("Plan the trip", "book trains", True)
    assert task["priority"] == "high"
    assert task["due_at"] == "2026-09-01T10:00:00.250000Z"
    assert task["tags"] == ["travel", "family", "Family"]
    assert timestamp(task["completed_at"]) == timestamp(task["created_at"]) == timestamp(task["updated_at"])
    assert etag_of(response) == '"1"'
    read = store_client.get(response.headers["location"])
    assert read.json() == task
    assert etag_of(read) == '"1"'


def test_new_fields_default_to_none_no_date_no_tags(client: TestClient, user: str) -> None:
    task = create(client, user, "Plain")

    assert (task["priority"], task["due_at"], task["tags"], task["completed_at"]) == ("none", None, [], None)


@pytest.mark.parametrize("priority", ["none", "low", "medium", "high"])
def test_each_priority_label_round_trips(client: TestClient, user: str, priority: str) -> None:
    task = create(client, user, priority=priority)

    assert task["priority"] == priority
    assert client.get(tasks_url(user, task["id"])).json()["priority"] == priority


@pytest.mark.parametrize(
    ("due_at", "stored"),
    [
        ("2026-09-01T10:00:00Z", "2026-09-01T10:00:00Z"),
        ("2026-09-01T10:00:00+00:00", "2026-09-01T10:00:00Z"),
        ("2026-09-01T05:30:00-04:30", "2026-09-01T10:00:00Z"),
        ("2026-09-01T10:00:00.000001Z", "2026-09-01T10:00:00.000001Z"),
    ],
)
def test_due_at_is_kept_in_utc(client: TestClient, user: str, due_at: str, stored: str) -> None:
    task = create(client, user, due_at=due_at)

    assert RFC3339_UTC.match(task["due_at"])
    assert timestamp(task["due_at"]) == timestamp(stored)


def test_twenty_tags_of_forty_characters_are_accepted(client: TestClient, user: str) -> None:
    tags = [f"{n:02d}" + "t" * 38 for n in range(20)]

    assert create(client, user, tags=tags)["tags"] == tags


BAD_NEW_FIELDS = {
    "unknown priority": ({"priority": "urgent"}, "priority"),
    "priority in capitals": ({"priority": "HIGH"}, "priority"),
    "numeric priority": ({"priority": 3}, "priority"),
    "null priority": ({"priority": None}, "priority"),
    "due without offset": ({"due_at": "2026-09-01T10:00:00"}, "due_at"),
    "due as a date only": ({"due_at": "2026-09-01"}, "due_at"),
    "due not a date": ({"due_at": "next tuesday"}, "due_at"),
    "due as a number": ({"due_at": 1788000000}, "due_at"),
    "21 tags": ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
    "41-character tag": ({"tags": ["ok", "x" * 41]}, "tags"),
    "empty tag": ({"tags": [""]}, "tags"),
    "blank tag": ({"tags": ["   "]}, "tags"),
    "NUL in a tag": ({"tags": ["a\x00b"]}, "tags"),
    "tags not a list": ({"tags": "a,b"}, "tags"),
    "tag not a string": ({"tags": [1]}, "tags"),
    "null tags": ({"tags": None}, "tags"),
}


@pytest.mark.parametrize(("fields", "field"), BAD_NEW_FIELDS.values(), ids=BAD_NEW_FIELDS.keys())
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_bad_new_fields_are_422_naming_the_field_and_change_nothing(
    client: TestClient, user: str, method: str, fields: dict[str, Any], field: str
) -> None:
    task = create(client, user, "Keep", priority="low", tags=["k"])
    url = tasks_url(user) if method == "POST" else tasks_url(user, task["id"])

    response = client.request(method, url, json={"title": "x", **fields})

    assert error_fields(response) == {field}
    assert client.get(tasks_url(user)).json() == [task]


def test_every_bad_field_is_named_at_once(client: TestClient, user: str) -> None:
    response = client.post(
        tasks_url(user),
        json={"title": " ", "description": "d" * 1001, "tags": ["x" * 41]},
    )

    assert error_fields(response) == {"title", "description", "tags"}


def test_read_only_new_fields_in_a_body_are_ignored(client: TestClient, user: str) -> None:
    task = create(client, user, completed_at="2000-01-01T00:00:00Z", version=99)

    assert task["completed_at"] is None
    assert client.get(tasks_url(user, task["id"])).headers["etag"] == '"1"'


# --- listing: filters and sorts ------------------------------------------------------------------

# title: fields
LISTED = {
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
    "due before, no offset means UTC": ("due_before=2026-06-01T09:00:00", ["Archive"]),
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


# --- cursor pages -------------------------------------------------------------------------------


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
    assert link2 is not None and link2.count("cursor=") == 1 and link2 != link
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
    assert link.isascii() and " " not in link, link
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
    cursor = re.search(r"cursor=([^&]+)", link).group(1)  # type: ignore[union-attr]

    assert client.get(f"{tasks_url(user)}?limit=1&{made_for}&cursor={cursor}").status_code == 200
    assert error_fields(client.get(f"{tasks_url(user)}?limit=1&{used_for}&cursor={cursor}"), 400) == {"cursor"}


def forge(cursor: str, value: object) -> str:
    state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    state[1] = value
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


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


# --- PATCH: JSON Merge Patch ----------------------------------------------------------------------

START = {
    "title": "Start",
    "description": "notes",
    "completed": True,
    "priority": "medium",
    "due_at": DUE,
    "tags": ["a", "b"],
}

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
    "read-only and unknown fields ignored": (
        {"id": str(uuid.uuid4()), "user_id": "x", "created_at": "2000-01-01T00:00:00Z", "colour": "red"},
        {},
    ),
}


@pytest.mark.parametrize(("patch", "changed"), MERGE_PATCHES.values(), ids=MERGE_PATCHES.keys())
def test_patch_merges(client: TestClient, user: str, patch: dict[str, Any], changed: dict[str, Any]) -> None:
    task = create(client, user, **START)

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
    task = create(client, user, **START)
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
    task = create(store_client, user, **START)
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

    assert changed.status_code == 200 and etag_of(changed) == '"2"'
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
    assert changed.json()["completed"] is True and changed.headers["etag"] == '"2"'


# --- Idempotency-Key --------------------------------------------------------------------------


def keyed(client: TestClient, user: str, body: dict[str, Any], key: str = "key-1") -> httpx.Response:
    return client.post(tasks_url(user), json=body, headers={"idempotency-key": key})


def test_a_replay_returns_the_first_answer_and_creates_nothing(store_client: TestClient, user: str) -> None:
    first = keyed(store_client, user, RICH)
    replay = keyed(store_client, user, RICH)

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
    response = client.post(tasks_url(user), json={"title": "t"}, headers={"idempotency-key": key})

    assert error_fields(response) == {"Idempotency-Key"}
    assert client.get(tasks_url(user)).json() == []


def test_a_key_of_255_characters_is_accepted(client: TestClient, user: str) -> None:
    assert keyed(client, user, {"title": "t"}, "k" * 255).status_code == 201


# --- the seed clients' paths and bodies, exactly as before ----------------------------------------


def test_a_seed_client_session_works_as_before(store_client: TestClient, user: str) -> None:
    """Old bodies (title, description, completed) on the six old paths; the old fields mean what they did."""
    url = tasks_url(user)
    created = store_client.post(url, json={"title": "task 1 of user", "description": "seeded", "completed": True})
    assert created.status_code == 201
    task = created.json()
    assert OLD_FIELDS <= task.keys()
    assert created.headers["location"] == tasks_url(user, task["id"])
    second = create(store_client, user, "second")

    listed = store_client.get(url)
    assert listed.status_code == 200
    assert ids(listed.json()) == [task["id"], second["id"]]

    replaced = store_client.put(tasks_url(user, task["id"]), json={"title": "renamed", "completed": False})
    assert replaced.status_code == 200
    assert (replaced.json()["title"], replaced.json()["description"], replaced.json()["completed"]) == (
        "renamed",
        None,
        False,
    )
    toggled = store_client.patch(tasks_url(user, task["id"], "/complete"))
    assert toggled.status_code == 200 and toggled.json()["completed"] is True
    set_once = store_client.patch(tasks_url(user, task["id"], "/complete"), json={"completed": True})
    set_twice = store_client.patch(tasks_url(user, task["id"], "/complete"), json={"completed": True})
    assert set_once.json() == set_twice.json() == toggled.json()

    assert store_client.get(tasks_url(user, task["id"])).json() == toggled.json()
    deleted = store_client.delete(tasks_url(user, task["id"]))
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert store_client.get(url).json() == [second]


def test_an_old_put_resets_the_new_fields_to_their_defaults(client: TestClient, user: str) -> None:
    task = create(client, user, **START)

    replaced = client.put(tasks_url(user, task["id"]), json={"title": "old client"}).json()

    assert (replaced["priority"], replaced["due_at"], replaced["tags"], replaced["completed_at"]) == (
        "none",
        None,
        [],
        None,
    )


def test_a_client_can_put_back_what_it_got_with_the_new_fields(client: TestClient, user: str) -> None:
    task = create(client, user, **START)
    got = client.get(tasks_url(user, task["id"])).json()

    response = client.put(tasks_url(user, task["id"]), json=got)

    assert response.status_code == 200, response.text
    assert response.json() | {"updated_at": None} == got | {"updated_at": None}


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


def test_a_user_id_is_percent_encoded_in_every_link(store_client: TestClient) -> None:
    owner = f"team a?b {uuid.uuid4().hex[:6]}"
    made = [create(store_client, owner, f"t{n}")["id"] for n in range(3)]

    pages = follow(store_client, f"{tasks_url(owner)}?limit=2")

    assert [task_id for page in pages for task_id in ids(page)] == made
