"""What the routes must never see, refused at the edge of the application.

- A user id that is not UTF-8 once percent-decoded: the server decodes `%FF` and `%C0%C1` to U+FFFD,
  so such paths would all name the same owner as a real `%EF%BF%BD`. They are a 400, checked on the
  path as the client sent it (`raw_path`). (A task id that is not UTF-8 names no task: 404.)
- The user ids `.` and `..`: every URL resolver (RFC 3986, and browsers even for `%2E%2E`) removes
  such a segment, so the `Location` and `Link` of their tasks would lead elsewhere. They are a 422.
- JSON nested deeper than MAX_JSON_DEPTH arrays and objects: a 400 (`check_nesting`), before a
  decoder recurses into it.
"""

import itertools
import re
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

MAX_JSON_DEPTH = 32  # a task needs 2 (the object, its tags); ignored fields may nest up to this

OWNER_PREFIX = "/api/"
DOT_SEGMENTS = (".", "..")


class TooDeeplyNested(ValueError):
    """A JSON body nests arrays and objects deeper than MAX_JSON_DEPTH."""


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def check_nesting(body: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Raises TooDeeplyNested when `body` nests deeper than `limit`; cheap for bodies with few brackets."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit:
        raise TooDeeplyNested(f"the body nests arrays and objects deeper than {limit} levels")


def _problem(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> list[Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    encoded = msgspec.json.encode(body)
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(encoded)).encode())]
    return [
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": encoded, "more_body": False},
    ]


_NOT_UTF8 = _problem(400, "Bad Request", "The user id in the path is not valid UTF-8 once percent-decoded.")
_DOT_OWNER = _problem(
    422,
    "Unprocessable Content",
    "The request breaks the rules of a task or its owner; see `errors`.",
    [{"field": "user_id", "message": "`.` and `..` cannot be user ids: URL resolution removes them"}],
)


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
        if scope["type"] == ScopeType.HTTP and scope["path"].startswith(OWNER_PREFIX):
            refusal = None
            raw_owner = (scope.get("raw_path") or b"")[len(OWNER_PREFIX) :].partition(b"/")[0]
            if b"%" in raw_owner and not _is_utf8(raw_owner):
                refusal = _NOT_UTF8
            elif scope["path"][len(OWNER_PREFIX) :].partition("/")[0] in DOT_SEGMENTS:
                refusal = _DOT_OWNER
            if refusal is not None:
                for message in refusal:
                    await send(message)
                return
        await self.app(scope, receive, send)
