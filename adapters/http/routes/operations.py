"""The routes an operator or an orchestrator calls: is the process up, does the store answer."""

from litestar import Controller, get

from adapters.http.openapi import problem_responses
from application.tasks import TaskService


class OperationsController(Controller):
    path = "/"
    tags = ("operations",)
    tasks: TaskService

    @get("/health", operation_id="getHealth", summary="The process is up", responses=problem_responses(500))
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        operation_id="getReadiness",
        summary="The task store answers",
        responses=problem_responses(
            500, 503, descriptions={503: "The task store does not answer; `Retry-After` says when to ask again."}
        ),
    )
    async def ready(self) -> dict[str, str]:
        await self.tasks.check_store()
        return {"status": "ready"}
