"""The request and response bodies, as msgspec structs (they also shape the OpenAPI document)."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from domain.task import MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, Task

Title = Annotated[
    str,
    msgspec.Meta(description=f"1 to {MAX_TITLE_LENGTH} characters once surrounding white space is trimmed"),
]
Description = Annotated[str | None, msgspec.Meta(description=f"at most {MAX_DESCRIPTION_LENGTH} characters")]


class TaskInput(msgspec.Struct):
    """The editable fields. Read-only fields a client echoes back (`id`, timestamps...) are ignored."""

    title: Title
    description: Description = None
    completed: bool = False


class CompletionInput(msgspec.Struct):
    completed: bool


class TaskOutput(msgspec.Struct):
    id: UUID
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, task: Task) -> "TaskOutput":
        return cls(
            task.id, task.user_id, task.title, task.description, task.completed, task.created_at, task.updated_at
        )
