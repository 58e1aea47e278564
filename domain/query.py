"""What a listing asks for: filters, one sort order, and a page after a known position."""

import string
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.errors import FieldError, InvalidInput
from domain.task import Priority, Task, in_utc, text_problem

# Case folding as SQLite's LIKE and a "C"-collated Postgres column do it: ASCII letters only.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


class SortKey(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DUE = "due"
    PRIORITY = "priority"
    TITLE = "title"


SORT_ATTRIBUTES = {
    SortKey.CREATED: "created_at",
    SortKey.UPDATED: "updated_at",
    SortKey.DUE: "due_at",
    SortKey.PRIORITY: "priority",
    SortKey.TITLE: "title",
}


def checked_page_size(limit: int) -> int:
    """A page size a client asked for (tasks or events): 1 to MAX_PAGE_SIZE."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput([FieldError("limit", f"must be 1 to {MAX_PAGE_SIZE}")])
    return limit


@dataclass(frozen=True, slots=True)
class TaskFilter:
    completed: bool | None = None
    priority: Priority | None = None
    tag: str | None = None
    due_before: datetime | None = None  # due strictly before
    due_after: datetime | None = None  # due strictly after
    text: str | None = None  # in the title or description, ignoring the case of ASCII letters
    recurring: bool | None = None  # whether the task has a `recurrence`

    def __post_init__(self) -> None:
        errors = [
            FieldError(name, problem)
            for name in ("tag", "text")
            if (value := getattr(self, name)) is not None and (problem := text_problem(value))
        ]
        for name in ("due_before", "due_after"):
            if (moment := getattr(self, name)) is not None:
                object.__setattr__(self, name, in_utc(moment, name, errors))
        if errors:
            raise InvalidInput(errors)

    def matches(self, task: Task) -> bool:
        """The rule every store applies (the SQL stores in SQL)."""
        if self.completed is not None and task.completed != self.completed:
            return False
        if self.priority is not None and task.priority != self.priority:
            return False
        if self.tag is not None and self.tag not in task.tags:
            return False
        if self.due_before is not None and (task.due_at is None or task.due_at >= self.due_before):
            return False
        if self.due_after is not None and (task.due_at is None or task.due_at <= self.due_after):
            return False
        if self.recurring is not None and (task.recurrence is not None) != self.recurring:
            return False
        if self.text is not None:
            needle = self.text.translate(_ASCII_LOWER)
            haystacks = (task.title, task.description or "")
            if not any(needle in haystack.translate(_ASCII_LOWER) for haystack in haystacks):
                return False
        return True


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ends: the sort value and id of its last task. The next page starts after it."""

    value: Any
    id: UUID


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """Tasks matching `filter`, ordered by `sort` then id (both in the same direction).

    Tasks without a due date sort after all others ascending, and before them descending.
    """

    filter: TaskFilter = field(default_factory=TaskFilter)
    sort: SortKey = SortKey.CREATED
    descending: bool = False
    limit: int = DEFAULT_PAGE_SIZE
    after: Position | None = None

    def check_page_size(self) -> None:
        checked_page_size(self.limit)

    def with_limit(self, limit: int) -> "TaskQuery":
        return TaskQuery(self.filter, self.sort, self.descending, limit, self.after)

    def continued_after(self, position: Position) -> "TaskQuery":
        """The same query, for the page after `position` (where a page cursor says the last one ended)."""
        return TaskQuery(self.filter, self.sort, self.descending, self.limit, position)

    def position_of(self, task: Task) -> Position:
        return Position(getattr(task, SORT_ATTRIBUTES[self.sort]), task.id)


FIRST_PAGE = TaskQuery()  # no filter, oldest first, the default page size


@dataclass(frozen=True, slots=True)
class Page:
    tasks: list[Task]
    next: Position | None  # None on the last page
