"""Shared by the property-based tests: the promise every error answer keeps, and case counting.

Both files here generate their requests (schemathesis from the OpenAPI document, hypothesis for
hostile input); each counts what it sent under a name, and the terminal summary prints the counts,
so a run says how much it tried, not only that it passed. The same counts go to the junit XML of a
test through `record_property` (see `count_cases`).
"""

import json
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from email.message import Message
from http import HTTPStatus
from typing import Any, Self

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

# name -> requests sent, seconds spent, and answers by status code, filled by the tests of this folder.
CASES: Counter[str] = Counter()
SECONDS: defaultdict[str, float] = defaultdict(float)
STATUSES: dict[str, Counter[int]] = defaultdict(Counter)


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


class count_cases:  # (a context manager, named like the statement it reads as)
    """Counts the cases one test sends, and the time it takes, under `name`.

    with count_cases("fuzz[memory]", record_property) as count:
        ... count() for every request sent ...
    """

    def __init__(self, name: str, record_property: Any = None) -> None:
        self.name = name
        self.record_property = record_property
        self.sent = 0

    def __call__(self, n: int = 1) -> None:
        self.sent += n
        CASES[self.name] += n

    def __enter__(self) -> Self:
        self.started = time.monotonic()
        return self

    def __exit__(self, *_: object) -> None:
        SECONDS[self.name] += time.monotonic() - self.started
        print(f"\n{self.name}: {self.sent} cases in {time.monotonic() - self.started:.1f} s")
        if self.record_property is not None:
            self.record_property("generated_cases", self.sent)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CASES:
        return
    terminalreporter.section("generated cases (tests/property)")
    width = max(len(name) for name in CASES)
    for name, sent in CASES.items():
        statuses = " ".join(f"{status}:{n}" for status, n in sorted(STATUSES[name].items()))
        terminalreporter.write_line(f"{name:<{width}}  {sent:>7} cases  {SECONDS[name]:6.1f} s  {statuses}")
    terminalreporter.write_line(f"{'total':<{width}}  {sum(CASES.values()):>7} cases  {sum(SECONDS.values()):6.1f} s")
