"""The MCP server over streamable HTTP, as an ASGI app to mount (at `/mcp` on `todo serve`).

Stateless: each request is served on its own, so any worker process can answer it. The MCP
specification asks HTTP servers to check `Origin` against DNS rebinding (a web page on another
site that resolves its own name to this server's address): a request carrying an `Origin` is
served only when that origin may call the API (`TODO_CORS_ORIGINS`); agents, which are not
browsers, send none. `McpEdge` says what else is refused before the SDK sees a request.

With authentication on, the endpoint is an OAuth protected resource as the MCP authorization
specification asks: a request without a valid bearer token gets 401 with
`WWW-Authenticate: Bearer resource_metadata="…"`, which points at the resource's metadata
(RFC 9728, `/.well-known/oauth-protected-resource`): the authorization server that issues its
tokens. The tools then act for the token's user only.
"""

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from adapters.identity.edge import Refusal, bearer_token, caller_of
from adapters.identity.tokens import BearerTokens
from adapters.wire.problems import body_too_large, problem_messages

ENDPOINT = "/mcp"
RESOURCE_METADATA = "/.well-known/oauth-protected-resource"


@dataclass(frozen=True)
class StreamableHttp:
    mounts: dict[str, ASGIApp]
    """What to serve under which path: the endpoint, and with authentication on its metadata."""
    running: Callable[[], AbstractAsyncContextManager[None]]
    """Enter around the app's life: it runs the task group the requests are served in."""


def streamable_http(
    server: Server[Any],
    origin_allowed: Callable[[str], bool],
    max_body_bytes: int,
    *,
    tokens: BearerTokens | None = None,
    authorization_server: str = "",
) -> StreamableHttp:
    """`tokens`: with authentication on, what verifies the callers' bearer tokens, which
    `authorization_server` issues."""
    manager = StreamableHTTPSessionManager(
        server,
        stateless=True,
        json_response=True,
        max_request_body_size=max_body_bytes,
        # The Origin check is ours (below), so that a refusal is a problem like every other; the Host
        # check cannot know the names a proxy in front serves under.
        security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    edge = McpEdge(manager.asgi_app, origin_allowed, max_body_bytes, tokens)
    mounts: dict[str, ASGIApp] = {ENDPOINT: edge}
    if tokens is not None:
        mounts[RESOURCE_METADATA] = ResourceMetadata(authorization_server)
    return StreamableHttp(mounts, manager.run)


def _base_url(scope: Scope) -> str:
    host = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"host"), "localhost")
    return f"{scope.get('scheme', 'http')}://{host}"


class ResourceMetadata:
    """RFC 9728's document for the MCP endpoint, at the well-known path and at it followed by `/mcp`
    (where clients look first for a resource with a path)."""

    def __init__(self, authorization_server: str) -> None:
        self._authorization_server = authorization_server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") not in ("GET", "HEAD"):
            await _send_problem(send, 405, "The resource metadata is read with GET.", [(b"allow", b"GET")])
            return
        document = {
            "resource": _base_url(scope) + ENDPOINT,
            "authorization_servers": [self._authorization_server],
            "bearer_methods_supported": ["header"],
            "resource_name": "Todo task service (MCP)",
        }
        body = msgspec.json.encode(document)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        start: Any = {"type": "http.response.start", "status": 200, "headers": headers}
        await send(start)
        await send(
            {"type": "http.response.body", "body": body if scope.get("method") == "GET" else b"", "more_body": False}
        )


class McpEdge:
    """What the SDK's endpoint leaves to us, each refusal a problem (`application/problem+json`):

    - a request whose `Origin` header names an origin not allowed: 403;
    - `GET`, which in stateless mode would open a stream that can never carry a message: 405, as
      the MCP specification allows a server that offers no such stream;
    - the SDK's own refusals in plain text (a wrong Content-Type, a body too large) become problems
      of the same status; its JSON-RPC errors stay as they are, for the agent's client to read.
    """

    def __init__(
        self, app: Any, allowed: Callable[[str], bool], max_body_bytes: int, tokens: BearerTokens | None = None
    ) -> None:
        self._app = app
        self._allowed = allowed
        self._max_body_bytes = max_body_bytes
        self._tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"origin"), None)
        if origin is not None and not self._allowed(origin):
            detail = (
                f"Origin {origin!r} may not call the MCP endpoint; "
                "a browser front end's origin must be listed in TODO_CORS_ORIGINS."
            )
            await _send_problem(send, 403, detail)
        elif self._tokens is not None and not await self._authenticated(scope, send):
            return
        elif scope.get("method") == "GET":
            detail = "The MCP endpoint offers no stream of its own: POST each JSON-RPC message to it."
            await _send_problem(send, 405, detail, [(b"allow", b"POST")])
        else:
            await self._app(scope, receive, self._plain_errors_as_problems(send))

    async def _authenticated(self, scope: Scope, send: Send) -> bool:
        """Whether the request carries a valid bearer token (its user then in the state, `caller`);
        if not, the refusal is sent."""
        assert self._tokens is not None
        challenge = [("resource_metadata", _base_url(scope) + RESOURCE_METADATA + ENDPOINT)]
        try:
            caller = await caller_of(self._tokens, bearer_token(scope), challenge=challenge)
        except Refusal as refusal:
            await refusal.send(send)
            return False
        scope.setdefault("state", {})["caller"] = caller
        return True

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
