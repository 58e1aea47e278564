"""With `TODO_AUTH=jwt`, every route under `/api/{user_id}/` serves only the user its bearer token
names; the rest (`/health`, `/ready`, `/docs`, `/metrics`) stays open, and CORS preflights pass (a
browser sends no credentials with them).

The check runs before routing, so a refused request reaches no route: it writes nothing, opens no
stream and takes no database connection. The token's user must equal the path's `{user_id}` exactly,
as the server decoded the path; a valid token for anyone else is a 403, whether that user exists or
not. The caller is left in the request's state (`caller`) for the access log and the event stream;
a refusal names the route it refused (`path_template`) for the request metrics.
"""

from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from adapters.identity.edge import OTHER_USER, Refusal, bearer_token, caller_of
from adapters.identity.tokens import BearerTokens

HTTP = ScopeType.HTTP
OWNER_PREFIX = "/api/"
STREAM_SUFFIX = "/events"  # the one route a browser's EventSource reaches, with `access_token`


class Authentication:
    """ASGI middleware: the bearer token's user, or a refusal."""

    __slots__ = ("app", "route_of", "tokens")

    def __init__(self, app: ASGIApp, tokens: BearerTokens, *, route_of: Callable[[Scope], str | None]) -> None:
        self.app = app
        self.tokens = tokens
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["type"] != HTTP or not path.startswith(OWNER_PREFIX) or scope["method"] == "OPTIONS":  # type: ignore[typeddict-item]
            await self.app(scope, receive, send)
            return
        owner, _, rest = path[len(OWNER_PREFIX) :].partition("/")
        try:
            token = bearer_token(scope, in_query=rest.rstrip("/") == STREAM_SUFFIX[1:])
            caller = await caller_of(self.tokens, token)
            if caller.subject != owner:
                raise Refusal(403, OTHER_USER)
        except Refusal as refusal:
            if (route := self.route_of(scope)) is not None:
                scope["path_template"] = route
            await refusal.send(send)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)
