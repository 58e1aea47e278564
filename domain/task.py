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

MAX_USER_ID_LENGTH = 128
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 1000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_IDEMPOTENCY_KEY_LENGTH = 255
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)  # how long a replay gets the first answer


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

    def draft(self) -> "TaskDraft":
        """The same fields as a client would send them."""
        return TaskDraft(self.title, self.description, self.completed, self.priority.label, self.due_at, self.tags)

    def fingerprint(self) -> str:
        """Identifies the content, for telling a retried request from a different one."""
        fields = (self.title, self.description, self.completed, self.priority.label, self.due_at, self.tags)
        return hashlib.sha256(repr(fields).encode()).hexdigest()


EDITABLE_FIELDS = tuple(editable.name for editable in fields(TaskContent))


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
        if errors:
            raise InvalidInput(errors)
        return TaskContent(title, self.description, self.completed, priority, due_at, tags)


_CLEARED = {"description": None, "priority": Priority.NONE.label, "due_at": None, "tags": ()}
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
        )

    @property
    def content(self) -> TaskContent:
        return TaskContent(self.title, self.description, self.completed, self.priority, self.due_at, tuple(self.tags))

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
        return replace(self.content.draft(), **patch).checked()

    def with_content(self, content: TaskContent, now: datetime) -> "Task":
        return replace(
            self,
            completed_at=(self.completed_at or now) if content.completed else None,
            updated_at=now,
            version=self.version + 1,
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
