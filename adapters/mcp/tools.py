"""The MCP server: the plan's task tools for AI agents, each one call of the same TaskService as REST.

A tool that cannot do what it was asked answers a tool error (`isError`) with a message an agent
can act on; the session goes on, and nothing internal (SQL, a driver, a stack trace) is in it.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    ContentBlock,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    Tool,
    ToolAnnotations,
)

from adapters.mcp.arguments import AddTask, ListTasks, OneTask, UpdateTask, decoded, json_schema
from adapters.wire.cursors import InvalidCursor, PageCursors
from adapters.wire.schemas import TaskOutput, value_problem
from application.tasks import TaskService
from domain.errors import (
    EditConflict,
    FieldError,
    IdempotencyKeyReused,
    InvalidInput,
    StoreFull,
    StoreUnavailable,
    TaskNotFound,
)
from domain.task import Task

log = logging.getLogger(__name__)


Status = Literal["created", "completed", "deleted", "updated"]


class Outcome(msgspec.Struct, omit_defaults=True):
    """What a tool that changes one task answers."""

    task_id: Annotated[str, msgspec.Meta(description="the task's id, a UUID string")]
    status: Status
    title: str
    next_task_id: Annotated[
        str | None, msgspec.Meta(description="when a recurring task was completed: the id of the next one")
    ] = None


class TaskList(msgspec.Struct):
    """What list_tasks answers: a page of tasks, as GET /api/{user_id}/tasks gives them."""

    tasks: list[TaskOutput]
    next_cursor: Annotated[
        str | None, msgspec.Meta(description="pass it as `cursor`, with the same other arguments, for the next page")
    ]


@dataclass(frozen=True)
class Callees:
    """What the tools call: the use cases, and the page cursors list_tasks hands out and takes back."""

    tasks: TaskService
    cursors: PageCursors


def _outcome(task: Task, status: Status) -> Outcome:
    return Outcome(str(task.id), status, task.title)


async def add_task(callees: Callees, arguments: AddTask) -> Outcome:
    made = await callees.tasks.create(
        arguments.user_id, draft=arguments.draft(), idempotency_key=arguments.idempotency_key
    )
    return _outcome(made, "created")


async def list_tasks(callees: Callees, arguments: ListTasks) -> TaskList:
    owner, query = arguments.user_id, arguments.query()
    if arguments.cursor is not None:
        try:
            after = await callees.cursors.decode(owner, arguments.cursor, query)
        except InvalidCursor as error:
            raise InvalidInput([FieldError("cursor", str(error))]) from None
        query = query.continued_after(after)
    page = await callees.tasks.list(owner, query=query)
    following = None if page.next is None else await callees.cursors.encode(owner, query, page.next)
    return TaskList(list(map(TaskOutput.of, page.tasks)), following)


async def complete_task(callees: Callees, arguments: OneTask) -> Outcome:
    done = await callees.tasks.set_completion(arguments.user_id, task_id=arguments.task_id, completed=True)
    return await _completed_outcome(callees, done, "completed")


async def _completed_outcome(callees: Callees, task: Task, status: Status) -> Outcome:
    """The outcome, naming the next task of the series when the write completed a recurring task."""
    outcome = _outcome(task, status)
    if (following := await callees.tasks.next_occurrence(task)) is not None:
        outcome.next_task_id = str(following)
    return outcome


async def delete_task(callees: Callees, arguments: OneTask) -> Outcome:
    task = await callees.tasks.get(arguments.user_id, task_id=arguments.task_id)
    await callees.tasks.delete(arguments.user_id, task_id=arguments.task_id)
    return _outcome(task, "deleted")


async def update_task(callees: Callees, arguments: UpdateTask) -> Outcome:
    changed = await callees.tasks.update(arguments.user_id, task_id=arguments.task_id, changes=arguments.changes())
    return await _completed_outcome(callees, changed, "updated")


@dataclass(frozen=True)
class TaskTool:
    name: str
    description: str
    arguments: type[msgspec.Struct]
    run: Callable[[Callees, Any], Awaitable[msgspec.Struct]]
    annotations: ToolAnnotations
    answer: type[msgspec.Struct] = Outcome

    def announced(self) -> Tool:
        return Tool(
            name=self.name,
            description=self.description,
            input_schema=json_schema(self.arguments),
            output_schema=json_schema(self.answer),
            annotations=self.annotations,
        )


_RETURNS_OUTCOME = 'Returns {"task_id", "status": "%s", "title"}; task_id is a string (a UUID), never an integer.'
TOOLS = {
    tool.name: tool
    for tool in (
        TaskTool(
            "add_task",
            "Add a task to the user's todo list: a title, and optionally a description, priority, due date "
            "(due_at, RFC 3339 with an offset) and tags. To make it recur, give `recurrence` (daily, weekly, "
            "monthly, yearly or an RRULE such as FREQ=WEEKLY;BYDAY=MO) with a due_at and the user's "
            "`time_zone` (such as Europe/Berlin): completing it adds the next one. For a reminder, give "
            "`remind_at` (RFC 3339) or `remind_before` (an ISO 8601 duration before due_at, such as PT15M). "
            "Give an idempotency_key to make a retry safe. " + _RETURNS_OUTCOME % "created",
            AddTask,
            add_task,
            ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False),
        ),
        TaskTool(
            "list_tasks",
            "List the user's tasks: status `all` (the default), `pending` or `completed` (or `completed` "
            "true or false), optionally filtered by priority, tag, due dates or text, sorted (`due_date`, "
            '`-priority`, ...), a page of `limit` at a time. Returns {"tasks": [...], "next_cursor"}: each '
            "task with its `id` (a UUID string: pass it as task_id to the other tools), title, description, "
            "completed, priority, due_at, tags and timestamps; while `next_cursor` is not null, more follow: "
            "call again with it as `cursor`.",
            ListTasks,
            list_tasks,
            ToolAnnotations(read_only_hint=True),
            TaskList,
        ),
        TaskTool(
            "complete_task",
            "Mark one of the user's tasks as completed. Safe to retry: a task already completed stays so "
            "(it is not a toggle). A recurring task's next occurrence is added, and its id returned as "
            "`next_task_id`. " + _RETURNS_OUTCOME % "completed",
            OneTask,
            complete_task,
            ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
        ),
        TaskTool(
            "delete_task",
            "Delete one of the user's tasks for good. " + _RETURNS_OUTCOME % "deleted",
            OneTask,
            delete_task,
            ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False),
        ),
        TaskTool(
            "update_task",
            "Change some fields of one of the user's tasks: only the fields given change; null clears "
            "description, priority, due_at or tags (title and completed cannot be null); `completed: false` "
            "reopens a task. " + _RETURNS_OUTCOME % "updated",
            UpdateTask,
            update_task,
            ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
        ),
    )
}


def _problem(error: Exception, arguments: dict[str, Any]) -> str:
    """What went wrong, as an agent can act on it."""
    if isinstance(error, TaskNotFound):
        return (
            f"No task {arguments.get('task_id')!r} for this user ({arguments.get('user_id')!r}). "
            "Call list_tasks for the user's tasks and their ids."
        )
    if isinstance(error, InvalidInput):
        return "Invalid arguments: " + "; ".join(f"{e.field}: {e.message}" for e in error.errors)
    if isinstance(error, msgspec.ValidationError):
        found = value_problem(str(error))
        return f"Invalid arguments: {found.field}: {found.message}"
    if isinstance(error, IdempotencyKeyReused):
        return (
            "This idempotency_key was already used with other fields; nothing was added. Use a new key for a new task."
        )
    if isinstance(error, EditConflict):
        return "The task kept changing while this edit was applied; nothing was written. Try again."
    if isinstance(error, StoreFull):
        return "The task store has no room left to write; reads still work. Try again later."
    if isinstance(error, StoreUnavailable):
        return "The task store is unavailable right now; nothing was written. Try again in a few seconds."
    log.error("unexpected error in an MCP tool", exc_info=error)
    return "The service failed to handle this call. It has been logged."


def _text(text: str) -> list[ContentBlock]:
    return [TextContent(text=text)]


async def call(
    callees: Callees, name: str, arguments: dict[str, Any] | None, *, acting_for: str | None = None
) -> CallToolResult:
    """Runs one tool; whatever goes wrong is a tool error, never an error of the session.
    `acting_for`: the user a bearer token named (authentication on), the only `user_id` allowed."""
    tool = TOOLS.get(name)
    if tool is None:
        return CallToolResult(content=_text(f"Unknown tool {name!r}; the tools are {', '.join(TOOLS)}."), is_error=True)
    if acting_for is not None and (arguments or {}).get("user_id") != acting_for:
        said = f"This session acts for user {acting_for!r} only: pass user_id={acting_for!r}; nothing was done."
        return CallToolResult(content=_text(said), is_error=True)
    try:
        answer = msgspec.to_builtins(await tool.run(callees, decoded(arguments, tool.arguments)))
    except Exception as error:  # noqa: BLE001 - any failure is a tool error; `_problem` logs the unexpected
        return CallToolResult(content=_text(_problem(error, arguments or {})), is_error=True)
    return CallToolResult(content=_text(msgspec.json.encode(answer).decode()), structured_content=answer)


def _caller(context: ServerRequestContext[Any]) -> str | None:
    """The user the HTTP edge found in the request's bearer token; None over stdio or without authentication."""
    request = context.request
    scope = getattr(request, "scope", None) or {}
    caller = scope.get("state", {}).get("caller")
    return caller.subject if caller is not None else None


def task_server(tasks: TaskService, cursors: PageCursors) -> Server[Any]:
    """An MCP server whose tools call `tasks`; run it over stdio or mount it over streamable HTTP."""
    announced = ListToolsResult(tools=[tool.announced() for tool in TOOLS.values()])
    callees = Callees(tasks, cursors)

    async def on_list_tools(_: ServerRequestContext[Any], __: PaginatedRequestParams | None) -> ListToolsResult:
        return announced

    async def on_call_tool(context: ServerRequestContext[Any], params: CallToolRequestParams) -> CallToolResult:
        return await call(callees, params.name, params.arguments, acting_for=_caller(context))

    return Server(
        "todo-tasks",
        version="1.0.0",
        instructions="Manage one user's todo tasks. Every tool takes the user's id (user_id) and only ever "
        "sees that user's tasks. Task ids are UUID strings: take them from add_task or list_tasks.",
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )
