"""What every answer to a hostile request must be, and the findings of a run, grouped.

Each answer must be below 500; a 4xx an RFC 9457 problem (`status` = the HTTP status) that leaks
nothing; `X-Request-ID` must follow its rule; an answer below 400 holds only the path owner's
tasks, and never answers for a victim's task id. `Findings` groups the violations of a whole run
(not stopped at the first) and reports each group with its shortest request and the exception the
service logged for it.
"""

import json
import posixpath
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.property.problems import problem_violations
from tests.property.wire import Answer, Hostile
from tests.property.world import VICTIMS, World

TASK_PATH = re.compile(r"^/api/([^/]*)/tasks(?:/([^/]*))?")
REASONABLE_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,200}")


def aims_at_a_victim(request: Hostile) -> bool:
    """Whether the path, as a router could see it (dot segments and doubled slashes resolved), names a victim."""
    path = posixpath.normpath("/" + request.path.lstrip("/"))
    return any(path == f"/api/{owner}" or path.startswith(f"/api/{owner}/") for owner in VICTIMS)


def _canonical_task_id(text: str | None) -> str | None:
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None


def _objects(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        yield document
        for value in document.values():
            yield from _objects(value)
    elif isinstance(document, list):
        for value in document:
            yield from _objects(value)


def violations(request: Hostile, answer: Answer, world: World) -> list[str]:
    if answer.escaped:
        return [f"an exception left the app (a server answers 500): {answer.escaped[:200]}"]
    found = []
    if answer.status >= 500:
        found.append("a 5xx answer")
    content_type = answer.header("content-type")
    if request.method == "HEAD":  # no body to look at
        if answer.status >= 400 and (content_type or "").split(";")[0].strip() != "application/problem+json":
            found.append(f"HEAD {answer.status} with content type {content_type!r}")
    else:
        found += problem_violations(answer.status, content_type, answer.body, request.as_text())

    request_id = answer.header("x-request-id")
    sent_id = request.header(b"x-request-id")
    if request_id is None:
        found.append("no X-Request-ID")
    elif sent_id is not None and REASONABLE_REQUEST_ID.fullmatch(sent_id):
        if request_id.encode("latin-1") != sent_id:
            found.append("X-Request-ID: a reasonable id was not echoed")
    elif not re.fullmatch(r"[0-9a-f]{32}", request_id):
        found.append(f"X-Request-ID: an unreasonable id was not replaced by a new one ({request_id[:40]!r})")

    if answer.status < 400:
        match = TASK_PATH.match(request.path)
        # (OPTIONS is answered by the framework alike for every id, existing or not: it reveals nothing.)
        if match and _canonical_task_id(match.group(2)) in world.victim_ids and request.method != "OPTIONS":
            found.append(f"{answer.status} for another owner's task id")
        try:
            document = json.loads(answer.body) if answer.body else None
        except ValueError:
            document = None
        for item in _objects(document):
            if item.get("id") in world.victim_ids or item.get("user_id") in VICTIMS:
                found.append("a victim's task in the answer")
            elif match and "user_id" in item and item["user_id"] != match.group(1):
                found.append("a task of an owner other than the path's in the answer")
    return found


@dataclass
class Findings:
    """Violations grouped by what and where, each with a count and its shortest request."""

    groups: dict[tuple[str, ...], tuple[int, Hostile, Answer, str | None]] = field(default_factory=dict)

    def add(self, request: Hostile, answer: Answer, problems: list[str], cause: str | None) -> None:
        match = TASK_PATH.match(request.path)
        route = request.path[:40]
        if match:
            route = "/api/{user_id}/tasks" + ("/{task_id}" if match.group(2) is not None else "")
        for problem in problems:
            headline = re.sub(r"\d{4,}", "N", problem)[:120]
            where = re.sub(r"\d{4,}", "N", cause or "")[:160]
            key = (request.method, route, str(answer.status), headline, where)
            count, shortest, shortest_answer, shortest_cause = self.groups.get(key, (0, request, answer, cause))
            if len(request.describe()) < len(shortest.describe()):
                shortest, shortest_answer, shortest_cause = request, answer, cause
            self.groups[key] = (count + 1, shortest, shortest_answer, shortest_cause)

    def report(self) -> str:
        lines = [f"{len(self.groups)} kinds of violation:"]
        for (method, route, status, headline, _), (count, request, answer, cause) in sorted(
            self.groups.items(), key=lambda item: -item[1][0]
        ):
            lines.append(f"\n- {count}x {method} {route} -> {status}: {headline}")
            if cause:
                lines.append(f"  server log: {cause}")
            lines.append(f"  shortest: {request.describe()}")
            lines.append(f"  answer: {answer.status} {answer.body[:300]!r}")
        return "\n".join(lines)
