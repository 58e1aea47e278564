"""The live stream of an owner's events, as Server-Sent Events.

Each message: `id:` the position after that event (what `Last-Event-ID` resumes from), `event:` the
CloudEvents type, `data:` the CloudEvent. A comment line goes out after `heartbeat` seconds of
silence, so that proxies keep an idle stream open. When the service stops, every stream ends
cleanly; clients reconnect (to any instance) with `Last-Event-ID` and lose and repeat nothing.
"""

import weakref
from collections.abc import AsyncIterator
from typing import Annotated, Self

import msgspec
from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.response import Response, ServerSentEvent, ServerSentEventMessage

from adapters.http.cloudevents import TYPE_PREFIX, CloudEvent
from adapters.http.feeds import position_parameter
from adapters.http.openapi import problem_responses
from adapters.http.problems import RETRY_AFTER_SECONDS, Problem, problem
from application.streams import EventStreams, StreamsClosed, TooManyStreams

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


def _position(after: str | None, last_event_id: str | None) -> int:
    name, raw = ("Last-Event-ID", last_event_id) if last_event_id is not None else ("after", after)
    return 0 if raw is None else position_parameter(name, raw)


class EventStreamController(Controller):
    path = "/api/{user_id:str}/events"
    tags = ("events",)
    streams: EventStreams
    heartbeat: float = HEARTBEAT_SECONDS

    @classmethod
    def bound_to(cls, streams: EventStreams, heartbeat: float = HEARTBEAT_SECONDS) -> type[Self]:
        return type(cls.__name__, (cls,), {"streams": streams, "heartbeat": heartbeat})

    @get(
        "/",
        responses=STREAM_ANSWERS,
        summary="Follow the user's task events as they commit (Server-Sent Events)",
        description="Starts after `Last-Event-ID` (as an EventSource sends it on reconnecting), else after "
        "`after`, else at the oldest event kept.",
    )
    async def follow(
        self,
        user_id: FromPath[str],
        after: Annotated[str | None, QueryParameter(description="a `next` token or an event's id")] = None,
        last_event_id: Annotated[
            str | None, HeaderParameter(name="Last-Event-ID", description="the id of the last event seen")
        ] = None,
    ) -> ServerSentEvent | Response[Problem]:
        position = _position(after, last_event_id)
        try:
            subscription = await self.streams.subscribe(user_id, position)
        except TooManyStreams:
            detail = "This worker serves as many event streams as it may; try again shortly."
            return problem(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        except StreamsClosed:
            return problem(503, "The service is stopping.", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

        async def messages() -> AsyncIterator[ServerSentEventMessage]:
            try:
                while True:
                    events = await subscription.next_events(self.heartbeat)
                    if not events:
                        yield ServerSentEventMessage(data=None, comment="keep-alive")
                    for event in events:
                        data = _encode(CloudEvent.of(event)).decode()
                        yield ServerSentEventMessage(data=data, event=TYPE_PREFIX + event.kind, id=str(event.position))
            except StreamsClosed:
                return
            finally:
                self.streams.unsubscribe(subscription)

        stream = messages()
        # A client gone before the first message leaves the stream never started, and so never ended.
        weakref.finalize(stream, self.streams.unsubscribe, subscription)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx: pass each message on at once
        return ServerSentEvent(stream, retry_duration=RECONNECT_MILLISECONDS, headers=headers)
