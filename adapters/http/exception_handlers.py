"""Litestar's exception handlers: every error leaves as an RFC 9457 problem (`adapters/wire/problems.py`),
and nothing internal leaks."""

import logging
from collections.abc import Sequence
from typing import Any, cast

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from adapters.http.nesting import MAX_JSON_DEPTH, TooDeeplyNested
from adapters.wire.problems import PROBLEM_MEDIA_TYPE, RETRY_AFTER_SECONDS, Problem, body_too_large
from adapters.wire.schemas import value_problem
from domain.errors import (
    ChangesExpired,
    EditConflict,
    FieldError,
    IdempotencyKeyReused,
    InvalidInput,
    StoreFull,
    StoreUnavailable,
    TaskNotFound,
    VersionMismatch,
)

log = logging.getLogger(__name__)

UNEXPECTED_DETAIL = "The service failed to handle this request. It has been logged."
INVALID_INPUT_DETAIL = "The request breaks the rules of a task or its owner; see `errors`."
CHANGES_EXPIRED_DETAIL = (
    "Some changes after `after` are no longer kept, or this feed did not hand out that token. Start again "
    "without `after`: the events kept, applied in order from nothing, give the owner's tasks as they are "
    "(or read the task list again and apply them to it)."
)


def problem(
    status: int, detail: str, errors: Sequence[FieldError] = (), headers: dict[str, str] | None = None
) -> Response[Problem]:
    return Response(
        Problem.of(status, detail, errors), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _task_not_found(_: Request[Any, Any, Any], __: TaskNotFound) -> Response[Problem]:
    return problem(404, "No such task for this user.")


def _changes_expired(_: Request[Any, Any, Any], __: ChangesExpired) -> Response[Problem]:
    return problem(410, CHANGES_EXPIRED_DETAIL)


def _invalid_input(_: Request[Any, Any, Any], error: InvalidInput) -> Response[Problem]:
    return problem(422, INVALID_INPUT_DETAIL, list(error.errors))


def _version_mismatch(_: Request[Any, Any, Any], __: VersionMismatch) -> Response[Problem]:
    return problem(412, "The task has changed since the ETag in If-Match; nothing was written. Read it again.")


def _edit_conflict(_: Request[Any, Any, Any], __: EditConflict) -> Response[Problem]:
    return problem(409, "The task kept changing while this edit was applied; nothing was written. Try again.")


def _key_reused(_: Request[Any, Any, Any], __: IdempotencyKeyReused) -> Response[Problem]:
    return problem(
        422,
        "This Idempotency-Key was already used with a different request body.",
        [FieldError("Idempotency-Key", "already used with a different body")],
    )


def _malformed_json(_: Request[Any, Any, Any], error: msgspec.DecodeError) -> Response[Problem]:
    return problem(400, f"The body is not valid JSON: {error}")


def _wrong_shape(_: Request[Any, Any, Any], error: msgspec.ValidationError) -> Response[Problem]:
    found = value_problem(str(error))
    return problem(
        422, f"The body does not have the expected fields and types: {found.field}: {found.message}.", [found]
    )


def _store_unavailable(_: Request[Any, Any, Any], error: StoreUnavailable) -> Response[Problem]:
    log.warning("store unavailable: %s", error)
    return problem(
        503, "The task store is unavailable; try again shortly.", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def _store_full(_: Request[Any, Any, Any], error: StoreFull) -> Response[Problem]:
    log.error("store full: %s", error)
    detail = "The task store has no room left to write (its disk is full); reads still work. Try again later."
    return problem(507, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Problem]:
    # Litestar's own errors: unknown route, wrong method, oversized body, bad path or query parameter.
    errors = [_field_error(request, item) for item in error.extra] if isinstance(error.extra, list) else []
    detail = str(error.detail)
    if error.status_code == 413:
        detail = body_too_large(cast(int, request.app.request_max_body_size))  # build_app always sets it
    elif detail.startswith("Validation failed for") and errors:  # Litestar's words for a parameter it could not read
        detail = "; ".join(f"{error.field}: {error.message}" for error in errors) + "."
    return problem(error.status_code, detail, errors, error.headers)


def _field_error(request: Request[Any, Any, Any], item: dict[str, Any]) -> FieldError:
    key, source = str(item.get("key", "request")), item.get("source")
    if key == "data" and source == "body":  # Litestar's name for a missing body
        return FieldError("body", "a JSON object is required")
    if source == "query" and (sent := request.query_params.get(key)) is not None:
        return value_problem(str(item.get("message", "")), field=key, sent=sent)
    return FieldError(key, str(item.get("message", "")))


def _too_deeply_nested(request: Request[Any, Any, Any], error: ValueError | RecursionError) -> Response[Problem]:
    # One line, no traceback: a deep body is a cheap request, and must not be a cheap way to flood the log.
    request_id = getattr(request.state, "request_id", None)
    log.warning("refused a body nested too deeply on %s (request %s)", request.method, request_id)
    return problem(400, f"The body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels.")


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    request_id = getattr(request.state, "request_id", None)
    log.exception("unhandled error on %s %s (request %s)", request.method, request.url.path, request_id, exc_info=error)
    return problem(500, UNEXPECTED_DETAIL)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    TaskNotFound: _task_not_found,
    ChangesExpired: _changes_expired,
    InvalidInput: _invalid_input,
    VersionMismatch: _version_mismatch,
    EditConflict: _edit_conflict,
    IdempotencyKeyReused: _key_reused,
    msgspec.DecodeError: _malformed_json,
    msgspec.ValidationError: _wrong_shape,
    StoreFull: _store_full,
    StoreUnavailable: _store_unavailable,
    TooDeeplyNested: _too_deeply_nested,
    RecursionError: _too_deeply_nested,
    HTTPException: _http_error,
    Exception: _unexpected,
}
