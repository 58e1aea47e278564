"""Task events as CloudEvents 1.0 in JSON (structured mode), so a broker, a webhook consumer or Dapr
takes them unchanged. `data` is the task as the REST API shows it after the change; for a deletion,
its id and `deleted: true`.

A dataclass, not a msgspec Struct: msgspec cannot describe a union of two untagged Structs (`data`)
for the OpenAPI document, and it encodes a dataclass just as fast.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

import msgspec
from litestar.params import KwargDefinition

from adapters.wire.schemas import TaskOutput
from domain.events import ChangeKind, TaskEvent

TYPE_PREFIX = "com.todo.task."
ChangeType = Literal[
    "com.todo.task.created",
    "com.todo.task.updated",
    "com.todo.task.completed",
    "com.todo.task.reopened",
    "com.todo.task.deleted",
    "com.todo.task.reminder",
]


class DeletedTask(msgspec.Struct):
    id: UUID
    deleted: Literal[True]  # required, so that no task matches this side of `data`'s `oneOf`


@dataclass(slots=True)
class CloudEvent:
    specversion: Literal["1.0"]
    id: Annotated[str, KwargDefinition(description="unique within `source`: the event's position in the owner's feed")]
    source: Annotated[str, KwargDefinition(description="the owner's tasks, `/api/{user_id}/tasks`")]
    type: ChangeType
    subject: Annotated[str, KwargDefinition(description="the task's id")]
    time: datetime
    datacontenttype: Literal["application/json"]
    taskversion: Annotated[
        int, KwargDefinition(description="the task's version after the change (for a deletion: its last)")
    ]
    data: Annotated[
        TaskOutput | DeletedTask,
        KwargDefinition(description="the task as `GET` answers it after the change; for a deletion, its id"),
    ]

    @classmethod
    def of(cls, event: TaskEvent) -> "CloudEvent":
        if event.kind is ChangeKind.REMINDER:
            return ReminderEvent(**_fields(event), late=event.late)
        return cls(**_fields(event))


@dataclass(slots=True)
class ReminderEvent(CloudEvent):
    """A reminder that fired: `time` is when; `data.remind_at` when it was due."""

    late: Annotated[
        bool, KwargDefinition(description="fired more than a second after its time (the service was down then)")
    ]


def _fields(event: TaskEvent) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(event.position),
        "source": f"/api/{quote(event.user_id, safe='')}/tasks",
        "type": TYPE_PREFIX + event.kind,
        "subject": str(event.task_id),
        "time": event.time,
        "datacontenttype": "application/json",
        "taskversion": event.version,
        "data": DeletedTask(event.task_id, True) if event.task is None else TaskOutput.of(event.task),
    }
