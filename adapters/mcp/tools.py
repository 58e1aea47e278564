"""The MCP server: the plan's task tools for AI agents, each one call of the same TaskService as REST.

A tool that cannot do what it was asked answers a tool error (`isError`) with a message an agent
can act on; the session goes on, and nothing internal (SQL, a driver, a stack trace) is in it.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

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

from adapters.mcp.arguments import AddTask, ListTasks, OneTask, UpdateTask, decoded, input_schema
from adapters.wire.schemas import TaskOutput, value_problem
from application.tasks import TaskService
from domain.errors import EditConflict, InvalidInput, StoreFull, StoreUnavailable, TaskNotFound
from domain.task import Task

log = logging.getLogger(__name__)

Answer = dict[str, Any] | list[dict[str, Any]]


def _outcome(task: Task, status: str) -> dict[str, Any]:
    return {"task_id": str(task.id), "status": status, "title": task.title}


async def add_task(tasks: TaskService, arguments: AddTask) -> Answer:
    return _outcome(await tasks.create(arguments.user_id, draft=arguments.draft()), "created")


async def list_tasks(tasks: TaskService, arguments: ListTasks) -> Answer:
    page = await tasks.list(arguments.user_id, query=arguments.query())
    return [msgspec.to_builtins(TaskOutput.of(task)) for task in page.tasks]


async def complete_task(tasks: TaskService, arguments: OneTask) -> Answer:
    return _outcome(
        await tasks.set_completion(arguments.user_id, task_id=arguments.task_id, completed=True), "completed"
    )


async def delete_task(tasks: TaskService, arguments: OneTask) -> Answer:
    task = await tasks.get(arguments.user_id, task_id=arguments.task_id)
    await tasks.delete(arguments.user_id, task_id=arguments.task_id)
    return _outcome(task, "deleted")


async def update_task(tasks: TaskService, arguments: UpdateTask) -> Answer:
    return _outcome(
        await tasks.update(arguments.user_id, task_id=arguments.task_id, changes=arguments.changes()), "updated"
    )


@dataclass(frozen=True)
class TaskTool:
    name: str
    description: str
    arguments: type[msgspec.Struct]
    run: Callable[[TaskService, Any], Awaitable[Answer]]
    annotations: ToolAnnotations

    def announced(self) -> Tool:
        schema = input_schema(self.arguments)
        return Tool(name=self.name, description=self.description, input_schema=schema, annotations=self.annotations)


_RETURNS_OUTCOME = 'Returns {"task_id", "status": "%s", "title"}; task_id is a string (a UUID), never an integer.'
TOOLS = {
    tool.name: tool
    for tool in (
        TaskTool(
            "add_task",
            "Add a task to the user's todo list: a title, and optionally a description, priority, due date "
            "(due_at, RFC 3339 with an offset) and tags. " + _RETURNS_OUTCOME % "created",
            AddTask,
            add_task,
            ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False),
        ),
        TaskTool(
            "list_tasks",
            "List the user's tasks: status `all` (the default), `pending` or `completed`, optionally filtered "
            "by priority, tag, due dates or text, sorted (`due_date`, `-priority`, ...) and limited. Returns a "
            "JSON array of tasks, each with its `id` (a UUID string: pass it as task_id to the other tools), "
            "title, description, completed, priority, due_at, tags and timestamps.",
            ListTasks,
            list_tasks,
            ToolAnnotations(read_only_hint=True),
        ),
        TaskTool(
            "complete_task",
            "Mark one of the user's tasks as completed. Safe to retry: a task already completed stays so "
            "(it is not a toggle). " + _RETURNS_OUTCOME % "completed",
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


async def call(tasks: TaskService, name: str, arguments: dict[str, Any] | None) -> CallToolResult:
    """Runs one tool; whatever goes wrong is a tool error, never an error of the session."""
    tool = TOOLS.get(name)
    if tool is None:
        return CallToolResult(content=_text(f"Unknown tool {name!r}; the tools are {', '.join(TOOLS)}."), is_error=True)
    try:
        answer = await tool.run(tasks, decoded(arguments, tool.arguments))
    except Exception as error:  # noqa: BLE001 - any failure is a tool error; `_problem` logs the unexpected
        return CallToolResult(content=_text(_problem(error, arguments or {})), is_error=True)
    # Structured content is an object: a list of tasks is given as {"tasks": [...]}.
    structured = answer if isinstance(answer, dict) else {"tasks": answer}
    return CallToolResult(content=_text(msgspec.json.encode(answer).decode()), structured_content=structured)


def task_server(tasks: TaskService) -> Server[Any]:
    """An MCP server whose tools call `tasks`; run it over stdio or mount it over streamable HTTP."""
    announced = ListToolsResult(tools=[tool.announced() for tool in TOOLS.values()])

    async def on_list_tools(_: ServerRequestContext[Any], __: PaginatedRequestParams | None) -> ListToolsResult:
        return announced

    async def on_call_tool(_: ServerRequestContext[Any], params: CallToolRequestParams) -> CallToolResult:
        return await call(tasks, params.name, params.arguments)

    return Server(
        "todo-tasks",
        version="1.0.0",
        instructions="Manage one user's todo tasks. Every tool takes the user's id (user_id) and only ever "
        "sees that user's tasks. Task ids are UUID strings: take them from add_task or list_tasks.",
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )
