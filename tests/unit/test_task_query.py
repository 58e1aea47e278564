"""Which tasks a list returns: filters matching tasks, page sizes, query defaults and the position a page ends at."""

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Position, SortKey, TaskFilter, TaskQuery
from domain.task import Priority, Task, TaskDraft
from tests.unit import DUE, LATER, NOW, fields, task_with

# --- the filter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "bad"),
    [
        ({"due_before": datetime(2026, 1, 1)}, {"due_before"}),
        ({"due_after": datetime(2026, 1, 1)}, {"due_after"}),
        ({"due_before": datetime(2026, 1, 1), "due_after": datetime(2026, 1, 1)}, {"due_before", "due_after"}),
        ({"tag": "a\x00"}, {"tag"}),
        ({"text": "\ud800"}, {"text"}),
        ({"tag": "\x00", "text": "\x00", "due_after": datetime(2026, 1, 1)}, {"tag", "text", "due_after"}),
    ],
)
def test_a_filter_refuses_naive_moments_and_unstorable_text(arguments: dict[str, Any], bad: set[str]) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskFilter(**arguments)
    assert fields(error) == bad


def test_a_filter_accepts_aware_moments_in_any_zone() -> None:
    moment = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    assert TaskFilter(due_before=moment, due_after=moment).due_before == moment


SUBJECT = Task.create(
    "u",
    TaskDraft("Buy Milk", "From the corner SHOP", False, "medium", DUE, ["home", "Errand"]).checked(),
    NOW,
)

MATCHES: dict[str, tuple[TaskFilter, bool]] = {
    "nothing asked": (TaskFilter(), True),
    "open": (TaskFilter(completed=False), True),
    "completed": (TaskFilter(completed=True), False),
    "its priority": (TaskFilter(priority=Priority.MEDIUM), True),
    "priority none is a filter, not no filter": (TaskFilter(priority=Priority.NONE), False),
    "another priority": (TaskFilter(priority=Priority.HIGH), False),
    "its tag": (TaskFilter(tag="home"), True),
    "its tag in another case": (TaskFilter(tag="errand"), False),
    "part of a tag": (TaskFilter(tag="hom"), False),
    "due before a later moment": (TaskFilter(due_before=DUE + timedelta(microseconds=1)), True),
    "due before its own moment": (TaskFilter(due_before=DUE), False),
    "due after an earlier moment": (TaskFilter(due_after=DUE - timedelta(microseconds=1)), True),
    "due after its own moment": (TaskFilter(due_after=DUE), False),
    "due before, the bound in another zone": (
        TaskFilter(due_before=(DUE + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-5)))),
        True,
    ),
    "text in title, other case": (TaskFilter(text="mILK"), True),
    "text in description, other case": (TaskFilter(text="corner shop"), True),
    "text in neither": (TaskFilter(text="bread"), False),
    "text across title and description": (TaskFilter(text="Milk From"), False),
    "all at once": (
        TaskFilter(False, Priority.MEDIUM, "home", DUE + timedelta(days=1), DUE - timedelta(days=1), "buy"),
        True,
    ),
    "all but one": (TaskFilter(False, Priority.MEDIUM, "home", DUE + timedelta(days=1), DUE, "buy"), False),
}


@pytest.mark.parametrize(("wanted", "expected"), MATCHES.values(), ids=MATCHES.keys())
def test_filter_matches(wanted: TaskFilter, expected: bool) -> None:
    assert wanted.matches(SUBJECT) is expected


def test_a_task_without_due_date_matches_no_due_bound() -> None:
    undated = task_with()
    assert TaskFilter(due_before=DUE).matches(undated) is False
    assert TaskFilter(due_after=DUE).matches(undated) is False
    assert TaskFilter().matches(undated) is True


def test_text_ignores_the_case_of_ascii_letters_only() -> None:
    task = task_with(title="Éclair ÀLA carte")
    assert TaskFilter(text="àla").matches(task) is False  # "À" is not ASCII: no folding
    assert TaskFilter(text="ÀLA").matches(task) is True
    assert TaskFilter(text="ÀlA CARTE").matches(task) is True
    assert TaskFilter(text="éclair").matches(task) is False


def test_text_matches_a_task_without_description_by_its_title_only() -> None:
    task = task_with(title="plain")
    assert TaskFilter(text="plain").matches(task) is True
    assert TaskFilter(text="none").matches(task) is False


# --- the query ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE])
def test_a_limit_of_1_to_500_is_accepted(limit: int) -> None:
    TaskQuery(limit=limit).check_page_size()


@pytest.mark.parametrize("limit", [0, -1, MAX_PAGE_SIZE + 1, 10_000])
def test_a_limit_outside_1_to_500_names_the_field(limit: int) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskQuery(limit=limit).check_page_size()
    assert fields(error) == {"limit"}


def test_a_query_defaults_to_the_first_100_oldest_first() -> None:
    query = TaskQuery()
    assert (query.filter, query.sort, query.descending, query.limit, query.after) == (
        TaskFilter(),
        SortKey.CREATED,
        False,
        100,
        None,
    )


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        (SortKey.CREATED, NOW),
        (SortKey.UPDATED, LATER),
        (SortKey.DUE, DUE),
        (SortKey.PRIORITY, Priority.HIGH),
        (SortKey.TITLE, "t"),
    ],
)
def test_position_of_takes_the_sort_value_and_the_id(sort: SortKey, value: object) -> None:
    task = task_with(priority="high", due_at=DUE).with_content(
        TaskDraft("t", priority="high", due_at=DUE).checked(), LATER
    )

    assert TaskQuery(sort=sort).position_of(task) == Position(value, task.id)


def test_position_of_a_task_without_due_date_has_no_value() -> None:
    task = task_with()
    assert TaskQuery(sort=SortKey.DUE).position_of(task) == Position(None, task.id)
    assert isinstance(task.id, UUID)
