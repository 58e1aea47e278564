"""The framework floor: the bare reference's four routes, statements and JSON, served by the
smallest Litestar app that can, with Litestar's default settings.

The service runs on Litestar; this app shows what Litestar itself costs on those routes, so that
bench.run can tell the framework's share of a request (this floor against the bare reference) from
ours (the service against this floor). It serves Postgres or SQLite, as DATABASE_URL says.
Run: uvicorn bench.reference_litestar:app
"""

import os
import uuid
from collections.abc import Callable

from litestar import Litestar, Response, get, patch, post
from litestar.exceptions import NotFoundException

from bench import reference, reference_sqlite
from bench.reference import Row, TaskIn, TaskOut, Tasks


def store(url: str) -> tuple[Tasks, Callable[[Row], TaskOut]]:
    if url.startswith("sqlite:///"):
        return reference_sqlite.SqliteTasks(url.removeprefix("sqlite:///")), reference_sqlite.task_out
    return reference.PostgresTasks(url), reference.task_out


tasks, task_out = store(os.environ["DATABASE_URL"])


def one_task(row: Row | None, status_code: int = 200, **headers: str) -> Response[TaskOut]:
    if row is None:
        raise NotFoundException
    return Response(task_out(row), status_code=status_code, headers={"etag": f'"{row[-1]}"', **headers})


@get("/api/{user_id:str}/tasks")
async def list_tasks(user_id: str) -> list[TaskOut]:
    return [task_out(row) for row in await tasks.list(user_id)]


@post("/api/{user_id:str}/tasks")
async def create_task(user_id: str, data: TaskIn) -> Response[TaskOut]:
    row = await tasks.create(user_id, data)
    return one_task(row, 201, location=f"/api/{user_id}/tasks/{task_out(row).id}")


@get("/api/{user_id:str}/tasks/{task_id:uuid}")
async def get_task(user_id: str, task_id: uuid.UUID) -> Response[TaskOut]:
    return one_task(await tasks.get(user_id, task_id))


@patch("/api/{user_id:str}/tasks/{task_id:uuid}/complete")
async def toggle_task(user_id: str, task_id: uuid.UUID) -> Response[TaskOut]:
    return one_task(await tasks.toggle(user_id, task_id))


app = Litestar(
    route_handlers=[list_tasks, create_task, get_task, toggle_task], on_startup=[tasks.open], on_shutdown=[tasks.close]
)
