"""The Task entity: creating one, changing its content or completion, and merging a JSON Merge Patch into it."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.task import Priority, Task, TaskContent, TaskDraft
from tests.unit import DUE, LATER, NOW, fields, task_with

EVEN_LATER = LATER + timedelta(minutes=5)


# --- creation -------------------------------------------------------------------------------


def test_create_gives_a_fresh_id_and_equal_timestamps() -> None:
    content = TaskDraft("t", "d", True).checked()
    first, second = Task.create("u", content, NOW), Task.create("u", content, NOW)
    assert first.id != second.id
    assert first.created_at == first.updated_at == NOW
    assert (first.user_id, first.title, first.description, first.completed) == ("u", "t", "d", True)


def test_a_new_task_is_version_1_and_completed_at_is_set_only_if_it_starts_completed() -> None:
    open_task, done = task_with(), task_with(completed=True)

    assert (open_task.version, open_task.completed_at) == (1, None)
    assert (done.version, done.completed_at) == (1, NOW)


def test_create_carries_priority_due_date_and_tags() -> None:
    task = task_with(priority="high", due_at=DUE, tags=["a", "b"])
    assert (task.priority, task.due_at, task.tags) == (Priority.HIGH, DUE, ["a", "b"])
    assert task.content == TaskContent("t", None, False, Priority.HIGH, DUE, ("a", "b"))


# --- completion -----------------------------------------------------------------------------


def test_with_completion_changes_value_and_updated_at() -> None:
    task = Task.create("u", TaskDraft("t").checked(), NOW)
    later = NOW + timedelta(seconds=1)
    done = task.with_completion(True, later)
    assert (done.completed, done.updated_at, done.created_at) == (True, later, NOW)


def test_with_completion_sets_then_clears_completed_at_and_bumps_the_version() -> None:
    done = task_with().with_completion(True, LATER)
    reopened = done.with_completion(False, EVEN_LATER)

    assert (done.completed_at, done.updated_at, done.version) == (LATER, LATER, 2)
    assert (reopened.completed_at, reopened.updated_at, reopened.version) == (None, EVEN_LATER, 3)


@pytest.mark.parametrize("completed", [False, True])
def test_with_completion_to_the_same_value_leaves_the_task_unchanged(completed: bool) -> None:
    task = Task.create("u", TaskDraft("t", completed=completed).checked(), NOW)
    assert task.with_completion(completed, NOW + timedelta(hours=1)) == task


@pytest.mark.parametrize("completed", [False, True])
def test_with_completion_to_the_same_value_keeps_the_version(completed: bool) -> None:
    task = task_with(completed=completed)
    assert task.with_completion(completed, LATER) is task


# --- content --------------------------------------------------------------------------------


def test_with_content_overwrites_fields_and_keeps_created_at() -> None:
    task = Task.create("u", TaskDraft("t", "d", True).checked(), NOW)
    later = NOW + timedelta(minutes=5)
    changed = task.with_content(TaskDraft("new").checked(), later)
    assert (changed.id, changed.title, changed.description, changed.completed) == (task.id, "new", None, False)
    assert (changed.created_at, changed.updated_at) == (NOW, later)


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
def full_task() -> Task:
    """A task with every field set."""
    return task_with(description="notes", completed=True, priority="medium", due_at=DUE, tags=["a", "b"])


def test_an_empty_patch_changes_nothing(full_task: Task) -> None:
    assert full_task.merged({}) == full_task.content


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
    full_task: Task, patch: dict[str, Any], changed: dict[str, Any]
) -> None:
    before = full_task.content
    expected = {
        "title": before.title,
        "description": before.description,
        "completed": before.completed,
        "priority": before.priority,
        "due_at": before.due_at,
        "tags": before.tags,
    } | changed

    assert full_task.merged(patch) == TaskContent(**expected)


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
def test_merged_rejects_what_breaks_the_rules(full_task: Task, patch: dict[str, Any], bad: set[str]) -> None:
    with pytest.raises(InvalidInput) as error:
        full_task.merged(patch)
    assert fields(error) == bad


def test_merged_leaves_the_task_untouched(full_task: Task) -> None:
    before = full_task.content
    full_task.merged({"title": "x", "tags": None})
    assert full_task.content == before
