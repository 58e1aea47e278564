"""The live stream of an owner's events, as Server-Sent Events.

Each message: `id:` the token after that event (what `Last-Event-ID` resumes from), `event:` the
CloudEvents type, `data:` the CloudEvent. A comment line goes out after `heartbeat` seconds of
silence, so that proxies keep an idle stream open. When the service stops, every stream ends
cleanly; clients reconnect (to any instance) with `Last-Event-ID` and lose and repeat nothing.

With authentication on, a stream ends when its token expires: the client reconnects with a fresh
token and `Last-Event-ID` (or `after`), and loses nothing either.
"""

import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.response import Response, ServerSentEvent, ServerSentEventMessage
from litestar.types import Receive, Scope, Send

from adapters.http.exception_handlers import problem
from adapters.http.openapi import problem_responses
from adapters.http.parameters import parsed_parameter
from adapters.wire.cloudevents import TYPE_PREFIX, CloudEvent
from adapters.wire.problems import RETRY_AFTER_SECONDS, Problem
from application.streams import EventStreams, StreamsClosed, TooManyStreams
from domain.errors import ChangesExpired
from domain.events import FeedToken

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
RECONNECT_MILLISECONDS = 1000  # how soon an EventSource reconnects after the stream ends

_encode = msgspec.json.Encoder().encode

STREAM_ANSWERS = {
    200: ResponseSpec(str, description="`text/event-stream`: one message per event", media_type="text/event-stream"),
    **problem_responses(
        400,
        410,
        422,
        500,
        503,
        descriptions={
            400: "`after` or `Last-Event-ID` is not a position this service handed out.",
            410: "Events after that position are no longer kept: start again without one.",
            503: "This worker has as many open streams as it may (TODO_MAX_STREAMS), or the store is unavailable.",
        },
    ),
}


def _token(after: str | None, last_event_id: str | None) -> FeedToken:
    name, raw = ("Last-Event-ID", last_event_id) if last_event_id is not None else ("after", after)
    return FeedToken() if raw is None else parsed_parameter(name, raw, FeedToken.parse)


class _Stream(ServerSentEvent):
    """The stream's response, which ends its subscription however the stream ends: finished, closed by
    the client (before its first message too), or failed. Nothing is left to the garbage collector."""

    def __init__(self, messages: AsyncIterator[ServerSentEventMessage], *, on_end: Callable[[], None]) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx: pass each message on at once
        super().__init__(messages, retry_duration=RECONNECT_MILLISECONDS, headers=headers)
        self._on_end = on_end

    def to_asgi_response(self, app: Any, request: Any, **options: Any) -> Any:
        streamed = super().to_asgi_response(app, request, **options)

        async def stream(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await streamed(scope, receive, send)
            finally:
                self._on_end()

        return stream


class EventStreamController(Controller):
    path = "/api/{user_id:str}/events"
    tags = ("events",)
    streams: EventStreams
    heartbeat: float = HEARTBEAT_SECONDS

    @get(
        "/",
        responses=STREAM_ANSWERS,
        operation_id="followEvents",
        summary="Follow the user's task events as they commit (Server-Sent Events)",
        description="Starts after `Last-Event-ID` (as an EventSource sends it on reconnecting), else after "
        "`after`, else at the oldest event kept.",
    )
    async def follow(
        self,
        scope: Scope,
        user_id: FromPath[str],
        after: Annotated[str | None, QueryParameter(description="a `next` token or an event's id")] = None,
        last_event_id: Annotated[
            str | None, HeaderParameter(name="Last-Event-ID", description="the id of the last event seen")
        ] = None,
        access_token: Annotated[  # read by the authentication at the edge, before this route
            str | None,
            QueryParameter(
                description="with TODO_AUTH=jwt, the bearer token, for a browser's EventSource, which cannot "
                "send an Authorization header; never logged"
            ),
        ] = None,
    ) -> ServerSentEvent | Response[Problem]:
        try:
            subscription = await self.streams.subscribe(user_id, after=_token(after, last_event_id))
        except TooManyStreams:
            detail = "This worker serves as many event streams as it may; try again shortly."
            return problem(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        except StreamsClosed:
            return problem(503, "The service is stopping.", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

        caller = scope["state"].get("caller")
        ends_at = caller.expires_at if caller is not None else float("inf")

        async def messages() -> AsyncIterator[ServerSentEventMessage]:
            try:
                while (left := ends_at - time.time()) > 0:
                    entries = await subscription.next_entries(min(self.heartbeat, left))
                    if not entries and time.time() >= ends_at:
                        return
                    if not entries:
                        yield ServerSentEventMessage(data=None, comment="keep-alive")
                    for event, token in entries:
                        data = _encode(CloudEvent.of(event)).decode()
                        yield ServerSentEventMessage(data=data, event=TYPE_PREFIX + event.kind, id=str(token))
            except StreamsClosed:
                return
            except ChangesExpired:  # retention ran while this reader replayed: reconnecting answers 410
                log.info("an event stream ended: retention removed events its reader still needed")

        return _Stream(messages(), on_end=functools.partial(self.streams.unsubscribe, subscription))
