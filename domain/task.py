"""The Task entity and the rules its fields follow."""

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any
from uuid import UUID, uuid4

from domain.errors import FieldError, InvalidInput, TaskNotFound
from domain.recurrence import DEFAULT_TIME_ZONE, Series, parse_recurrence, parse_time_zone, remind_time

MAX_USER_ID_LENGTH = 128
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 1000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_IDEMPOTENCY_KEY_LENGTH = 255
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)  # how long a replay gets the first answer
MAX_REMIND_BEFORE = timedelta(days=366)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Priority(IntEnum):
    """Ordered, so that sorting by priority puts `high` above `low`."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> "Priority":
        try:
            return cls[label.upper()]
        except KeyError:
            names = ", ".join(p.label for p in cls)
            raise InvalidInput([FieldError("priority", f"must be one of {names}")]) from None


def text_problem(value: str) -> str | None:
    # Postgres text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8 at all.
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


def in_utc(moment: datetime, field: str, errors: list[FieldError]) -> datetime | None:
    """The same moment in UTC; a naive time, or one that UTC cannot hold (year 1 or 9999 with an
    offset), is added to `errors`."""
    if moment.tzinfo is None:
        errors.append(FieldError(field, "must carry a UTC offset, as RFC 3339 requires"))
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        errors.append(FieldError(field, "is out of range once in UTC"))
        return None


def parse_user_id(raw: str) -> str:
    """Return the owner named by `raw`: an opaque string of 1 to 128 characters that a URL path
    segment can name (`/api/{user_id}/tasks`), whichever driving adapter it came through."""
    problem = text_problem(raw)
    if problem is None and not 1 <= len(raw) <= MAX_USER_ID_LENGTH:
        problem = f"must be 1 to {MAX_USER_ID_LENGTH} characters"
    elif problem is None and "/" in raw:
        problem = "must not contain `/`: a path segment cannot hold it"
    elif problem is None and raw in (".", ".."):
        problem = "`.` and `..` cannot be user ids: URL resolution removes them"
    if problem:
        raise InvalidInput([FieldError("user_id", problem)])
    return raw


_CANONICAL_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_task_id(raw: str) -> UUID:
    """Return the id named by `raw`; anything that is not a canonical id (8-4-4-4-12 hex digits)
    names no task."""
    if not _CANONICAL_ID.fullmatch(raw):
        raise TaskNotFound(raw)
    return UUID(raw)


def _tags(raw: Iterable[str], errors: list[FieldError]) -> tuple[str, ...]:
    """Trimmed, without repeats, in the order given."""
    tags: dict[str, None] = {}
    for tag in raw:
        tag = tag.strip()
        if problem := text_problem(tag):
            errors.append(FieldError("tags", problem))
        elif not 1 <= len(tag) <= MAX_TAG_LENGTH:
            errors.append(FieldError("tags", f"each tag must be 1 to {MAX_TAG_LENGTH} characters"))
        else:
            tags[tag] = None
    if len(tags) > MAX_TAGS:
        errors.append(FieldError("tags", f"at most {MAX_TAGS} tags"))
    return tuple(tags)


@dataclass(frozen=True, slots=True)
class TaskContent:
    """The fields a client may edit, already checked against the rules (see `TaskDraft.checked`)."""

    title: str
    description: str | None = None
    completed: bool = False
    priority: Priority = Priority.NONE
    due_at: datetime | None = None
    tags: tuple[str, ...] = ()
    recurrence: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    remind_at: datetime | None = None  # when the reminder fires; with `remind_before`, taken from `due_at`
    remind_before: timedelta | None = None

    def draft(self) -> "TaskDraft":
        """The same fields as a client would send them (`remind_at` only when it is not derived)."""
        return TaskDraft(
            self.title,
            self.description,
            self.completed,
            self.priority.label,
            self.due_at,
            self.tags,
            self.recurrence,
            self.time_zone,
            None if self.remind_before is not None else self.remind_at,
            self.remind_before,
        )

    def fingerprint(self) -> str:
        """Identifies the content, for telling a retried request from a different one."""
        fields: tuple[object, ...] = (self.title, self.description, self.completed, self.priority.label, self.due_at)
        fields += (self.tags,)
        schedule = (self.recurrence, self.time_zone, self.remind_at, self.remind_before)
        if schedule != _NO_SCHEDULE:  # a task without them keeps the fingerprint it had before they existed
            fields += schedule
        return hashlib.sha256(repr(fields).encode()).hexdigest()


EDITABLE_FIELDS = tuple(editable.name for editable in fields(TaskContent))
_NO_SCHEDULE = (None, DEFAULT_TIME_ZONE, None, None)


@dataclass(slots=True)
class TaskDraft:
    """The editable fields as a client sent them: not yet checked. `priority` is a label (`high`).

    Not frozen, like Task: every create and replace builds one, and a frozen dataclass costs several
    times as much to build (`python -m bench.in_process`, create). Nothing keeps a draft.
    """

    title: str
    description: str | None = None
    completed: bool = False
    priority: str = Priority.NONE.label
    due_at: datetime | None = None
    tags: Sequence[str] = ()
    recurrence: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    remind_at: datetime | None = None
    remind_before: timedelta | None = None

    def checked(self) -> TaskContent:
        """The content these fields make, trimmed and normalised; every field that breaks a rule is
        named in one `InvalidInput`."""
        errors: list[FieldError] = []
        title = self.title.strip()
        if problem := text_problem(title):
            errors.append(FieldError("title", problem))
        elif not 1 <= len(title) <= MAX_TITLE_LENGTH:
            errors.append(FieldError("title", f"must be 1 to {MAX_TITLE_LENGTH} characters after trimming white space"))
        if self.description is not None:
            if problem := text_problem(self.description):
                errors.append(FieldError("description", problem))
            elif len(self.description) > MAX_DESCRIPTION_LENGTH:
                errors.append(FieldError("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters"))
        try:
            priority = Priority.parse(self.priority)
        except InvalidInput as error:
            errors.extend(error.errors)
            priority = Priority.NONE
        due_at = None if self.due_at is None else in_utc(self.due_at, "due_at", errors)
        tags = _tags(self.tags, errors)
        recurrence = self._recurrence(due_at, errors)
        remind_at = self._reminder(due_at, errors)
        if errors:
            raise InvalidInput(errors)
        return TaskContent(
            title,
            self.description,
            self.completed,
            priority,
            due_at,
            tags,
            recurrence,
            self.time_zone,
            remind_at,
            self.remind_before,
        )

    def _recurrence(self, due_at: datetime | None, errors: list[FieldError]) -> str | None:
        """The rule as kept; its time zone is checked whether or not the task recurs."""
        try:
            parse_time_zone(self.time_zone)
            if self.recurrence is None:
                return None
            rule = parse_recurrence(self.recurrence)
            if due_at is None:
                errors.append(FieldError("due_at", "is required when the task recurs: occurrences follow it"))
                return None
            Series(rule, self.time_zone, due_at).check()
        except InvalidInput as error:
            errors.extend(error.errors)
            return None
        return rule

    def _reminder(self, due_at: datetime | None, errors: list[FieldError]) -> datetime | None:
        """When the reminder fires; `remind_at` must agree with `remind_before` when both are given."""
        before = self.remind_before
        if before is not None and not timedelta(0) <= before <= MAX_REMIND_BEFORE:
            errors.append(FieldError("remind_before", f"must be from PT0S to P{MAX_REMIND_BEFORE.days}D"))
            return None
        if before is not None and due_at is None:
            errors.append(FieldError("remind_before", "needs a due_at to count back from"))
            return None
        remind_at = None if self.remind_at is None else in_utc(self.remind_at, "remind_at", errors)
        derived = remind_time(due_at=due_at, remind_at=remind_at, remind_before=before)
        if before is not None and remind_at is not None and remind_at != derived:
            errors.append(FieldError("remind_at", "disagrees with remind_before: give one of them"))
        return derived


_CLEARED = {
    "description": None,
    "priority": Priority.NONE.label,
    "due_at": None,
    "tags": (),
    "recurrence": None,
    "time_zone": DEFAULT_TIME_ZONE,
    "remind_at": None,
    "remind_before": None,
}
_REMINDER = ("remind_at", "remind_before")  # a patch that names one of them clears the other
_REQUIRED = ("title", "completed")


@dataclass(slots=True)
class Task:
    """A task as stored. Treat it as a value: changes make a new Task (`with_content`, `with_completion`).

    Not frozen: a frozen dataclass costs several times as much to build, and lists build many
    (`python -m bench.in_process`). So nothing stops a write to a field, and the memory store hands out
    the very Tasks it keeps: never set a field of a Task you did not just build (the SQL store sets
    `priority` once, as it builds each one).
    """

    id: UUID
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime
    priority: Priority = Priority.NONE
    due_at: datetime | None = None
    tags: list[str] = field(default_factory=list)
    completed_at: datetime | None = None
    version: int = 1
    recurrence: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    remind_at: datetime | None = None
    remind_before: timedelta | None = None
    previous_id: UUID | None = None  # the task of the series this one follows
    reminded_at: datetime | None = None  # when the reminder fired (None: it has not)

    @classmethod
    def create(cls, user_id: str, content: TaskContent, now: datetime) -> "Task":
        # Field by field rather than `**_stored(content)`: a dict built per task costs more than the
        # call itself (`python -m bench.in_process`, create).
        return cls(
            uuid4(),
            user_id,
            title=content.title,
            description=content.description,
            completed=content.completed,
            created_at=now,
            updated_at=now,
            priority=content.priority,
            due_at=content.due_at,
            tags=list(content.tags),
            completed_at=now if content.completed else None,
            recurrence=content.recurrence,
            time_zone=content.time_zone,
            remind_at=content.remind_at,
            remind_before=content.remind_before,
        )

    def successor(self, now: datetime) -> "Task | None":
        """The next task of the series, due at the next occurrence after this one; None when this
        task does not recur or its series has ended. Its reminder keeps its distance from `due_at`."""
        if self.recurrence is None or self.due_at is None:
            return None
        following = Series(self.recurrence, self.time_zone, self.due_at).following()
        if following is None:
            return None
        remind_at = None if self.remind_at is None else following.due_at - (self.due_at - self.remind_at)
        content = replace(
            self.content, completed=False, due_at=following.due_at, recurrence=following.rule, remind_at=remind_at
        )
        task = Task.create(self.user_id, content, now)
        task.previous_id = self.id  # just built: nobody else holds it
        return task

    @property
    def content(self) -> TaskContent:
        return TaskContent(
            self.title,
            self.description,
            self.completed,
            self.priority,
            self.due_at,
            tuple(self.tags),
            self.recurrence,
            self.time_zone,
            self.remind_at,
            self.remind_before,
        )

    def completes_series(self, *, completed: bool, recurrence: str | None) -> bool:
        """Whether a write that leaves the task `completed`, recurring by `recurrence`, completes this
        task of a series: such a write adds the next task too (`Task.successor`)."""
        return completed and recurrence is not None and not self.completed

    @property
    def reminder_pending(self) -> bool:
        """Whether the reminder is still to fire: set, not fired, and the task not completed."""
        return self.remind_at is not None and self.reminded_at is None and not self.completed

    def merged(self, changes: Mapping[str, Any]) -> TaskContent:
        """JSON Merge Patch (RFC 7396) of the editable fields: absent stays, null clears, the rest is checked."""
        errors = [FieldError(name, "cannot be null") for name in _REQUIRED if name in changes and changes[name] is None]
        if errors:
            raise InvalidInput(errors)
        patch: dict[str, Any] = {
            name: _CLEARED[name] if value is None else value
            for name, value in changes.items()
            if name in EDITABLE_FIELDS
        }
        named = [name for name in _REMINDER if name in patch]
        if len(named) == 1:
            patch |= {name: None for name in _REMINDER if name not in named}
        return replace(self.content.draft(), **patch).checked()

    def with_content(self, content: TaskContent, now: datetime) -> "Task":
        """The task with new content; a reminder moved to another time is armed again."""
        return replace(
            self,
            completed_at=(self.completed_at or now) if content.completed else None,
            updated_at=now,
            version=self.version + 1,
            reminded_at=self.reminded_at if content.remind_at == self.remind_at else None,
            **_stored(content),
        )

    def with_completion(self, completed: bool, now: datetime) -> "Task":
        if completed == self.completed:
            return self
        return replace(
            self,
            completed=completed,
            completed_at=now if completed else None,
            updated_at=now,
            version=self.version + 1,
        )


def _stored(content: TaskContent) -> dict[str, Any]:
    """The content as a Task keeps it (tags as a list, as the stores load them)."""
    values = {name: getattr(content, name) for name in EDITABLE_FIELDS}
    values["tags"] = list(content.tags)
    return values


def parse_idempotency_key(raw: str) -> str:
    """A client's Idempotency-Key: 1 to 255 visible ASCII characters."""
    if not (1 <= len(raw) <= MAX_IDEMPOTENCY_KEY_LENGTH and raw.isascii() and raw.isprintable()):
        raise InvalidInput(
            [FieldError("Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters")]
        )
    return raw
