"""The MCP server over streamable HTTP, as an ASGI app to mount (at `/mcp` on `todo serve`).

Stateless: each request is served on its own, so any worker process can answer it. The MCP
specification asks HTTP servers to check `Origin` against DNS rebinding (a web page on another
site that resolves its own name to this server's address): a request carrying an `Origin` is
served only when that origin may call the API (`TODO_CORS_ORIGINS`); agents, which are not
browsers, send none. `McpEdge` says what else is refused before the SDK sees a request.
"""

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from adapters.wire.problems import body_too_large, problem_messages


@dataclass(frozen=True)
class StreamableHttp:
    app: ASGIApp
    running: Callable[[], AbstractAsyncContextManager[None]]
    """Enter around the app's life: it runs the task group the requests are served in."""


def streamable_http(server: Server[Any], origin_allowed: Callable[[str], bool], max_body_bytes: int) -> StreamableHttp:
    manager = StreamableHTTPSessionManager(
        server,
        stateless=True,
        json_response=True,
        max_request_body_size=max_body_bytes,
        # The Origin check is ours (below), so that a refusal is a problem like every other; the Host
        # check cannot know the names a proxy in front serves under.
        security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return StreamableHttp(McpEdge(manager.asgi_app, origin_allowed, max_body_bytes), manager.run)


class McpEdge:
    """What the SDK's endpoint leaves to us, each refusal a problem (`application/problem+json`):

    - a request whose `Origin` header names an origin not allowed: 403;
    - `GET`, which in stateless mode would open a stream that can never carry a message: 405, as
      the MCP specification allows a server that offers no such stream;
    - the SDK's own refusals in plain text (a wrong Content-Type, a body too large) become problems
      of the same status; its JSON-RPC errors stay as they are, for the agent's client to read.
    """

    def __init__(self, app: Any, allowed: Callable[[str], bool], max_body_bytes: int) -> None:
        self._app = app
        self._allowed = allowed
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"origin"), None)
        if origin is not None and not self._allowed(origin):
            detail = (
                f"Origin {origin!r} may not call the MCP endpoint; "
                "a browser front end's origin must be listed in TODO_CORS_ORIGINS."
            )
            await _send_problem(send, 403, detail)
        elif scope.get("method") == "GET":
            detail = "The MCP endpoint offers no stream of its own: POST each JSON-RPC message to it."
            await _send_problem(send, 405, detail, [(b"allow", b"POST")])
        else:
            await self._app(scope, receive, self._plain_errors_as_problems(send))

    def _plain_errors_as_problems(self, send: Send) -> Any:
        refused: Any = None  # the start of an answer in plain text, held back
        text = b""

        async def sending(message: Any) -> None:
            nonlocal refused, text
            if message["type"] == "http.response.start" and message["status"] >= 400 and not _is_json(message):
                refused = message
            elif refused is None:
                await send(message)
            elif message["type"] == "http.response.body":
                text += message.get("body", b"")
                if not message.get("more_body", False):
                    await _send_problem(send, refused["status"], self._detail(refused["status"], text))

        return sending

    def _detail(self, status: int, text: bytes) -> str:
        if status == 413:
            return body_too_large(self._max_body_bytes)
        said = text.decode("utf-8", "replace").strip().rstrip(".")
        return f"{said}: the MCP endpoint takes JSON-RPC messages as application/json." if said else ""


def _is_json(start: Any) -> bool:
    return any(name == b"content-type" and b"json" in value for name, value in start.get("headers", ()))


async def _send_problem(send: Any, status: int, detail: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    start, body = problem_messages(status, detail)
    await send({**start, "headers": [*start["headers"], *headers]})
    await send(body)
