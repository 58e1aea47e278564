"""What the OpenAPI document says about errors and request ids, shared by every route.

Route decorators take `responses=problem_responses(404, 422, ...)`: each status is documented as an
RFC 9457 problem (`application/problem+json`, the `Problem` schema) with a description and an example.
`X_REQUEST_ID` documents the header every response carries (the app sets it on every operation).
Litestar documents response headers on the success response only, and adds its own `400` (with its
own body) to every operation that has parameters; `finish_document` fixes both once, after Litestar
has built the document: every response gets `X-Request-ID`, every 503 `Retry-After`, and any error
response that is not a problem becomes one.
"""

import dataclasses
import re
from collections.abc import Mapping
from http import HTTPStatus

import msgspec
from litestar.datastructures import ResponseHeader
from litestar.enums import ParamType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
)

from adapters.wire.problems import PROBLEM_MEDIA_TYPE, Problem
from adapters.wire.schemas import TASK_AS_READ, CompletionInput, TaskInput, TaskPatch
from domain.errors import FieldError

PROBLEM_DESCRIPTIONS: Mapping[int, str] = {
    400: "The request is malformed: the body is not valid JSON, or a parameter has the wrong type or range.",
    401: "No bearer token, or one that is not valid (expired, wrongly signed, another issuer or audience); "
    "`WWW-Authenticate` says which (RFC 6750).",
    403: "The token is valid but acts for another user than the one in the path.",
    404: "No such task for this user; a task of another user answers exactly the same.",
    405: "The path exists, but not with this method.",
    409: "Other writes kept changing the task while this edit was applied; nothing was written. Try again.",
    412: "A precondition (`If-Match`) does not hold: the task changed since it was read.",
    413: "The body is larger than the service accepts (`TODO_MAX_BODY_BYTES`).",
    415: "The body is declared as another media type than JSON (`application/json`, or `application/merge-patch+json`).",
    422: "Valid JSON of the wrong shape or type, or a value that breaks a rule; `errors` names each field.",
    500: "A bug: the body says nothing about the internals; the server logs the details.",
    503: "The task store cannot be reached right now; `Retry-After` says when to try again.",
    507: "The task store has no room left to write (a full disk); reads still work. `Retry-After` as for 503.",
}

REQUEST_ID_DESCRIPTION = (
    "The request's id: the client's own `X-Request-ID` (1 to 200 visible ASCII characters) echoed, "
    "otherwise a new one (32 hex digits). Every access log line names it; quote it when reporting a problem."
)

REQUEST_ID_EXAMPLE = "0b9e8a548d0e4f2a9a432d7f3c1e5b10"

X_REQUEST_ID = ResponseHeader(
    name="X-Request-ID",
    value=REQUEST_ID_EXAMPLE,  # never sent: the observability middleware sets the header; this gives its type
    documentation_only=True,
    description=REQUEST_ID_DESCRIPTION,
    required=True,
    example=REQUEST_ID_EXAMPLE,
)
"""The `X-Request-ID` response header, for `response_headers=` (the app already sets it on every operation)."""

_REQUEST_ID_HEADER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING),
    description=REQUEST_ID_DESCRIPTION,
    required=True,
    example=REQUEST_ID_EXAMPLE,
)
_RETRY_AFTER_HEADER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
    description="Seconds to wait before trying again.",
    required=True,
)


def problem_description(status: int) -> str:
    return PROBLEM_DESCRIPTIONS.get(status) or HTTPStatus(status).description


def problem_responses(*statuses: int, descriptions: Mapping[int, str] | None = None) -> dict[int, ResponseSpec]:
    """`responses=` for a route: each status as an `application/problem+json` `Problem`.

    `descriptions` overrides the default description of a status for this route.
    """
    responses = {}
    for status in statuses:
        if status < 400:
            raise ValueError(f"{status} is not an error status; problems are for 4xx and 5xx")
        description = (descriptions or {}).get(status) or problem_description(status)
        errors = [FieldError("title", "must be 1 to 200 characters after trimming")] if status == 422 else []
        example = msgspec.to_builtins(Problem.of(status, description, errors))
        responses[status] = ResponseSpec(
            data_container=Problem,
            description=description,
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
            examples=[Example(summary=HTTPStatus(status).phrase, value=example)],
        )
    return responses


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operations_of(path_item: object) -> list[Operation]:
    return [operation for operation in (getattr(path_item, method) for method in _METHODS) if operation is not None]


def _operations(document: OpenAPI) -> list[Operation]:
    return [operation for path_item in (document.paths or {}).values() for operation in _operations_of(path_item)]


def _is_problem(response: OpenAPIResponse) -> bool:
    return response.content is not None and set(response.content) == {PROBLEM_MEDIA_TYPE}


def _close_request_bodies(document: OpenAPI) -> None:
    """A body refuses a field it does not take (422), except the other fields of a task as a client
    read it, which it may send back and which are ignored: each body says so."""
    components = document.components.schemas if document.components else None
    for name, schema in (components or {}).items():
        if not _REQUEST_BODY.fullmatch(name) or not isinstance(schema, Schema) or schema.properties is None:
            continue
        for field in sorted(TASK_AS_READ.difference(schema.properties)):
            schema.properties[field] = Schema(read_only=True, description="of the task as read: accepted, ignored")
        schema.additional_properties = False


# The wire format's bodies, named as client generators should name their types (Litestar names each
# route's copy after the route: `CreateTaskTaskInputRequestBody`).
BODY_NAMES = tuple(body.__name__ for body in (TaskInput, TaskPatch, CompletionInput))
# The paths in the order a reader meets them: the task list, one task, its completion and history,
# then the owner's feed and stream, then the operator's routes.
READING_ORDER = (
    "/api/{user_id}/tasks",
    "/api/{user_id}/tasks/{task_id}",
    "/api/{user_id}/tasks/{task_id}/complete",
    "/api/{user_id}/tasks/{task_id}/history",
    "/api/{user_id}/changes",
    "/api/{user_id}/events",
    "/health",
    "/ready",
)


def _body_names(document: OpenAPI) -> None:
    """Each request body's schema under its struct's name; the routes that share a struct share one schema."""
    schemas = document.components.schemas if document.components else None
    if not schemas:
        return
    renamed = {name: body for name in schemas if (body := _struct_of(name))}
    for old, new in renamed.items():
        schema = schemas.pop(old)
        if isinstance(schema, Schema):
            schema.title = new
        schemas[new] = schema
    _point_references(
        document, {f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renamed.items()}
    )


# Litestar's name for a route's request body; qualified and numbered when several apps share a process.
_REQUEST_BODY = re.compile(r"(.*)RequestBody(_\d+)?")


def _struct_of(name: str) -> str | None:
    found = _REQUEST_BODY.fullmatch(name)
    return next((body for body in BODY_NAMES if found[1].endswith(body)), None) if found else None


def _point_references(node: object, moved: dict[str, str]) -> None:
    if isinstance(node, Reference):
        node.ref = moved.get(node.ref, node.ref)
    elif isinstance(node, dict):
        for value in node.values():
            _point_references(value, moved)
    elif isinstance(node, list | tuple):
        for value in node:
            _point_references(value, moved)
    elif dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            _point_references(getattr(node, field.name), moved)


def _in_reading_order(document: OpenAPI) -> None:
    if document.paths:
        rank = {path: index for index, path in enumerate(READING_ORDER)}
        document.paths = dict(sorted(document.paths.items(), key=lambda item: rank.get(item[0], len(rank))))


# Headers a route reads from the raw request instead of as a Litestar parameter (see its comment).
HEADERS_READ_RAW = {
    "getTask": Parameter(
        name="If-None-Match",
        param_in=ParamType.HEADER,
        required=False,
        schema=Schema(type=OpenAPIType.STRING),
        description="304 if the task still has this ETag",
    )
}


def finish_document(document: OpenAPI) -> OpenAPI:
    """Completes what route decorators cannot say: headers on every response, problems for every error,
    which fields a body refuses, the bodies' names, the headers read raw, and the order of the paths."""
    for operation in _operations(document):
        if operation.operation_id in HEADERS_READ_RAW:
            operation.parameters = [*(operation.parameters or []), HEADERS_READ_RAW[operation.operation_id]]
    _close_request_bodies(document)
    _body_names(document)
    _in_reading_order(document)
    operations = _operations(document)
    problem_bodies = [
        response.content[PROBLEM_MEDIA_TYPE]
        for operation in operations
        for response in (operation.responses or {}).values()
        if isinstance(response, OpenAPIResponse) and response.content and PROBLEM_MEDIA_TYPE in response.content
    ]
    problem_schema: Schema | Reference | None = problem_bodies[0].schema if problem_bodies else None
    for operation in operations:
        for status, response in (operation.responses or {}).items():
            if not isinstance(response, OpenAPIResponse):
                continue
            error = status.isdigit() and int(status) >= 400
            if error and not _is_problem(response) and problem_schema is not None:
                # Litestar's own 400 (ValidationException's body, `application/json`): the service answers a problem.
                response.description = problem_description(int(status))
                response.content = {PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=problem_schema)}
            response.headers = dict(response.headers or {})
            response.headers.setdefault("X-Request-ID", _REQUEST_ID_HEADER)
            if status in ("503", "507"):
                response.headers.setdefault("Retry-After", _RETRY_AFTER_HEADER)
    return document


BEARER_SCHEME = "bearerAuth"
_WWW_AUTHENTICATE_HEADER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING),
    description='The RFC 6750 challenge, such as `Bearer realm="todo", error="invalid_token"`.',
)


def declare_bearer(document: OpenAPI) -> None:
    """With TODO_AUTH=jwt: the bearer scheme (so that "Authorize" in /docs works), required by every
    operation under /api/{user_id}/, each of which may then answer 401 and 403 (problems, once
    `finish_document` has run)."""
    document.components.security_schemes = {
        BEARER_SCHEME: SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="A JWT from the sign-in service (Better Auth: `/api/auth/token`) whose user is the path's.",
        )
    }
    for path, item in (document.paths or {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in _operations_of(item):
            operation.security = [{BEARER_SCHEME: []}]
            operation.responses = {
                **(operation.responses or {}),
                "401": OpenAPIResponse(description="", headers={"WWW-Authenticate": _WWW_AUTHENTICATE_HEADER}),
                "403": OpenAPIResponse(description=""),
            }
