"""The task routes of the contract. Each parses the request, calls one use case, shapes the answer."""

from typing import Any, Generic, TypeVar
from urllib.parse import quote

import msgspec
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.dto import MsgspecDTO
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from adapters.http.schemas import CompletionInput, TaskInput, TaskOutput
from application.tasks import TaskService

Body = TypeVar("Body", bound=msgspec.Struct)


class StrictJSON(MsgspecDTO[Body], Generic[Body]):
    """Decodes bodies strictly: `"completed": 1` or `"true"` is a wrong type, not a boolean.

    Litestar's own decoding is lax; this keeps its OpenAPI description of the body.
    """

    def decode_bytes(self, value: bytes) -> Any:
        if not value.strip():
            raise msgspec.DecodeError("the body is empty; a JSON object is expected")
        try:
            return msgspec.json.decode(value, type=self.model_type, strict=True)
        except UnicodeDecodeError as error:
            raise msgspec.DecodeError(f"the body is not valid UTF-8 ({error.reason})") from None


class OptionalStrictJSON(StrictJSON[Body], Generic[Body]):
    """As `StrictJSON`, but an empty body means no body at all."""

    def decode_bytes(self, value: bytes) -> Any:
        return super().decode_bytes(value) if value.strip() else None


class TaskController(Controller):
    path = "/api/{user_id:str}/tasks"
    tags = ("tasks",)

    @get("/", summary="List the user's tasks, oldest first")
    async def list_tasks(self, tasks: NamedDependency[TaskService], user_id: FromPath[str]) -> list[TaskOutput]:
        return [TaskOutput.of(task) for task in await tasks.list(user_id)]

    @post("/", dto=StrictJSON[TaskInput], return_dto=None, summary="Create a task")
    async def create_task(
        self, tasks: NamedDependency[TaskService], user_id: FromPath[str], data: JSONBody[TaskInput]
    ) -> Response[TaskOutput]:
        task = await tasks.create(user_id, data.title, data.description, data.completed)
        location = f"/api/{quote(user_id, safe='')}/tasks/{task.id}"
        return Response(TaskOutput.of(task), status_code=HTTP_201_CREATED, headers={"Location": location})

    @get("/{task_id:str}", summary="Read one task")
    async def get_task(
        self, tasks: NamedDependency[TaskService], user_id: FromPath[str], task_id: FromPath[str]
    ) -> TaskOutput:
        return TaskOutput.of(await tasks.get(user_id, task_id))

    @put("/{task_id:str}", dto=StrictJSON[TaskInput], return_dto=None, summary="Replace a task's editable fields")
    async def replace_task(
        self,
        tasks: NamedDependency[TaskService],
        user_id: FromPath[str],
        task_id: FromPath[str],
        data: JSONBody[TaskInput],
    ) -> TaskOutput:
        return TaskOutput.of(await tasks.replace(user_id, task_id, data.title, data.description, data.completed))

    @delete("/{task_id:str}", status_code=HTTP_204_NO_CONTENT, summary="Delete a task")
    async def delete_task(
        self, tasks: NamedDependency[TaskService], user_id: FromPath[str], task_id: FromPath[str]
    ) -> None:
        await tasks.delete(user_id, task_id)

    @patch(
        "/{task_id:str}/complete",
        dto=OptionalStrictJSON[CompletionInput],
        return_dto=None,
        summary='Toggle completion (no body) or set it (`{"completed": bool}`, safe to retry)',
    )
    async def complete_task(
        self,
        tasks: NamedDependency[TaskService],
        user_id: FromPath[str],
        task_id: FromPath[str],
        data: JSONBody[CompletionInput | None] = None,
    ) -> TaskOutput:
        if data is None:
            return TaskOutput.of(await tasks.toggle_completion(user_id, task_id))
        return TaskOutput.of(await tasks.set_completion(user_id, task_id, data.completed))
