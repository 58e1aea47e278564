"""Request ids and the access log: one plain ASGI middleware around the whole application.

It sits outside everything Litestar does (routing, CORS, the exception handlers), so every response
carries `X-Request-ID`: errors, unknown routes, CORS preflights, a 413 or a 500 included. The id is the
client's own when it sent a reasonable one (1 to 200 visible ASCII characters), otherwise a new one
(16 random bytes as 32 hex digits). With the access log on, each request then writes one JSON line to
stdout, in one `write` call:

    {"method":"GET","route":"/api/{user_id}/tasks","status":200,"duration_ms":0.412,"request_id":"..."}

With authentication on, a request whose token was verified also names its user: `"subject":"..."`.

`route` is the route's template, never the raw path, so user ids stay out of the logs; a path that
matches no route is logged as it is. Per request it does only what cannot be done once: find the
incoming header, draw 16 random bytes if needed, and wrap `send`.
"""

import contextlib
import functools
import os
import re
from collections.abc import Callable, Collection
from time import perf_counter
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from adapters.http.edge.metrics import RequestCounts
from adapters.http.exception_handlers import UNEXPECTED_DETAIL
from adapters.wire.problems import problem_messages

HTTP = ScopeType.HTTP
HEADER = b"x-request-id"
MAX_REQUEST_ID_LENGTH = 200
_reasonable = re.compile(rb"[\x21-\x7e]{1,%d}" % MAX_REQUEST_ID_LENGTH).fullmatch

Write = Callable[[bytes], object]
RouteOf = Callable[[Scope], str]


class AccessLine(msgspec.Struct, omit_defaults=True):
    """One access log line; the fields are written in this order."""

    method: str
    route: str
    status: int  # 0: the request ended (client gone, server stopping) before a response could reach the client
    duration_ms: float
    request_id: str
    subject: str | None = None  # with authentication on: the user the bearer token names (never the token)


def stdout_writer() -> Write:
    """Writes each line straight to file descriptor 1, in one unbuffered call: it shows at once, and lines
    from several worker processes never interleave (a write of up to 4 KiB to a pipe is atomic)."""
    return functools.partial(os.write, 1)


MAX_LOGGED_PATH = 1024  # keeps every line well under the 4 KiB that one write to a pipe keeps whole


def literal_path(scope: Scope) -> str:
    return str(scope["path"])[:MAX_LOGGED_PATH]


# A 500 for the last resort: an error that escaped every exception handler before any response started.
_FAILURE_START, _FAILURE_BODY = problem_messages(500, UNEXPECTED_DETAIL)


class RequestObservability:
    """ASGI middleware: the `X-Request-ID` header on every response, and the access log line."""

    __slots__ = ("_encode", "app", "counts", "route_of", "unlogged", "write")

    def __init__(
        self,
        app: ASGIApp,
        *,
        write: Write | None = None,
        route_of: RouteOf = literal_path,
        unlogged: Collection[str] = (),
        counts: RequestCounts | None = None,
    ) -> None:
        """`write`: where access log lines go (None: no access log). `route_of`: the route of a request that
        Litestar did not route itself (a CORS preflight, a 405, an unknown path). `unlogged`: paths whose
        requests are not logged (the metrics scrape, every few seconds). `counts`: the request metrics."""
        self.app = app
        self.counts = counts
        self.write = write
        self.route_of = route_of
        self.unlogged = frozenset(unlogged)
        self._encode = msgspec.json.Encoder().encode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != HTTP:
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        if self.counts is not None:
            self.counts.started()
        sent = None
        for name, value in scope["headers"]:
            if name == HEADER:
                sent = value
                break
        if sent is not None and _reasonable(sent):
            request_id = sent.decode("ascii")
        else:
            request_id = os.urandom(16).hex()
            sent = request_id.encode("ascii")
        header = (HEADER, sent)
        scope.setdefault("state", {})["request_id"] = request_id  # for handlers: `request.state.request_id`
        status = 0
        # The client left before any answer began (while its request was being read): whatever was
        # answered went nowhere. A disconnect after that (a stream the client closed) keeps the status.
        gone = False

        async def receive_noting_departure() -> ReceiveMessage:
            nonlocal gone
            message = await receive()
            gone = gone or (message["type"] == "http.disconnect" and not status)
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive_noting_departure, send_with_id)
        except Exception:
            if not status:
                status = 500
                with contextlib.suppress(Exception):
                    failure: Any = {**_FAILURE_START, "headers": [*_FAILURE_START["headers"], header]}
                    await send(failure)
                    await send(_FAILURE_BODY)
            raise
        finally:
            answered, seconds = (0 if gone else status), perf_counter() - start
            if self.write is not None and scope["path"] not in self.unlogged:
                self._log(scope, answered, seconds, request_id)
            if self.counts is not None:
                route = scope.get("path_template") or "unrouted"
                self.counts.answered(scope["method"], route, answered, seconds)  # type: ignore[typeddict-item]

    def _log(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        duration_ms = round(seconds * 1000, 3)
        route = scope.get("path_template") or self.route_of(scope)
        caller = scope["state"].get("caller")
        subject = caller.subject if caller is not None else None
        line = AccessLine(scope["method"], route, status, duration_ms, request_id, subject)  # type: ignore[typeddict-item]
        # A full or closed stdout must not fail the request (the response is already sent). A plain
        # try costs nothing when nothing is raised; `contextlib.suppress` builds an object per request.
        try:  # noqa: SIM105
            self.write(self._encode(line) + b"\n")  # type: ignore[misc]
        except OSError:
            pass


def matched_route(app: Any) -> Callable[[Scope], str | None]:
    """The template of the route a request's path matches, found through the app's router (every
    route answers OPTIONS); None when no route matches."""
    from litestar.exceptions import LitestarException
    from litestar.utils import normalize_path

    handle_routing = app.asgi_router.handle_routing

    def template_of(scope: Scope) -> str | None:
        try:
            return str(handle_routing(path=normalize_path(str(scope["path"])), method="OPTIONS")[4])
        except LitestarException:
            return None

    return template_of


def route_template(app: Any) -> RouteOf:
    """The route of a request Litestar answered before routing it (a CORS preflight, a 405): its
    template, or the path itself when no route matches."""
    template_of = matched_route(app)
    return lambda scope: template_of(scope) or literal_path(scope)
