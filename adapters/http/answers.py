"""JSON answers that go out without Litestar's general response assembly.

Litestar turns a `Response` into bytes through a header mapping searched on every insert, type
encoders merged per request, and cookie and background-task handling: about a third of a task
route's time, none of which the task routes use. `JSONAnswer` is a `Response` (so the OpenAPI
document still describes its body) whose bytes are made directly: the body by one msgspec encoder,
the headers as the byte pairs ASGI sends. Whenever the route or the app adds something of its own
(headers, cookies, background tasks, a HEAD request), it takes Litestar's own path.

Type encoders do not send it there: its bodies are the adapter's msgspec structs, of types msgspec
encodes itself, which no type encoder applies to. The app always has some, because Litestar adds
encoders for pydantic's types whenever pydantic is installed (the MCP SDK brings it); taking
Litestar's path for them made every task route dearer (`python -m bench.instructions`;
docs/performance.md).
"""

from typing import Any, TypeVar

import msgspec
from litestar import Response
from litestar.types import Receive, Scope, Send

T = TypeVar("T")

_encode = msgspec.json.Encoder().encode
_JSON = (b"content-type", b"application/json")
_NO_BODY = frozenset({204, 304})


class ReadyAnswer:
    """An ASGI app that sends one response whose status, headers and body are already bytes."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class JSONAnswer(Response[T]):
    """A `Response` of JSON (or of no body, for 204 and 304) made ready in one step."""

    def to_asgi_response(
        self,
        app: Any,
        request: Any,
        *,
        background: Any = None,
        cookies: Any = None,
        encoded_headers: Any = None,
        headers: Any = None,
        is_head_response: bool = False,
        media_type: Any = None,
        status_code: int | None = None,
        type_encoders: Any = None,
    ) -> Any:
        status = self.status_code or status_code or 200
        if (
            background
            or cookies
            or encoded_headers
            or headers
            or is_head_response
            or self.background
            or self.cookies
            or (self.media_type or media_type or "application/json") != "application/json"
            or status < 200
        ):
            return super().to_asgi_response(
                app,
                request,
                background=background,
                cookies=cookies,
                encoded_headers=encoded_headers,
                headers=headers,
                is_head_response=is_head_response,
                media_type=media_type,
                status_code=status_code,
                type_encoders=type_encoders,
            )
        encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]
        if status in _NO_BODY:
            return ReadyAnswer(status, encoded, b"")
        body = _encode(self.content)
        encoded.append(_JSON)
        encoded.append((b"content-length", b"%d" % len(body)))
        return ReadyAnswer(status, encoded, body)
