"""`GET /api/{user_id}/changes`: the owner's changes after a token, in commit order, as CloudEvents;
the `next` token rules; 410 when the changes after a token are no longer all kept; and a reader that
follows the feed while 32 writers work ends with exactly the tasks the list shows."""

import dataclasses
import functools
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

from adapters.wire.cloudevents import CloudEvent
from domain.store import TaskEventLog
from domain.task import utc_now
from tests.http.clients import assert_problem, create, error_fields, tasks_url, timestamp


def changes_url(user: str, query: str = "") -> str:
    return f"/api/{quote(user, safe='')}/changes" + (f"?{query}" if query else "")


def changes(client: TestClient, user: str, query: str = "") -> dict[str, Any]:
    response = client.get(changes_url(user, query))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_nothing_yet_is_no_events_and_next_0(store_client: TestClient, user: str) -> None:
    assert changes(store_client, user) == {"events": [], "next": "0"}
    assert changes(store_client, user, "after=0") == {"events": [], "next": "0"}


def test_changes_are_the_owners_events_in_commit_order(store_client: TestClient, user: str, other_user: str) -> None:
    first = create(store_client, user, "first")
    create(store_client, other_user, "not theirs")
    second = create(store_client, user, "second")
    done = store_client.patch(tasks_url(user, first["id"], "/complete")).json()
    store_client.delete(tasks_url(user, second["id"]))

    body = changes(store_client, user)

    assert [(e["id"], e["type"], e["subject"], e["taskversion"]) for e in body["events"]] == [
        ("1", "com.todo.task.created", first["id"], 1),
        ("2", "com.todo.task.created", second["id"], 1),
        ("3", "com.todo.task.completed", first["id"], 2),
        ("4", "com.todo.task.deleted", second["id"], 1),
    ]
    assert [e["data"] for e in body["events"]] == [first, second, done, {"id": second["id"], "deleted": True}]
    assert {(e["specversion"], e["source"], e["datacontenttype"]) for e in body["events"]} == {
        ("1.0", f"/api/{quote(user, safe='')}/tasks", "application/json")
    }
    assert [timestamp(e["time"]) for e in body["events"][:3]] == [
        timestamp(task["updated_at"]) for task in (first, second, done)
    ]
    assert body["next"] == "4"
    assert changes(store_client, other_user)["next"] == "1"


def test_next_is_where_to_ask_again_even_when_nothing_happened(store_client: TestClient, user: str) -> None:
    for n in range(5):
        create(store_client, user, f"t{n}")

    first = changes(store_client, user, "limit=2")
    second = changes(store_client, user, f"after={first['next']}&limit=2")
    third = changes(store_client, user, f"after={second['next']}&limit=2")
    nothing_new = changes(store_client, user, f"after={third['next']}&limit=2")
    create(store_client, user, "later")
    news = changes(store_client, user, f"after={nothing_new['next']}")

    assert [[e["id"] for e in page["events"]] for page in (first, second, third)] == [["1", "2"], ["3", "4"], ["5"]]
    assert [page["next"] for page in (first, second, third)] == ["2", "4", "5"]
    assert nothing_new == {"events": [], "next": "5"}
    assert ([e["id"] for e in news["events"]], news["next"]) == (["6"], "6")


def test_the_default_page_holds_100_events(client: TestClient, user: str) -> None:
    task_id = create(client, user)["id"]
    for _ in range(100):
        client.patch(tasks_url(user, task_id, "/complete"))

    first = changes(client, user)

    assert (len(first["events"]), first["next"]) == (100, "100")
    assert [e["id"] for e in changes(client, user, "after=100")["events"]] == ["101"]


def test_a_token_this_feed_did_not_hand_out_is_410(store_client: TestClient, user: str) -> None:
    create(store_client, user)

    problem = assert_problem(store_client.get(changes_url(user, "after=2")), 410)

    assert "without `after`" in problem["detail"]
    assert changes(store_client, user, "after=1")["events"] == []


def test_after_retention_a_reader_behind_gets_410_and_starts_again(
    client_and_store: tuple[TestClient, TaskEventLog], user: str
) -> None:
    client, store = client_and_store
    kept = create(client, user, "kept")
    gone = create(client, user, "gone")
    behind = changes(client, user)["next"]
    renamed = client.put(tasks_url(user, kept["id"]), json={"title": "renamed"}).json()
    client.delete(tasks_url(user, gone["id"]))
    up_to_date = changes(client, user)["next"]

    removed = client.blocking_portal.call(
        functools.partial(store.prune_events, user, recorded_before=utc_now() + timedelta(seconds=1), limit=1000)
    )

    assert removed == 3
    problem = assert_problem(client.get(changes_url(user, f"after={behind}")), 410)
    assert problem["detail"].startswith("Some changes after `after` are no longer kept")
    again = changes(client, user)
    assert [(e["type"], e["data"]) for e in again["events"]] == [("com.todo.task.updated", renamed)]
    assert [e["data"] for e in again["events"]] == client.get(tasks_url(user)).json()
    assert changes(client, user, f"after={up_to_date}") == {"events": [], "next": up_to_date}


def a_retention_pass_two_days_on(client: TestClient, store: TaskEventLog, user: str) -> int:
    """What retention does to the owner's feed once the clock has moved two days on, with a day kept."""
    return client.blocking_portal.call(
        functools.partial(store.prune_events, user, recorded_before=utc_now() + timedelta(days=2 - 1), limit=1000)
    )


def follow(client: TestClient, user: str, limit: int) -> tuple[list[dict[str, Any]], str]:
    """Reads from nothing, following each `next` until one comes back unchanged with no events."""
    events: list[dict[str, Any]] = []
    after = ""
    while True:
        body = changes(client, user, f"limit={limit}" + (f"&after={after}" if after else ""))
        events += body["events"]
        if not body["events"] and body["next"] == after:
            return events, after
        after = body["next"]


def test_after_retention_a_reader_from_nothing_reaches_the_present_and_stays_there(
    client_and_store: tuple[TestClient, TaskEventLog], user: str
) -> None:
    client, store = client_and_store
    kept = create(client, user, "t1")
    client.delete(tasks_url(user, create(client, user, "t2")["id"]))
    assert a_retention_pass_two_days_on(client, store, user) == 2

    first = changes(client, user)
    assert [e["data"] for e in first["events"]] == [kept]
    assert changes(client, user, f"after={first['next']}") == {"events": [], "next": "3"}
    assert changes(client, user, "after=3") == {"events": [], "next": "3"}


def test_after_retention_paging_from_nothing_never_answers_410(
    client_and_store: tuple[TestClient, TaskEventLog], user: str
) -> None:
    client, store = client_and_store
    a, b, _ = (create(client, user, title)["id"] for title in "abc")
    client.patch(tasks_url(user, a), json={"title": "a again"})
    client.patch(tasks_url(user, b), json={"title": "b again"})
    client.patch(tasks_url(user, b), json={"title": "b once more"})
    assert a_retention_pass_two_days_on(client, store, user) == 3

    for limit in (1, 2):
        events, present = follow(client, user, limit)
        assert [e["id"] for e in events] == ["3", "4", "6"]
        assert {e["subject"]: e["data"] for e in events} == {t["id"]: t for t in client.get(tasks_url(user)).json()}
        assert present == "6"


@pytest.mark.parametrize(
    "after", ["0001", "01", "1~1", "1~0", "2~1", "1~01", "~1", "1~", "9" * 5000, "1~" + "9" * 5000]
)
def test_a_token_in_any_other_spelling_or_of_any_length_is_400(client: TestClient, user: str, after: str) -> None:
    create(client, user)

    assert error_fields(client.get(changes_url(user, f"after={after}")), 400) == {"after"}


@pytest.mark.parametrize("after", ["", "x", "-1", "1.0", "%201", "0x10", "%D9%A1", str(2**63)])
def test_a_token_that_is_not_a_position_is_400(client: TestClient, user: str, after: str) -> None:
    create(client, user)

    assert error_fields(client.get(changes_url(user, f"after={after}")), 400) == {"after"}


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "after=zz", "limit=1.0", "limit=1e2", "limit=01"])
def test_a_bad_query_parameter_is_400_on_every_store(store_client: TestClient, user: str, query: str) -> None:
    assert error_fields(store_client.get(changes_url(user, query)), 400) == {query.split("=")[0]}


def test_limits_at_the_bounds_are_taken(client: TestClient, user: str) -> None:
    create(client, user)
    create(client, user)

    assert len(changes(client, user, "limit=1")["events"]) == 1
    assert len(changes(client, user, "limit=500")["events"]) == 2


def test_a_user_id_that_breaks_its_rules_is_422(store_client: TestClient) -> None:
    assert error_fields(store_client.get(changes_url("u" * 129)), 422) == {"user_id"}


def test_the_document_shows_every_field_of_a_cloud_event(client: TestClient) -> None:
    schemas = client.get("/docs/openapi.json").json()["components"]["schemas"]
    fields = [field.name for field in dataclasses.fields(CloudEvent)]

    assert list(schemas["CloudEvent"]["properties"]) == fields
    assert sorted(schemas["CloudEvent"]["required"]) == sorted(fields)
    assert sorted(schemas["DeletedTask"]["required"]) == ["deleted", "id"]


# The convergence test: writers and one reader at once, through the HTTP app.

WRITERS = 32
STEPS = 10


def write(client: TestClient, user: str, writer: int, pool: list[str]) -> None:
    """One writer: creates, replaces, patches, toggles, sets completion and deletes, on any task of the
    owner's (others' included, so writes race); a task deleted meanwhile answers 404."""
    rng = random.Random(writer)
    for step in range(STEPS):
        if not pool or rng.random() < 0.3:
            pool.append(create(client, user, f"w{writer} s{step}", priority=rng.choice(["low", "high"]))["id"])
            continue
        url = tasks_url(user, rng.choice(pool))
        match rng.randrange(5):
            case 0:
                response = client.put(url, json={"title": f"w{writer} s{step}", "tags": [f"t{step}"]})
            case 1:
                response = client.patch(url, json={"description": f"by {writer}", "priority": "medium"})
            case 2:
                response = client.patch(url + "/complete")
            case 3:
                response = client.patch(url + "/complete", json={"completed": rng.random() < 0.5})
            case _:
                response = client.delete(url)
        assert response.status_code in (200, 204, 404, 409), response.text


class Reader:
    """Follows the feed from nothing, applying each event to the tasks it holds."""

    def __init__(self, client: TestClient, user: str) -> None:
        self.client, self.user = client, user
        self.tasks: dict[str, dict[str, Any]] = {}
        self.after: str | None = None
        self.positions: list[int] = []

    def poll(self) -> int:
        """Asks once for what came after the last `next`; how many events came."""
        body = changes(self.client, self.user, "limit=25" + (f"&after={self.after}" if self.after else ""))
        for event in body["events"]:
            self.positions.append(int(event["id"]))
            if event["data"].get("deleted"):
                self.tasks.pop(event["subject"])
            else:
                self.tasks[event["subject"]] = event["data"]
        self.after = body["next"]
        return len(body["events"])


def test_a_reader_following_the_feed_during_concurrent_writes_ends_with_the_list(
    store_client: TestClient, user: str
) -> None:
    pool: list[str] = []
    reader = Reader(store_client, user)
    read_while_writing = 0
    with ThreadPoolExecutor(WRITERS) as writers:
        started = threading.Barrier(WRITERS + 1)

        def writer(n: int) -> None:
            started.wait()
            write(store_client, user, n, pool)

        running = [writers.submit(writer, n) for n in range(WRITERS)]
        started.wait()
        while not all(future.done() for future in running):
            read_while_writing += reader.poll()
        for future in running:
            future.result()
    while reader.poll():
        pass

    listed = store_client.get(tasks_url(user) + "?limit=500").json()
    assert read_while_writing > 0
    assert reader.positions == list(range(1, len(reader.positions) + 1))
    assert len(reader.positions) >= WRITERS * STEPS // 2
    assert reader.tasks == {task["id"]: task for task in listed}
    assert sorted(reader.tasks.values(), key=lambda t: (timestamp(t["created_at"]), t["id"])) == listed
