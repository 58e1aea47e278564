"""The domain rules of the richer task: priority, due date, tags, merge patch, fingerprint, queries."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Position, SortKey, TaskFilter, TaskQuery
from domain.task import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    Priority,
    Task,
    TaskContent,
    TaskDraft,
    parse_idempotency_key,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
EVEN_LATER = LATER + timedelta(minutes=5)
DUE = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def fields(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e.field for e in error.value.errors}


def task_with(**content: Any) -> Task:
    return Task.create("u", TaskDraft(**{"title": "t"} | content).checked(), NOW)


# --- priority -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "priority"),
    [("none", Priority.NONE), ("low", Priority.LOW), ("medium", Priority.MEDIUM), ("high", Priority.HIGH)],
)
def test_priority_labels_parse_and_print_both_ways(label: str, priority: Priority) -> None:
    assert Priority.parse(label) is priority
    assert priority.label == label
    assert TaskDraft("t", priority=label).checked().priority is priority


def test_priorities_are_stored_as_0_to_3_and_ordered() -> None:
    assert [int(p) for p in (Priority.NONE, Priority.LOW, Priority.MEDIUM, Priority.HIGH)] == [0, 1, 2, 3]
    assert Priority.NONE < Priority.LOW < Priority.MEDIUM < Priority.HIGH


@pytest.mark.parametrize("label", ["urgent", "", " high", "3", "critical", "nONE "])
def test_an_unknown_priority_names_the_field(label: str) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", priority=label).checked()
    assert fields(error) == {"priority"}
    assert "none, low, medium, high" in error.value.errors[0].message


def test_priority_defaults_to_none() -> None:
    assert TaskDraft("t").checked().priority is Priority.NONE


# --- due date -------------------------------------------------------------------------------


def test_due_at_without_an_offset_is_rejected() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", due_at=datetime(2026, 2, 1, 12, 0)).checked()
    assert fields(error) == {"due_at"}


def test_due_at_with_an_offset_is_kept_as_the_same_instant_in_utc() -> None:
    local = datetime(2026, 2, 1, 14, 30, 0, 1, tzinfo=timezone(timedelta(hours=2, minutes=30)))

    due = TaskDraft("t", due_at=local).checked().due_at

    assert due == local
    assert due is not None and due.utcoffset() == timedelta(0)
    assert (due.hour, due.minute, due.microsecond) == (12, 0, 1)


def test_due_at_is_optional() -> None:
    assert TaskDraft("t").checked().due_at is None


# --- tags -----------------------------------------------------------------------------------


def test_tags_are_trimmed_and_repeats_dropped_in_the_order_given() -> None:
    content = TaskDraft("t", tags=[" work ", "home", "work", "\thome\n", "errand"]).checked()
    assert content.tags == ("work", "home", "errand")


def test_tags_differing_only_in_case_are_distinct() -> None:
    assert TaskDraft("t", tags=["Home", "home"]).checked().tags == ("Home", "home")


def test_twenty_tags_of_forty_characters_are_accepted() -> None:
    tags = [f"{n:02d}" + "x" * (MAX_TAG_LENGTH - 2) for n in range(MAX_TAGS)]
    assert TaskDraft("t", tags=tags).checked().tags == tuple(tags)


def test_twenty_one_tags_are_rejected() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", tags=[f"tag {n}" for n in range(MAX_TAGS + 1)]).checked()
    assert fields(error) == {"tags"}


def test_the_tag_limit_counts_tags_after_repeats_are_dropped() -> None:
    tags = [f"tag {n}" for n in range(MAX_TAGS)] + ["tag 0", " tag 1 "]
    assert len(TaskDraft("t", tags=tags).checked().tags) == MAX_TAGS


def test_a_tag_of_41_characters_is_rejected_but_40_after_trimming_is_fine() -> None:
    assert TaskDraft("t", tags=["  " + "x" * 40 + "  "]).checked().tags == ("x" * 40,)
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", tags=["x" * 41]).checked()
    assert fields(error) == {"tags"}


@pytest.mark.parametrize("tag", ["", "   ", "\t\n", "a\x00b", "\ud800"])
def test_an_empty_blank_or_unstorable_tag_is_rejected(tag: str) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", tags=["fine", tag]).checked()
    assert fields(error) == {"tags"}


def test_every_offending_field_is_listed_at_once_including_the_new_ones() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft(" ", "d" * 1001, priority="urgent", due_at=datetime(2026, 1, 1), tags=["x" * 41]).checked()
    assert fields(error) == {"title", "description", "priority", "due_at", "tags"}


# --- creation, completion, versions ---------------------------------------------------------


def test_a_new_task_is_version_1_and_completed_at_is_set_only_if_it_starts_completed() -> None:
    open_task, done = task_with(), task_with(completed=True)

    assert (open_task.version, open_task.completed_at) == (1, None)
    assert (done.version, done.completed_at) == (1, NOW)


def test_create_carries_the_new_fields() -> None:
    task = task_with(priority="high", due_at=DUE, tags=["a", "b"])
    assert (task.priority, task.due_at, task.tags) == (Priority.HIGH, DUE, ["a", "b"])
    assert task.content == TaskContent("t", None, False, Priority.HIGH, DUE, ("a", "b"))


def test_with_completion_sets_then_clears_completed_at_and_bumps_the_version() -> None:
    done = task_with().with_completion(True, LATER)
    reopened = done.with_completion(False, EVEN_LATER)

    assert (done.completed_at, done.updated_at, done.version) == (LATER, LATER, 2)
    assert (reopened.completed_at, reopened.updated_at, reopened.version) == (None, EVEN_LATER, 3)


@pytest.mark.parametrize("completed", [False, True])
def test_with_completion_to_the_same_value_keeps_the_version(completed: bool) -> None:
    task = task_with(completed=completed)
    assert task.with_completion(completed, LATER) is task


COMPLETED_AT_RULES = {
    "open to completed: now": (False, True, LATER),
    "completed stays completed: kept": (True, True, NOW),
    "completed to open: cleared": (True, False, None),
    "open stays open": (False, False, None),
}


@pytest.mark.parametrize(("before", "after", "completed_at"), COMPLETED_AT_RULES.values(), ids=COMPLETED_AT_RULES)
def test_with_content_keeps_sets_or_clears_completed_at(
    before: bool, after: bool, completed_at: datetime | None
) -> None:
    changed = task_with(completed=before).with_content(TaskDraft("new", completed=after).checked(), LATER)

    assert (changed.completed, changed.completed_at, changed.version, changed.updated_at) == (
        after,
        completed_at,
        2,
        LATER,
    )


def test_with_content_does_not_change_the_original() -> None:
    task = task_with(tags=["a"])
    task.with_content(TaskDraft("new", tags=["b"]).checked(), LATER)
    assert (task.title, task.tags, task.version) == ("t", ["a"], 1)


# --- merge patch ----------------------------------------------------------------------------


@pytest.fixture
def rich() -> Task:
    return task_with(description="notes", completed=True, priority="medium", due_at=DUE, tags=["a", "b"])


def test_an_empty_patch_changes_nothing(rich: Task) -> None:
    assert rich.merged({}) == rich.content


MERGES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "title only": ({"title": "  new  "}, {"title": "new"}),
    "description set": ({"description": "other"}, {"description": "other"}),
    "description null clears": ({"description": None}, {"description": None}),
    "completed false": ({"completed": False}, {"completed": False}),
    "priority set": ({"priority": "high"}, {"priority": Priority.HIGH}),
    "priority null clears": ({"priority": None}, {"priority": Priority.NONE}),
    "due set": ({"due_at": DUE + timedelta(days=1)}, {"due_at": DUE + timedelta(days=1)}),
    "due null clears": ({"due_at": None}, {"due_at": None}),
    "tags replaced whole": ({"tags": ["c", " c ", "a"]}, {"tags": ("c", "a")}),
    "tags null clears": ({"tags": None}, {"tags": ()}),
    "tags empty clears": ({"tags": []}, {"tags": ()}),
    "several at once": ({"title": "x", "tags": None, "priority": "low"}, {"title": "x", "tags": (), "priority": 1}),
    "unknown fields ignored": ({"id": "nope", "version": 99, "colour": "red"}, {}),
}


@pytest.mark.parametrize(("patch", "changed"), MERGES.values(), ids=MERGES.keys())
def test_merged_changes_what_the_patch_names_and_keeps_the_rest(
    rich: Task, patch: dict[str, Any], changed: dict[str, Any]
) -> None:
    before = rich.content
    expected = {
        "title": before.title,
        "description": before.description,
        "completed": before.completed,
        "priority": before.priority,
        "due_at": before.due_at,
        "tags": before.tags,
    } | changed

    assert rich.merged(patch) == TaskContent(**expected)


@pytest.mark.parametrize(
    ("patch", "bad"),
    [
        ({"title": None}, {"title"}),
        ({"completed": None}, {"completed"}),
        ({"title": None, "completed": None}, {"title", "completed"}),
        ({"title": " "}, {"title"}),
        ({"priority": "urgent"}, {"priority"}),
        ({"due_at": datetime(2026, 1, 1)}, {"due_at"}),
        ({"tags": ["x" * 41]}, {"tags"}),
        ({"description": "d" * 1001, "tags": [str(n) for n in range(21)]}, {"description", "tags"}),
    ],
)
def test_merged_rejects_what_breaks_the_rules(rich: Task, patch: dict[str, Any], bad: set[str]) -> None:
    with pytest.raises(InvalidInput) as error:
        rich.merged(patch)
    assert fields(error) == bad


def test_merged_leaves_the_task_untouched(rich: Task) -> None:
    before = rich.content
    rich.merged({"title": "x", "tags": None})
    assert rich.content == before


# --- fingerprint ----------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "title": "t",
    "description": "d",
    "completed": False,
    "priority": "low",
    "due_at": DUE,
    "tags": ["a", "b"],
}


def test_the_same_content_has_the_same_fingerprint() -> None:
    assert TaskDraft(**BASE).checked().fingerprint() == TaskDraft(**BASE).checked().fingerprint()
    assert len(TaskDraft(**BASE).checked().fingerprint()) == 64


def test_content_that_parses_alike_has_the_same_fingerprint() -> None:
    same = BASE | {"title": "  t ", "tags": ["a", " b", "a"], "due_at": DUE.astimezone(timezone(timedelta(hours=-7)))}
    assert TaskDraft(**same).checked().fingerprint() == TaskDraft(**BASE).checked().fingerprint()


DIFFERENT: dict[str, dict[str, Any]] = {
    "title": {"title": "u"},
    "description": {"description": "e"},
    "description removed": {"description": None},
    "description empty instead of absent": {"description": ""},
    "completed": {"completed": True},
    "priority": {"priority": "high"},
    "due": {"due_at": DUE + timedelta(microseconds=1)},
    "no due": {"due_at": None},
    "tag order": {"tags": ["b", "a"]},
    "one tag fewer": {"tags": ["a"]},
    "tags joined": {"tags": ["a b"]},
    "a tag more": {"tags": ["a", "b", "c"]},
}


@pytest.mark.parametrize("change", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_different_content_has_a_different_fingerprint(change: dict[str, Any]) -> None:
    base = TaskDraft(**BASE).checked()
    other = TaskDraft(**BASE | change).checked()
    assert other != base
    assert other.fingerprint() != base.fingerprint()


def test_a_null_description_and_an_empty_one_are_different_requests() -> None:
    """Idempotency: a replay with `"description": ""` after `null` is another body, so it must not match."""
    absent = TaskDraft("t", None).checked()
    empty = TaskDraft("t", "").checked()
    assert absent != empty
    assert absent.fingerprint() != empty.fingerprint()


# --- idempotency keys -----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k", "x" * 255, "2f8e-uuid-like", "!~{}[]", "a-b_c.d"])
def test_an_idempotency_key_of_1_to_255_visible_ascii_characters_is_accepted(key: str) -> None:
    assert parse_idempotency_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there", "new\nline", "\x00", "🙂"])
def test_other_idempotency_keys_are_rejected_naming_the_header(key: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_idempotency_key(key)
    assert fields(error) == {"Idempotency-Key"}


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
