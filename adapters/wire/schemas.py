"""The request and response bodies, as msgspec structs (they also shape the OpenAPI document)."""

import difflib
import re
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Annotated, Literal, get_args
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from domain.errors import FieldError
from domain.query import SortKey
from domain.recurrence import DEFAULT_TIME_ZONE
from domain.task import (
    MAX_DESCRIPTION_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE_LENGTH,
    Priority,
    Task,
    TaskDraft,
)

Title = Annotated[
    str, msgspec.Meta(description=f"1 to {MAX_TITLE_LENGTH} characters once surrounding white space is trimmed")
]
Description = Annotated[str | None, msgspec.Meta(description=f"at most {MAX_DESCRIPTION_LENGTH} characters")]
PriorityLabel = Literal["none", "low", "medium", "high"]
DueAt = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 with an offset; stored in UTC")] | None
Tags = Annotated[
    list[str],
    msgspec.Meta(
        description=f"at most {MAX_TAGS} tags of 1 to {MAX_TAG_LENGTH} characters, trimmed; repeats are dropped",
    ),
]

Recurrence = Annotated[
    str | None,
    msgspec.Meta(
        description="daily, weekly, monthly, yearly, or an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO,WE "
        "(at most hourly); kept as the RRULE. Needs `due_at`: completing the task creates the next one",
        examples=["weekly", "FREQ=WEEKLY;BYDAY=MO,WE"],
    ),
]
TimeZone = Annotated[
    str,
    msgspec.Meta(description="the IANA time zone whose wall clock the occurrences follow", examples=["Europe/Berlin"]),
]
RemindAt = (
    Annotated[
        datetime,
        msgspec.Meta(
            tz=True, description="when the reminder fires (RFC 3339); with `remind_before`, it follows `due_at`"
        ),
    ]
    | None
)
RemindBefore = (
    Annotated[
        timedelta,
        msgspec.Meta(description="ISO 8601 duration before `due_at` at which the reminder fires", examples=["PT15M"]),
    ]
    | None
)

PRIORITY_LABELS = tuple(p.label for p in Priority)  # by number: cheaper than `.label` per task

TaskStatus = Literal["all", "pending", "completed"]
COMPLETION_OF_STATUS: dict[str, bool | None] = {"all": None, "pending": False, "completed": True}
"""The plan's `status` names for the `completed` filter (None: no filter)."""

SortName = Literal[
    "created",
    "-created",
    "updated",
    "-updated",
    "due",
    "-due",
    "due_date",
    "-due_date",
    "priority",
    "-priority",
    "title",
    "-title",
]
SORT_ALIASES = {"due_date": SortKey.DUE}  # the plan's name for `due`


def sort_order(name: str) -> tuple[SortKey, bool]:
    """The sort key a `sort` name means, and whether it is descending (`-`)."""
    key = name.removeprefix("-")
    return SORT_ALIASES.get(key) or SortKey(key), name.startswith("-")


class TaskInput(msgspec.Struct, forbid_unknown_fields=True):
    """The editable fields. Read-only fields a client echoes back (`id`, timestamps...) are ignored
    (`TASK_AS_READ`); any other field is refused."""

    title: Title
    description: Description = None
    completed: bool = False
    priority: PriorityLabel = "none"
    due_at: DueAt = None
    tags: Tags = []
    recurrence: Recurrence = None
    time_zone: TimeZone = DEFAULT_TIME_ZONE
    remind_at: RemindAt = None
    remind_before: RemindBefore = None

    def draft(self) -> TaskDraft:
        return TaskDraft(
            self.title,
            self.description,
            self.completed,
            self.priority,
            self.due_at,
            self.tags,
            self.recurrence,
            self.time_zone,
            self.remind_at,
            self.remind_before,
        )


class TaskPatch(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """JSON Merge Patch (RFC 7396): a field left out stays; `null` clears the others (time_zone
    back to UTC); title and completed cannot be null. Naming one of remind_at and remind_before clears the other."""

    title: Title | None | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    completed: bool | None | UnsetType = UNSET
    priority: PriorityLabel | None | UnsetType = UNSET
    due_at: DueAt | UnsetType = UNSET
    tags: Tags | None | UnsetType = UNSET
    recurrence: Recurrence | UnsetType = UNSET
    time_zone: TimeZone | None | UnsetType = UNSET
    remind_at: RemindAt | UnsetType = UNSET
    remind_before: RemindBefore | UnsetType = UNSET

    def changes(self) -> dict[str, object]:
        # TaskPatch's own fields: a subclass (the MCP tool's arguments) may add the owner and the task id.
        return {name: value for name in TaskPatch.__struct_fields__ if (value := getattr(self, name)) is not UNSET}


class CompletionInput(msgspec.Struct, forbid_unknown_fields=True):
    completed: bool


class TaskOutput(msgspec.Struct):
    id: UUID
    user_id: str
    title: str
    description: str | None
    completed: bool
    priority: PriorityLabel
    due_at: datetime | None
    tags: list[str]
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    recurrence: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    remind_at: datetime | None = None
    remind_before: timedelta | None = None
    previous_id: UUID | None = None
    reminded_at: datetime | None = None

    @classmethod
    def of(cls, task: Task) -> "TaskOutput":
        return cls(
            task.id,
            task.user_id,
            task.title,
            task.description,
            task.completed,
            PRIORITY_LABELS[task.priority],  # type: ignore[arg-type]
            task.due_at,
            task.tags,
            task.completed_at,
            task.created_at,
            task.updated_at,
            task.recurrence,
            task.time_zone,
            task.remind_at,
            task.remind_before,
            task.previous_id,
            task.reminded_at,
        )


TASK_AS_READ = frozenset(TaskOutput.__struct_fields__) | {"version"}
"""The fields of a task as a client read it: a body may carry any of them (a client may send back
what it read); those the body does not take, such as `id` or `created_at`, are ignored."""


def unknown_fields(sent: Iterable[str], known: Collection[str], ignored: Collection[str] = ()) -> list[FieldError]:
    """Each name in `sent` that is neither `known` nor `ignored`, with the known name it most looks like."""
    errors = []
    for name in sent:
        if name in known or name in ignored:
            continue
        likely = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean `{likely[0]}`?)" if likely else ""
        listed = f"; the known ones are {', '.join(known)}" if known else "; there are none here"
        errors.append(FieldError(name, f"unknown{hint}{listed}"))
    return errors


# What the named fields and parameters allow, for refusals that name the value sent and the choices.
ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "priority": PRIORITY_LABELS,
    "status": get_args(TaskStatus),
    "sort": get_args(SortName),
    "completed": ("true", "false"),
    "recurring": ("true", "false"),
}
_AT = re.compile(r" - at `\$\.?([\w]*)[^`]*`$")
_REQUIRED = re.compile(r"missing required field `(\w+)`")
_ENUM = re.compile(r"Invalid enum value (.+)")


def value_problem(decoder_words: str, *, field: str = "body", sent: str | None = None) -> FieldError:
    """msgspec's words on a value (also what Litestar passes on of them), as a field's problem that names
    the value and what is allowed: `'urgent' is not allowed: expected one of none, low, medium, high`.

    `field` is the parameter's name when the words do not say it; `sent` the value as the client wrote it.
    """
    if required := _REQUIRED.search(decoder_words):
        return FieldError(required[1], "is required")
    if at := _AT.search(decoder_words):
        field, decoder_words = at[1] or field, decoder_words[: at.start()]
    enum = _ENUM.fullmatch(decoder_words)
    shown = enum[1] if enum else None if sent is None else repr(sent)
    if shown is not None and (allowed := ALLOWED_VALUES.get(field)):
        return FieldError(field, f"{shown} is not allowed: expected one of {', '.join(allowed)}")
    return FieldError(field, decoder_words if sent is None else f"{sent!r} is not allowed: {decoder_words}")
