"""Entity tags for tasks (RFC 9110 §8.8.3) and the preconditions built on them."""

from litestar.types import Scope

from domain.task import Task

MAX_VERSION = 2**31 - 1  # the version column is a 32-bit integer


def etag(task: Task) -> str:
    """Strong, and new on every write: the task's version."""
    return f'"{task.version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def versions_allowed(if_match: str | None) -> frozenset[int] | None:
    """The versions an If-Match header allows a write to find; None when any version will do.

    Strong comparison: a weak tag (`W/"3"`) or a malformed one matches nothing.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    versions = set()
    for tag in _tags(if_match):
        digits = tag[1:-1]
        # A version is a positive 32-bit integer: longer digit strings name no version of any task.
        if (
            tag[:1] == tag[-1:] == '"'
            and digits.isascii()
            and digits.isdigit()
            and len(digits) <= 10
            and int(digits) <= MAX_VERSION
        ):
            versions.add(int(digits))
    return frozenset(versions)


def not_modified(task: Task, if_none_match: str | None) -> bool:
    """Whether an If-None-Match header already names the task's current version (weak comparison)."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    current = etag(task)
    return any(tag.removeprefix("W/") == current for tag in _tags(if_none_match))


def if_none_match(scope: Scope) -> str | None:
    """The request's If-None-Match, read from its raw headers (several joined, as RFC 9110 allows).
    Declared as a header parameter instead, it had Litestar build a mapping of all the headers for
    every read of a task (docs/performance.md); the OpenAPI document still declares it."""
    values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"if-none-match"]
    return ", ".join(values) if values else None
