"""The promise every error answer keeps, as the property-based tests check it.

Every 4xx and 5xx is an RFC 9457 problem (`application/problem+json`) whose `status` repeats the
HTTP status, and no answer gives away internals: no stack trace, SQL or driver message. `header`
reads one header from either kind of header mapping the tests meet.
"""

import json
from collections.abc import Mapping
from email.message import Message
from http import HTTPStatus
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"

# What must never reach a client (the contract: no stack trace, SQL or driver message).
LEAKS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "psycopg",
    "asyncpg",
    "sqlite3",
    "SELECT ",
    "INSERT INTO",
    "UPDATE tasks",
    "DELETE FROM",
    "IntegrityError",
    "OperationalError",
    "DataError",
    "ProgrammingError",
)


def media_type(content_type: str | None) -> str:
    """`application/problem+json; charset=utf-8` -> `application/problem+json`."""
    if not content_type:
        return ""
    message = Message()
    message["content-type"] = content_type
    return message.get_content_type()


def leaks(body: bytes, sent: str = "") -> list[str]:
    """The internals `body` gives away; a word the request itself carried is an echo, not a leak."""
    text = body.decode("utf-8", "replace")
    return [f"leaks {leak!r}" for leak in LEAKS if leak in text and leak not in sent]


def problem_violations(status: int, content_type: str | None, body: bytes, sent: str = "") -> list[str]:
    """What is wrong with an answer of `status` under the error promise; empty when nothing is.

    Every 4xx and 5xx is `application/problem+json` with `type`, `title` (the status's standard
    phrase), `status` (the HTTP status, repeated) and `detail`; `errors`, when present, lists
    `{field, message}` objects; and no internals leak (`sent`, the request as text, tells echoes
    from leaks). Answers below 400 are not errors: nothing to say about them here.
    """
    if status < 400:
        return []
    problems = []
    if media_type(content_type) != PROBLEM_MEDIA_TYPE:
        problems.append(f"content type {content_type!r}, not {PROBLEM_MEDIA_TYPE}")
    text = body.decode("utf-8", "replace")
    problems.extend(leaks(body, sent))
    try:
        document = json.loads(body)
    except ValueError:
        return [*problems, f"body is not JSON: {text[:200]!r}"]
    if not isinstance(document, dict):
        return [*problems, f"body is not a JSON object: {text[:200]!r}"]
    for name in ("type", "title", "detail"):
        if not isinstance(document.get(name), str):
            problems.append(f"`{name}` missing or not a string")
    if isinstance(document.get("title"), str) and document["title"] != _phrase(status):
        problems.append(f"`title` is {document['title']!r}, not the standard phrase {_phrase(status)!r}")
    if type(document.get("status")) is not int:
        problems.append("`status` missing or not an integer")
    elif document["status"] != status:
        problems.append(f"`status` is {document['status']}, the HTTP status is {status}")
    if "errors" in document:
        errors = document["errors"]
        if not isinstance(errors, list) or not all(
            isinstance(item, dict) and isinstance(item.get("field"), str) and isinstance(item.get("message"), str)
            for item in errors
        ):
            problems.append("`errors` is not a list of {field, message} objects")
    return problems


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def header(headers: Mapping[str, Any], name: str) -> str | None:
    """One header's value from a mapping of either `str` or `list[str]` values, whatever the case of the name."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            if isinstance(value, list | tuple):
                return ", ".join(value) if value else None
            return str(value)
    return None
