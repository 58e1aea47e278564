"""RFC 9457 problem details (`application/problem+json`): the body of every refusal, whichever part of
the service answers it (a route, the ASGI edge, the connection protocol, the MCP endpoint)."""

from collections.abc import Sequence
from http import HTTPStatus
from typing import Annotated, Any

import msgspec

from domain.errors import FieldError

PROBLEM_MEDIA_TYPE = "application/problem+json"

RETRY_AFTER_SECONDS = 2


class FieldProblem(msgspec.Struct):
    field: Annotated[str, msgspec.Meta(description="the offending field; `body` when the body as a whole is wrong")]
    message: Annotated[str, msgspec.Meta(description="what is wrong with it")]


class Problem(msgspec.Struct):
    """An RFC 9457 problem: the body of every 4xx and 5xx response."""

    type: Annotated[str, msgspec.Meta(description="`about:blank`: the status code says it all")]
    title: Annotated[str, msgspec.Meta(description="the status code's standard phrase")]
    status: Annotated[int, msgspec.Meta(description="the HTTP status code, repeated")]
    detail: Annotated[str, msgspec.Meta(description="what went wrong with this request, for a human")]
    errors: Annotated[
        list[FieldProblem] | msgspec.UnsetType,
        msgspec.Meta(description="validation problems only: each offending field, with a message"),
    ] = msgspec.UNSET

    @classmethod
    def of(cls, status: int, detail: str, errors: Sequence[FieldError] = ()) -> "Problem":
        fields = [FieldProblem(error.field, error.message) for error in errors] if errors else msgspec.UNSET
        return cls("about:blank", HTTPStatus(status).phrase, status, detail, fields)


def body_too_large(max_body_bytes: int) -> str:
    """A 413's detail, wherever the limit stops a body."""
    return f"The body is larger than {max_body_bytes} bytes (TODO_MAX_BODY_BYTES)."


def problem_messages(status: int, detail: str, errors: Sequence[FieldError] = ()) -> tuple[Any, Any]:
    """The problem as the two ASGI messages that send it (`http.response.start`, `http.response.body`),
    for answers made outside a framework."""
    body = msgspec.json.encode(Problem.of(status, detail, errors))
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", b"%d" % len(body))]
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body, "more_body": False},
    )
