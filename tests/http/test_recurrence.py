"""Recurring tasks and reminders over HTTP: every refusal names its field and changes nothing; a
completion links to the next task of its series; a task without them answers as it always did."""

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.clients import assert_problem, create, tasks_url

WEEKLY = {
    "title": "stand-up",
    "due_at": "2026-03-23T09:00:00+01:00",
    "recurrence": "weekly",
    "time_zone": "Europe/Berlin",
}


def refusal(client: TestClient, user: str, body: dict[str, Any]) -> dict[str, str]:
    problem = assert_problem(client.post(tasks_url(user), json=body), 422)
    assert client.get(tasks_url(user)).json() == []  # nothing was written
    return {error["field"]: error["message"] for error in problem["errors"]}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"recurrence": "every monday"}, "recurrence", "must be daily, weekly, monthly, yearly or an RFC 5545 RRULE"),
        ({"recurrence": "FREQ=WEEKLY;BYDAY=XX"}, "recurrence", "is not a valid RRULE: invalid 'BYDAY': XX"),
        ({"recurrence": "FREQ=MINUTELY"}, "recurrence", "more frequent than once an hour"),
        ({"recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "recurrence", "yields no occurrence"),
        ({"recurrence": "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6"}, "recurrence", "yields no occurrence"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone", "must be an IANA time zone name"),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "must be an IANA time zone name"),
        ({"due_at": None}, "due_at", "is required when the task recurs"),
        ({"remind_before": "PT15M", "due_at": None, "recurrence": None}, "remind_before", "needs a due_at"),
        ({"remind_before": "P1Y"}, "remind_before", "Only units 'D', 'H', 'M', and 'S' are supported"),
        ({"remind_before": "-PT5M"}, "remind_before", "must be from PT0S to P366D"),
        ({"remind_at": "2026-03-23T08:00:00"}, "remind_at", "Expected `datetime` with a timezone component"),
        ({"remind_at": "2026-03-23T08:00:00Z", "remind_before": "PT5M"}, "remind_at", "disagrees with remind_before"),
        ({"recurrence": 7}, "recurrence", "Expected `str | null`, got `int`"),
    ],
)
def test_each_bad_value_is_a_422_naming_its_field_and_writes_nothing(
    client: TestClient, user: str, fields: dict[str, Any], field: str, words: str
) -> None:
    errors = refusal(client, user, WEEKLY | fields)

    assert field in errors
    assert words in errors[field]


def test_a_task_without_recurrence_answers_as_before_with_the_new_fields_empty(client: TestClient, user: str) -> None:
    task = create(client, user, "plain")

    assert {
        name: task[name] for name in ("recurrence", "remind_at", "remind_before", "previous_id", "reminded_at")
    } == {
        "recurrence": None,
        "remind_at": None,
        "remind_before": None,
        "previous_id": None,
        "reminded_at": None,
    }
    assert task["time_zone"] == "UTC"
    toggled = client.patch(tasks_url(user, task["id"], "/complete"))
    assert "link" not in toggled.headers


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "/complete", None),
        ("PATCH", "/complete", {"completed": True}),
        ("PATCH", "", {"completed": True}),
        ("PUT", "", WEEKLY | {"completed": True}),
    ],
)
def test_completing_links_to_the_next_occurrence(
    store_client: TestClient, user: str, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    first = create(store_client, user, **WEEKLY)

    answer = store_client.request(method, tasks_url(user, first["id"], suffix), json=body)

    assert answer.status_code == 200, answer.text
    link = re.fullmatch(r'</api/[^/]+/tasks/([0-9a-f-]{36})>; rel="next-occurrence"', answer.headers["link"])
    assert link, answer.headers["link"]
    following = store_client.get(tasks_url(user, link[1])).json()
    assert (following["previous_id"], following["due_at"], following["completed"]) == (
        first["id"],
        "2026-03-30T07:00:00Z",  # 09:00 in Berlin, now on summer time
        False,
    )
    assert following["recurrence"] == "FREQ=WEEKLY"
    changes = store_client.get(f"/api/{user}/changes").json()["events"]
    assert [(e["type"], e["subject"]) for e in changes] == [
        ("com.todo.task.created", first["id"]),
        ("com.todo.task.completed", first["id"]),
        ("com.todo.task.created", link[1]),
    ]


def test_a_reminder_before_the_due_time_is_shown_as_the_time_it_fires(client: TestClient, user: str) -> None:
    task = create(client, user, "call", due_at="2026-05-04T09:00:00Z", remind_before="PT15M")

    assert (task["remind_at"], task["remind_before"]) == ("2026-05-04T08:45:00Z", "PT900S")
    moved = client.patch(tasks_url(user, task["id"]), json={"due_at": "2026-05-05T09:00:00Z"}).json()
    assert moved["remind_at"] == "2026-05-05T08:45:00Z"


def test_the_recurring_filter_takes_true_or_false_only(client: TestClient, user: str) -> None:
    create(client, user, "once")
    weekly = create(client, user, **WEEKLY)

    assert [t["id"] for t in client.get(f"{tasks_url(user)}?recurring=true").json()] == [weekly["id"]]
    assert [t["title"] for t in client.get(f"{tasks_url(user)}?recurring=false").json()] == ["once"]
    problem = assert_problem(client.get(f"{tasks_url(user)}?recurring=maybe"), 400)
    assert problem["errors"][0]["field"] == "recurring"
