"""The MCP tools' arguments, as msgspec structs built from the HTTP adapter's own field definitions.

The JSON schema each tool announces is generated from its struct (`json_schema`), and arguments are
decoded with the same strict rules as an HTTP body, so a tool takes exactly what the REST API takes.
"""

from typing import Annotated, Any, TypeVar

import msgspec

from adapters.wire.schemas import (
    COMPLETION_OF_STATUS,
    DueAt,
    PriorityLabel,
    SortName,
    TaskInput,
    TaskPatch,
    TaskStatus,
    sort_order,
    unknown_fields,
)
from domain.errors import FieldError, InvalidInput
from domain.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, TaskFilter, TaskQuery
from domain.task import MAX_USER_ID_LENGTH, Priority

UserId = Annotated[
    str,
    msgspec.Meta(
        description=f"the owner of the tasks: the same opaque string (1 to {MAX_USER_ID_LENGTH} characters) "
        "as in the REST API's /api/{user_id}/tasks; a tool only ever sees and changes this user's tasks"
    ),
]
Arguments = TypeVar("Arguments", bound=msgspec.Struct)

TaskId = Annotated[
    str,
    msgspec.Meta(
        description="the task's id, a UUID string such as 0b9e8a54-8d0e-4f2a-9a43-2d7f3c1e5b10, exactly as "
        "add_task (`task_id`) or list_tasks (`id`) returned it; ids are strings, never integers"
    ),
]


class AddTask(TaskInput, kw_only=True, forbid_unknown_fields=True):
    user_id: UserId
    idempotency_key: Annotated[
        str | None,
        msgspec.Meta(
            description="any string of 1 to 255 visible ASCII characters, new for each task the agent means to "
            "add: a retry with the same key and fields adds nothing and answers the task the first call added"
        ),
    ] = None


class ListTasks(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    user_id: UserId
    status: Annotated[TaskStatus, msgspec.Meta(description="`pending` (open), `completed`, or `all`")] = "all"
    completed: Annotated[
        bool | None, msgspec.Meta(description="only completed (true) or only open (false) tasks, as over REST")
    ] = None
    priority: Annotated[PriorityLabel | None, msgspec.Meta(description="only tasks of this priority")] = None
    tag: Annotated[str | None, msgspec.Meta(description="only tasks carrying this tag (exact match)")] = None
    due_before: Annotated[DueAt, msgspec.Meta(description="only tasks due strictly before this moment")] = None
    due_after: Annotated[DueAt, msgspec.Meta(description="only tasks due strictly after this moment")] = None
    q: (
        Annotated[
            str, msgspec.Meta(description="text in the title or description, ignoring ASCII case", max_length=200)
        ]
        | None
    ) = None
    recurring: Annotated[
        bool | None, msgspec.Meta(description="only tasks that recur (true), or only those that do not (false)")
    ] = None
    sort: Annotated[
        SortName, msgspec.Meta(description="order, `-` for descending (`-due_date`: latest due first); ties by id")
    ] = "created"
    limit: Annotated[
        int,
        msgspec.Meta(description="at most this many tasks; `next_cursor` brings the rest", ge=1, le=MAX_PAGE_SIZE),
    ] = DEFAULT_PAGE_SIZE
    cursor: Annotated[
        str | None,
        msgspec.Meta(description="the `next_cursor` of the previous answer, with the same other arguments"),
    ] = None

    def query(self) -> TaskQuery:
        """The query the arguments ask for (its page position comes from `cursor`, opened by the tool)."""
        priority = None if self.priority is None else Priority.parse(self.priority)
        completed = COMPLETION_OF_STATUS[self.status]
        if self.completed is not None and completed is not None and completed != self.completed:
            message = f"status={self.status} and completed={str(self.completed).lower()} disagree; send one of them"
            raise InvalidInput([FieldError("status", message)])
        wanted = TaskFilter(
            self.completed if completed is None else completed,
            priority,
            self.tag,
            self.due_before,
            self.due_after,
            self.q,
            self.recurring,
        )
        return TaskQuery(wanted, *sort_order(self.sort), self.limit)


class OneTask(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    user_id: UserId
    task_id: TaskId


class UpdateTask(TaskPatch, kw_only=True, forbid_unknown_fields=True):
    user_id: UserId
    task_id: TaskId


def json_schema(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """The struct's JSON schema as MCP wants it (a tool's input or output): an object at the root, what it
    refers to under `$defs`."""
    _, components = msgspec.json.schema_components([struct])
    schema: dict[str, Any] = components.pop(struct.__name__)
    schema.pop("title", None)  # the struct's name, not the tool's
    if components:
        schema["$defs"] = components
    return schema


def decoded(arguments: dict[str, Any] | None, kind: type[Arguments]) -> Arguments:
    """The tool's arguments, checked as strictly as an HTTP body; an unknown one is named (InvalidInput)."""
    given = arguments or {}
    if errors := unknown_fields(given, kind.__struct_fields__):
        raise InvalidInput(errors)
    return msgspec.convert(given, kind, strict=True)
