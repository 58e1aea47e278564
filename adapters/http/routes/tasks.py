"""The task routes. Each parses the request, calls one use case, and shapes the answer."""

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED
from litestar.types import Scope

from adapters.http.answers import JSONAnswer
from adapters.http.bodies import OptionalStrictJSON, StrictJSON
from adapters.http.conditional import etag, if_none_match, not_modified, versions_allowed
from adapters.http.openapi import problem_responses
from adapters.wire.cursors import InvalidCursor, PageCursors
from adapters.wire.schemas import (
    COMPLETION_OF_STATUS,
    CompletionInput,
    PriorityLabel,
    SortName,
    TaskInput,
    TaskOutput,
    TaskPatch,
    sort_order,
)
from application.tasks import TaskService
from domain.query import DEFAULT_PAGE_SIZE, FIRST_PAGE, MAX_PAGE_SIZE, TaskFilter, TaskQuery
from domain.task import Priority, Task

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match", description="Write only if the task still has this ETag (else 412)", required=False
    ),
]


LIST_PROBLEMS = problem_responses(
    400,
    422,
    500,
    503,
    descriptions={
        400: "A query parameter has the wrong type or range, or the cursor was not handed out for this query.",
        422: "The user id or a filter value breaks its rules; `errors` names it.",
    },
)
CREATE_PROBLEMS = problem_responses(
    400,
    413,
    415,
    422,
    500,
    503,
    507,
    descriptions={
        422: "The body or the user id breaks the rules, or the Idempotency-Key was already used with another body; "
        "`errors` names each field."
    },
)
GET_ANSWERS = {
    304: ResponseSpec(None, description="Not modified: the task still has an ETag named in If-None-Match."),
    **problem_responses(404, 422, 500, 503),
}


def _answer(task: Task, status_code: int = 200, **headers: str) -> JSONAnswer[TaskOutput]:
    return JSONAnswer(TaskOutput.of(task), status_code=status_code, headers={"ETag": etag(task), **headers})


def _moment(name: str, text: str | None) -> datetime | None:
    """An RFC 3339 query parameter, with its offset, as every time the API takes (a `due_at` too)."""
    if text is None:
        return None
    try:
        if text[10:11] not in ("T", "t", " "):  # a date alone is not a date-time
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError(text)
    except ValueError:
        message = f"must be an RFC 3339 date-time with an offset, such as 2026-12-01T09:00:00Z, not {text!r}"
        raise ValidationException(f"{name} {message}", extra=[{"key": name, "message": message}]) from None
    return moment


def _completion(completed: bool | None, status: str | None) -> bool | None:
    """The `completed` filter, from `completed` or the plan's `status` (both given: they must agree)."""
    if status is None:
        return completed
    if status not in COMPLETION_OF_STATUS:
        message = f"must be one of {', '.join(COMPLETION_OF_STATUS)}"
        raise ValidationException(f"status {message}", extra=[{"key": "status", "message": message}])
    named = COMPLETION_OF_STATUS[status]
    if completed is not None and completed != named:
        message = f"status={status} and completed={str(completed).lower()} disagree; send one of them"
        raise ValidationException(message, extra=[{"key": "status", "message": message}])
    return named


class TaskController(Controller):
    path = "/api/{user_id:str}/tasks"
    tags = ("tasks",)
    tasks: TaskService
    cursors: PageCursors

    @get(
        "/",
        operation_id="listTasks",
        responses=LIST_PROBLEMS,
        summary="List the user's tasks: filtered, sorted, a page at a time",
    )
    async def list_tasks(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[str],
        completed: Annotated[bool | None, QueryParameter(description="only completed, or only open, tasks")] = None,
        status: Annotated[
            str | None,
            QueryParameter(
                description="the same filter by name: `pending` (open), `completed`, or `all`; "
                "given with `completed`, the two must agree",
                enum=list(COMPLETION_OF_STATUS),  # checked by `_completion`, whose 400 lists them
            ),
        ] = None,
        priority: Annotated[PriorityLabel | None, QueryParameter(description="only tasks of this priority")] = None,
        tag: Annotated[str | None, QueryParameter(description="only tasks carrying this tag (exact match)")] = None,
        due_before: Annotated[
            str | None,
            QueryParameter(description="only tasks due strictly before (RFC 3339, with an offset)", format="date-time"),
        ] = None,
        due_after: Annotated[
            str | None,
            QueryParameter(description="only tasks due strictly after (RFC 3339, with an offset)", format="date-time"),
        ] = None,
        q: Annotated[
            str | None,
            QueryParameter(description="text in the title or description, ignoring ASCII case", max_length=200),
        ] = None,
        recurring: Annotated[
            bool | None, QueryParameter(description="only tasks that recur (`true`), or only those that do not")
        ] = None,
        sort: Annotated[
            SortName,
            QueryParameter(description="order, `-` for descending; ties broken by id; `due_date` is `due`"),
        ] = "created",
        limit: Annotated[int, QueryParameter(description="page size", ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[
            str | None, QueryParameter(description='from the previous page\'s `Link: rel="next"`')
        ] = None,
    ) -> JSONAnswer[list[TaskOutput]]:
        if request.scope["query_string"]:
            wanted = TaskFilter(
                _completion(completed, status),
                None if priority is None else Priority.parse(priority),
                tag,
                _moment("due_before", due_before),
                _moment("due_after", due_after),
                q,
                recurring,
            )
            query = TaskQuery(wanted, *sort_order(sort), limit)
        else:
            # A plain listing, the commonest request, skips building a query: `list (20 tasks)` against
            # `list ?sort=created` in `python -m bench.in_process` shows what that saves.
            query = FIRST_PAGE
        if cursor is not None:
            try:
                query = query.continued_after(await self.cursors.decode(user_id, cursor, query))
            except InvalidCursor as error:
                raise ValidationException(str(error), extra=[{"key": "cursor", "message": str(error)}]) from None
        page = await self.tasks.list(user_id, query=query)
        headers = {}
        if page.next is not None:
            others = [(name, value) for name, value in request.query_params.multi_items() if name != "cursor"]
            following = urlencode([*others, ("cursor", await self.cursors.encode(user_id, query, page.next))])
            headers["Link"] = f'<{quote(request.url.path)}?{following}>; rel="next"'
        return JSONAnswer(list(map(TaskOutput.of, page.tasks)), headers=headers)  # `of` bound once, not per task

    @post(
        "/",
        operation_id="createTask",
        responses=CREATE_PROBLEMS,
        dto=StrictJSON[TaskInput],
        return_dto=None,
        summary="Create a task",
    )
    async def create_task(
        self,
        user_id: FromPath[str],
        data: JSONBody[TaskInput],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="Retry-safe creation: a replay returns the first answer",
                required=False,
            ),
        ] = None,
    ) -> JSONAnswer[TaskOutput]:
        task = await self.tasks.create(user_id, draft=data.draft(), idempotency_key=idempotency_key)
        return _answer(task, HTTP_201_CREATED, Location=f"/api/{quote(user_id, safe='')}/tasks/{task.id}")

    @get("/{task_id:str}", operation_id="getTask", responses=GET_ANSWERS, summary="Read one task")
    async def get_task(self, scope: Scope, user_id: FromPath[str], task_id: FromPath[str]) -> JSONAnswer[TaskOutput]:
        task = await self.tasks.get(user_id, task_id=task_id)
        if not_modified(task, if_none_match(scope)):
            return JSONAnswer(None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": etag(task)})  # type: ignore[arg-type]
        return _answer(task)

    @put(
        "/{task_id:str}",
        responses=problem_responses(400, 404, 412, 413, 415, 422, 500, 503, 507),
        dto=StrictJSON[TaskInput],
        return_dto=None,
        operation_id="replaceTask",
        summary="Replace a task's editable fields",
    )
    async def replace_task(
        self,
        user_id: FromPath[str],
        task_id: FromPath[str],
        data: JSONBody[TaskInput],
        if_match: IfMatch = None,
    ) -> JSONAnswer[TaskOutput]:
        task = await self.tasks.replace(
            user_id, task_id=task_id, draft=data.draft(), expected_versions=versions_allowed(if_match)
        )
        return await self._written(user_id, task)

    @patch(
        "/{task_id:str}",
        responses=problem_responses(400, 404, 409, 412, 413, 415, 422, 500, 503, 507),
        dto=StrictJSON[TaskPatch],
        return_dto=None,
        operation_id="updateTask",
        summary="Change some fields (JSON Merge Patch)",
    )
    async def update_task(
        self,
        user_id: FromPath[str],
        task_id: FromPath[str],
        data: JSONBody[TaskPatch],
        if_match: IfMatch = None,
    ) -> JSONAnswer[TaskOutput]:
        allowed = versions_allowed(if_match)
        task = await self.tasks.update(user_id, task_id=task_id, changes=data.changes(), expected_versions=allowed)
        return await self._written(user_id, task)

    @delete(
        "/{task_id:str}",
        responses=problem_responses(404, 412, 422, 500, 503, 507),
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteTask",
        summary="Delete a task",
    )
    async def delete_task(
        self,
        user_id: FromPath[str],
        task_id: FromPath[str],
        if_match: IfMatch = None,
    ) -> None:
        await self.tasks.delete(user_id, task_id=task_id, expected_versions=versions_allowed(if_match))

    @patch(
        "/{task_id:str}/complete",
        responses=problem_responses(400, 404, 412, 413, 415, 422, 500, 503, 507),
        dto=OptionalStrictJSON[CompletionInput],
        return_dto=None,
        operation_id="setTaskCompletion",
        summary="Toggle completion (no body), or set it (a body with completed true or false: safe to retry)",
    )
    async def complete_task(
        self,
        user_id: FromPath[str],
        task_id: FromPath[str],
        data: JSONBody[CompletionInput | None] = None,
        if_match: IfMatch = None,
    ) -> JSONAnswer[TaskOutput]:
        allowed = versions_allowed(if_match)
        if data is None:
            task = await self.tasks.toggle_completion(user_id, task_id=task_id, expected_versions=allowed)
        else:
            task = await self.tasks.set_completion(
                user_id, task_id=task_id, completed=data.completed, expected_versions=allowed
            )
        return await self._written(user_id, task)

    async def _written(self, user_id: str, task: Task) -> JSONAnswer[TaskOutput]:
        """The answer to a write; a completed recurring task's links to the next task of its series."""
        if (following := await self.tasks.next_occurrence(task)) is None:
            return _answer(task)
        return _answer(task, Link=f'</api/{quote(user_id, safe="")}/tasks/{following}>; rel="next-occurrence"')
