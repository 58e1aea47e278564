"""The event routes: a task's history, and the owner's changes since a token, as CloudEvents.

Positions go out as text (the history's `cursor`, the feed's `next`) and come back as query
parameters; one that is not a position this service hands out is a bad query parameter (400), as a
bad page cursor of the task list is.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, get
from litestar.params import FromPath, KwargDefinition, QueryParameter

from adapters.http.answers import JSONAnswer
from adapters.http.openapi import problem_responses
from adapters.http.parameters import parsed_parameter
from adapters.wire.cloudevents import CloudEvent
from application.events import TaskEvents
from domain.events import FeedToken, TaskEvent, parse_position
from domain.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

BAD_POSITION = "A query parameter has the wrong type or range, or names a position this service did not hand out."

HISTORY_PROBLEMS = problem_responses(
    400,
    404,
    422,
    500,
    503,
    descriptions={
        400: BAD_POSITION,
        404: "No such task for this user (a deleted task still has its history); "
        "a task of another user answers exactly the same.",
        422: "The user id breaks its rules; `errors` names it.",
    },
)
CHANGES_PROBLEMS = problem_responses(
    400,
    410,
    422,
    500,
    503,
    descriptions={
        400: BAD_POSITION,
        410: "Some changes after `after` are no longer kept, or `after` was not handed out by this feed: "
        "start again without `after`.",
        422: "The user id breaks its rules; `errors` names it.",
    },
)

Limit = Annotated[int, QueryParameter(description="page size", ge=1, le=MAX_PAGE_SIZE)]


@dataclass
class ChangesOutput:
    events: Annotated[list[CloudEvent], KwargDefinition(description="the owner's changes after `after`, oldest first")]
    next: Annotated[
        str,
        KwargDefinition(description="an opaque token: send it as `after` next time, even when `events` is empty"),
    ]


def _cloud_events(events: list[TaskEvent]) -> list[CloudEvent]:
    return [CloudEvent.of(event) for event in events]


def _checked(name: str, raw: str | None, parse: Callable[[str, str], object]) -> str | None:
    """The parameter as sent, once it parses (the use case parses it again)."""
    if raw is not None:
        parsed_parameter(name, raw, parse)
    return raw


class TaskEventsController(Controller):
    """Routes that call one TaskEvents, handed to them when the app is built (`routes.bound`)."""

    path = "/api/{user_id:str}"
    tags = ("events",)
    events: TaskEvents

    @get(
        "/tasks/{task_id:str}/history",
        responses=HISTORY_PROBLEMS,
        operation_id="getTaskHistory",
        summary="A task's changes, oldest first, as CloudEvents, a page at a time",
    )
    async def task_history(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[str],
        task_id: FromPath[str],
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Annotated[
            str | None, QueryParameter(description='from the previous page\'s `Link: rel="next"`')
        ] = None,
    ) -> JSONAnswer[list[CloudEvent]]:
        page = await self.events.history(
            user_id, task_id=task_id, cursor=_checked("cursor", cursor, parse_position), limit=limit
        )
        headers = {}
        if page.next is not None:
            others = [(name, value) for name, value in request.query_params.multi_items() if name != "cursor"]
            following = urlencode([*others, ("cursor", str(page.next))])
            headers["Link"] = f'<{quote(request.url.path)}?{following}>; rel="next"'
        return JSONAnswer(_cloud_events(page.events), headers=headers)

    @get(
        "/changes",
        responses=CHANGES_PROBLEMS,
        operation_id="listChanges",
        summary="The owner's changes after a token, in commit order, as CloudEvents",
    )
    async def changes(
        self,
        user_id: FromPath[str],
        after: Annotated[
            str | None,
            QueryParameter(description="the `next` of the previous answer; leave out to start from the beginning"),
        ] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> JSONAnswer[ChangesOutput]:
        changes = await self.events.changes(user_id, after=_checked("after", after, FeedToken.parse), limit=limit)
        return JSONAnswer(ChangesOutput(_cloud_events(changes.events), str(changes.next)))
