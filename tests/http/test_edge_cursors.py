"""Page cursors are opaque, authenticated, and bound to their owner and query."""

import base64
import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.sql.migrate import upgrade
from tests.http.clients import open_client

SECRET_TITLE = "salary review for Kim"


def next_cursor(client: TestClient, user: str, query: str = "sort=title&limit=1") -> str:
    for title in (SECRET_TITLE, "zzz"):
        client.post(f"/api/{user}/tasks", json={"title": title})
    link = client.get(f"/api/{user}/tasks?{query}").headers["link"]
    found = re.search(r"[?&]cursor=([^&>]+)", link)
    assert found is not None
    return found.group(1)


def test_a_cursor_shows_nothing_of_the_task(client: TestClient, user: str) -> None:
    cursor = next_cursor(client, user)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert b"salary" not in raw
    assert b"Kim" not in raw
    assert SECRET_TITLE.encode() not in raw


def test_the_cursor_leads_to_the_next_page(client: TestClient, user: str) -> None:
    cursor = next_cursor(client, user)
    page = client.get(f"/api/{user}/tasks?sort=title&limit=1&cursor={cursor}")
    assert [task["title"] for task in page.json()] == ["zzz"]


def test_a_cursor_of_one_owner_is_400_on_another_owners_path(
    store_client: TestClient, user: str, other_user: str
) -> None:
    cursor = next_cursor(store_client, user)
    store_client.post(f"/api/{other_user}/tasks", json={"title": "theirs"})

    refused = store_client.get(f"/api/{other_user}/tasks?sort=title&limit=1&cursor={cursor}")

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "cursor"


def test_a_cursor_of_another_query_is_400(client: TestClient, user: str) -> None:
    cursor = next_cursor(client, user)
    assert client.get(f"/api/{user}/tasks?sort=-title&limit=1&cursor={cursor}").status_code == 400
    assert client.get(f"/api/{user}/tasks?sort=title&q=x&limit=1&cursor={cursor}").status_code == 400


@pytest.mark.parametrize("damage", ["flip", "truncate", "extend", "empty"])
def test_an_altered_or_forged_cursor_is_400(client: TestClient, user: str, damage: str) -> None:
    cursor = next_cursor(client, user)
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    if damage == "flip":
        raw[-1] ^= 1
    elif damage == "truncate":
        raw = raw[:10]
    elif damage == "extend":
        raw += b"x"
    else:
        raw = bytearray()
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=") or "A"
    response = client.get(f"/api/{user}/tasks?sort=title&limit=1&cursor={forged}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_a_cursor_made_under_another_key_is_400(tmp_path: Path, user: str) -> None:
    url = f"sqlite:///{tmp_path / 'tasks.sqlite3'}"
    upgrade(url)
    with open_client(url, cursor_key="x" * 32) as before, open_client(url, cursor_key="y" * 32) as after:
        cursor = next_cursor(before, user)
        assert before.get(f"/api/{user}/tasks?sort=title&limit=1&cursor={cursor}").status_code == 200
        assert after.get(f"/api/{user}/tasks?sort=title&limit=1&cursor={cursor}").status_code == 400


def test_each_database_keeps_a_cursor_key_of_its_own(tmp_path: Path, user: str) -> None:
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("first.sqlite3", "second.sqlite3"))
    for url in (first, second):
        upgrade(url)
    with open_client(first) as one, open_client(first) as again, open_client(second) as other:
        cursor = next_cursor(one, user)
        next_cursor(other, user)  # the same tasks there
        assert again.get(f"/api/{user}/tasks?sort=title&limit=1&cursor={cursor}").status_code == 200
        assert other.get(f"/api/{user}/tasks?sort=title&limit=1&cursor={cursor}").status_code == 400
