"""The Task entity and the rules its fields follow."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID, uuid4

from domain.errors import FieldError, InvalidInput, TaskNotFound

MAX_USER_ID_LENGTH = 128
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 1000


def utc_now() -> datetime:
    return datetime.now(UTC)


def _text_problem(value: str) -> str | None:
    # Postgres text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8 at all.
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


def parse_user_id(raw: str) -> str:
    """Return the owner named by `raw`, an opaque string of 1 to 128 characters."""
    problem = _text_problem(raw)
    if problem is None and not 1 <= len(raw) <= MAX_USER_ID_LENGTH:
        problem = f"must be 1 to {MAX_USER_ID_LENGTH} characters"
    if problem:
        raise InvalidInput([FieldError("user_id", problem)])
    return raw


def parse_task_id(raw: str) -> UUID:
    """Return the id named by `raw`; anything that is not a canonical id names no task."""
    try:
        task_id = UUID(raw)
    except ValueError:
        raise TaskNotFound(raw) from None
    if str(task_id) != raw.lower():
        raise TaskNotFound(raw)
    return task_id


@dataclass(frozen=True, slots=True)
class TaskContent:
    """The fields a client may edit, already checked against the rules."""

    title: str
    description: str | None
    completed: bool

    @classmethod
    def parse(cls, title: str, description: str | None = None, completed: bool = False) -> "TaskContent":
        errors = []
        title = title.strip()
        if problem := _text_problem(title):
            errors.append(FieldError("title", problem))
        elif not 1 <= len(title) <= MAX_TITLE_LENGTH:
            errors.append(FieldError("title", f"must be 1 to {MAX_TITLE_LENGTH} characters after trimming white space"))
        if description is not None:
            if problem := _text_problem(description):
                errors.append(FieldError("description", problem))
            elif len(description) > MAX_DESCRIPTION_LENGTH:
                errors.append(FieldError("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters"))
        if errors:
            raise InvalidInput(errors)
        return cls(title, description, completed)


@dataclass(slots=True)
class Task:
    """A task as stored. Treat it as a value: changes make a new Task (`with_content`, `with_completion`).

    Not frozen: a frozen dataclass costs five times as much to build, and lists build many.
    """

    id: UUID
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def create(cls, user_id: str, content: TaskContent, now: datetime) -> "Task":
        return cls(uuid4(), user_id, content.title, content.description, content.completed, now, now)

    def with_content(self, content: TaskContent, now: datetime) -> "Task":
        return replace(
            self, title=content.title, description=content.description, completed=content.completed, updated_at=now
        )

    def with_completion(self, completed: bool, now: datetime) -> "Task":
        if completed == self.completed:
            return self
        return replace(self, completed=completed, updated_at=now)
