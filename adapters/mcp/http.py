"""The MCP server over streamable HTTP, as an ASGI app to mount (at `/mcp` on `todo serve`).

Stateless: each request is served on its own, so any worker process can answer it. The MCP
specification asks HTTP servers to check `Origin` against DNS rebinding (a web page on another
site that resolves its own name to this server's address): a request carrying an `Origin` is
served only when that origin may call the API (`TODO_CORS_ORIGINS`); agents, which are not
browsers, send none.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from adapters.http.problems import problem_messages


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
    return StreamableHttp(OriginChecked(manager.asgi_app, origin_allowed), manager.run)


class OriginChecked:
    """Refuses, with a 403 problem, a request whose `Origin` header names an origin not allowed."""

    def __init__(self, app: Any, allowed: Callable[[str], bool]) -> None:
        self._app = app
        self._allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"origin"), None)
        if origin is not None and not self._allowed(origin):
            detail = (
                f"Origin {origin!r} may not call the MCP endpoint; "
                "a browser front end's origin must be listed in TODO_CORS_ORIGINS."
            )
            for message in problem_messages(403, detail):
                await send(message)
            return
        await self._app(scope, receive, send)
