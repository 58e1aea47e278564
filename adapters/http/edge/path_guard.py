"""What the routes must never see, refused at the edge of the application.

- A user id that is not UTF-8 once percent-decoded: the server decodes `%FF` and `%C0%C1` to U+FFFD,
  so such paths would all name the same owner as a real `%EF%BF%BD`. They are a 400, checked on the
  path as the client sent it (`raw_path`). (A task id that is not UTF-8 names no task: 404.)
- A user id holding `%2F`: the server decodes it before routing, and the router then folds the
  empty segment it leaves (`/api/a%2F/tasks` would reach the tasks of `a`). No route has such an
  owner: 404, as the API guide (docs/api.md) promises.

The user ids `.` and `..` (which every URL resolver removes from a path) are refused by the domain's
rule for a user id (`parse_user_id`), as every other rule of a user id is, whichever adapter it came
through.
"""

from urllib.parse import unquote_to_bytes

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from adapters.wire.problems import problem_messages

HTTP = ScopeType.HTTP
OWNER_PREFIX = "/api/"


_NO_ROUTE = problem_messages(404, "Not Found")  # as the router answers a path it has no route for
_NOT_UTF8 = problem_messages(400, "The user id in the path is not valid UTF-8 once percent-decoded.")


def _is_utf8(escaped: bytes) -> bool:
    try:
        unquote_to_bytes(escaped).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class PathGuard:
    """ASGI middleware: refuses user ids that would name an owner other than the one the client wrote."""

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != HTTP:
            await self.app(scope, receive, send)
            return
        raw_path, path = scope.get("raw_path") or b"", scope["path"]
        # The cheap test first: a path without an escape passes.
        if b"%" in raw_path and path.startswith(OWNER_PREFIX):
            refusal = None
            raw_owner = raw_path[len(OWNER_PREFIX) :].partition(b"/")[0]
            if b"%" in raw_owner and not _is_utf8(raw_owner):
                refusal = _NOT_UTF8
            elif b"%2f" in raw_owner.lower():
                refusal = _NO_ROUTE
            if refusal is not None:
                start, body = refusal
                await send(start.copy())  # a copy: the middleware around adds its headers to it
                await send(body)
                return
        await self.app(scope, receive, send)
