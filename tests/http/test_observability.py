"""Operability: an X-Request-ID on every response, one JSON access log line per request on stdout,
and an OpenAPI document that describes every error as a problem and every response's request id."""

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from adapters.http import exception_handlers
from application.tasks import TaskService
from entrypoints.app import create_app
from entrypoints.settings import Settings
from tests.http.clients import assert_problem, create, open_client, tasks_url

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
LOG_FIELDS = {"method", "route", "status", "duration_ms", "request_id"}


def request_id(response: Any) -> str:
    value = response.headers.get("x-request-id")
    assert value, f"no X-Request-ID on {response.status_code} {response.request.method} {response.request.url}"
    return str(value)


def assert_generated(value: str) -> None:
    assert GENERATED_ID.match(value), value


def access_log(capfd: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The access log lines written to stdout so far (each must be one JSON object)."""
    lines = [line for line in capfd.readouterr().out.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


@pytest.fixture
def quiet_client() -> Iterator[TestClient]:
    with open_client("memory://", access_log=False) as client:
        yield client


# --- X-Request-ID -----------------------------------------------------------------------------


def test_a_request_without_an_id_gets_a_new_random_one(quiet_client: TestClient) -> None:
    made = [request_id(quiet_client.get("/health")) for _ in range(200)]

    for value in made:
        assert_generated(value)
    assert len(set(made)) == len(made)
    assert len({value[:8] for value in made}) > 150  # random from the first digit, not a counter


@pytest.mark.parametrize(
    "sent",
    ["abc", "0b9e8a54-8d0e-4f2a-9a43-2d7f3c1e5b10", "req:42/retry#1_~!", "x" * 200],
    ids=["short", "uuid", "punctuation", "200 characters"],
)
def test_a_reasonable_client_id_is_echoed(quiet_client: TestClient, sent: str) -> None:
    response = quiet_client.get("/health", headers={"X-Request-ID": sent})

    assert response.headers.get_list("x-request-id") == [sent]


@pytest.mark.parametrize(
    "sent",
    [b"", b"has space", b"x" * 201, "caf\u00e9".encode(), b"tab\there", b"\x7f"],
    ids=["empty", "space", "201 characters", "non-ascii", "tab", "DEL"],
)
def test_an_unreasonable_client_id_is_replaced(quiet_client: TestClient, sent: bytes) -> None:
    response = quiet_client.get("/health", headers=[(b"X-Request-ID", sent)])

    assert response.headers.get_list("x-request-id") == [request_id(response)]
    assert_generated(request_id(response))


def test_every_kind_of_response_carries_a_request_id(quiet_client: TestClient, user: str) -> None:
    task = create(quiet_client, user)
    responses = {
        200: quiet_client.get(tasks_url(user, task["id"])),
        201: quiet_client.post(tasks_url(user), json={"title": "x"}),
        204: quiet_client.delete(tasks_url(user, create(quiet_client, user)["id"])),
        400: quiet_client.post(tasks_url(user), content=b"{", headers={"content-type": "application/json"}),
        404: quiet_client.get(tasks_url(user, str(uuid.uuid4()))),
        405: quiet_client.put(tasks_url(user), json={"title": "x"}),
        413: quiet_client.post(
            tasks_url(user),
            content=b'{"title": "' + b"x" * 70_000 + b'"}',
            headers={"content-type": "application/json"},
        ),
        422: quiet_client.post(tasks_url(user), json={"title": ""}),
    }
    unknown_route = quiet_client.get("/no/such/route")

    for status, response in responses.items():
        assert response.status_code == status, response.text
        assert_generated(request_id(response))
    assert_problem(unknown_route, 404)
    assert_generated(request_id(unknown_route))
    assert request_id(quiet_client.get("/docs/openapi.json"))


def test_an_error_echoes_the_client_id_too(quiet_client: TestClient, user: str) -> None:
    response = quiet_client.get(tasks_url(user, str(uuid.uuid4())), headers={"X-Request-ID": "trace-404"})

    assert_problem(response, 404)
    assert request_id(response) == "trace-404"


def test_a_503_carries_a_request_id() -> None:
    with open_client("sqlite:////nonexistent-dir/tasks.sqlite3", access_log=False) as client:
        response = client.get("/ready", headers={"X-Request-ID": "ready-check"})

    assert_problem(response, 503)
    assert request_id(response) == "ready-check"


def test_a_500_carries_a_request_id_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    async def failing(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(TaskService, "list", failing)
    with TestClient(create_app(Settings(database_url="memory://"))) as client:
        capfd.readouterr()
        response = client.get(tasks_url("u"), headers={"X-Request-ID": "bug-1"})

    assert_problem(response, 500)
    assert request_id(response) == "bug-1"
    [line] = access_log(capfd)
    assert (line["status"], line["request_id"], line["route"]) == (500, "bug-1", "/api/{user_id}/tasks")


def test_an_error_that_escapes_every_handler_still_answers_a_problem_with_the_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last resort: even a failing exception handler leaves a 500 problem carrying the request id."""

    async def failing(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    def failing_handler(*_: object) -> None:
        raise RuntimeError("a bug in the error handler")

    monkeypatch.setattr(TaskService, "list", failing)
    monkeypatch.setitem(exception_handlers.EXCEPTION_HANDLERS, Exception, failing_handler)
    app = create_app(Settings(database_url="memory://", access_log=False))

    messages, error = asyncio.run(_call(app, "GET", tasks_url("u"), [(b"x-request-id", b"last-resort")]))

    assert isinstance(error, RuntimeError)  # still raised, for the server to log
    start, body = messages
    assert start["status"] == 500
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"x-request-id"] == b"last-resort"
    assert json.loads(body["body"])["status"] == 500


def test_a_client_gone_before_its_body_arrived_is_logged_as_status_0(capfd: pytest.CaptureFixture[str]) -> None:
    """The body never came (the server's body timeout, a client that hung up): nothing reached the client."""
    app = create_app(Settings(database_url="memory://"))
    departure: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"title": "ha', "more_body": True},
        {"type": "http.disconnect"},
    ]
    capfd.readouterr()

    asyncio.run(_call(app, "POST", tasks_url("u"), [(b"x-request-id", b"gone-1")], departure))

    [line] = access_log(capfd)
    assert (line["status"], line["request_id"]) == (0, "gone-1")


async def _call(
    app: Litestar,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    received: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], BaseException | None]:
    """Calls the ASGI app itself: a test client would replace what it sent by its own 500 on an exception."""
    messages: list[dict[str, Any]] = []
    arriving = iter(received or [{"type": "http.request", "body": b"", "more_body": False}])

    async def receive() -> dict[str, Any]:
        return next(arriving)

    async def send(message: Any) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    try:
        await app(scope, receive, send)  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001
        return messages, error
    return messages, None


# --- the access log ---------------------------------------------------------------------------


def test_each_request_writes_one_json_line_with_the_route_template(
    client: TestClient, user: str, capfd: pytest.CaptureFixture[str]
) -> None:
    task = create(client, user)
    capfd.readouterr()

    read = client.get(tasks_url(user, task["id"]), headers={"X-Request-ID": "read-1"})
    toggled = client.patch(tasks_url(user, task["id"], "/complete"))
    missing = client.get(tasks_url(user, str(uuid.uuid4())))

    lines = access_log(capfd)
    assert len(lines) == 3
    for line in lines:
        assert set(line) == LOG_FIELDS
        assert isinstance(line["duration_ms"], float)
        assert 0 <= line["duration_ms"] < 60_000
    assert lines[0] == {
        "method": "GET",
        "route": "/api/{user_id}/tasks/{task_id}",
        "status": 200,
        "duration_ms": lines[0]["duration_ms"],
        "request_id": "read-1",
    }
    assert (lines[1]["method"], lines[1]["route"], lines[1]["status"]) == (
        "PATCH",
        "/api/{user_id}/tasks/{task_id}/complete",
        200,
    )
    assert lines[1]["request_id"] == request_id(toggled)
    assert (lines[2]["route"], lines[2]["status"], lines[2]["request_id"]) == (
        "/api/{user_id}/tasks/{task_id}",
        404,
        request_id(missing),
    )
    assert read.status_code == 200
    logged = "\n".join(json.dumps(line) for line in lines)
    assert user not in logged
    assert task["id"] not in logged


def test_errors_before_routing_log_the_route_template_or_the_unknown_path(
    client: TestClient, user: str, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()

    assert client.put(tasks_url(user), json={"title": "x"}).status_code == 405
    assert client.get("/no/such/route").status_code == 404
    assert (
        client.post(tasks_url(user), content=b"[" * 70_000, headers={"content-type": "application/json"}).status_code
        == 413
    )

    wrong_method, unknown, too_large = access_log(capfd)
    assert (wrong_method["method"], wrong_method["route"], wrong_method["status"]) == (
        "PUT",
        "/api/{user_id}/tasks",
        405,
    )
    assert (unknown["route"], unknown["status"]) == ("/no/such/route", 404)
    assert (too_large["route"], too_large["status"]) == ("/api/{user_id}/tasks", 413)


def test_with_the_access_log_off_nothing_is_written(
    quiet_client: TestClient, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()

    quiet_client.get("/health")
    quiet_client.get(tasks_url("u"))
    quiet_client.get("/no/such/route")

    assert capfd.readouterr().out == ""


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, True),
        ({"TODO_ACCESS_LOG": "true"}, True),
        ({"TODO_ACCESS_LOG": "false"}, False),
        ({"TODO_ACCESS_LOG": "0"}, False),
    ],
)
def test_the_access_log_is_on_unless_the_environment_turns_it_off(env: dict[str, str], expected: bool) -> None:
    assert Settings.from_env(env).access_log is expected


# --- the OpenAPI document ---------------------------------------------------------------------


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_documented_response_names_the_request_id_and_every_error_is_a_problem(client: TestClient) -> None:
    document = client.get("/docs/openapi.json").json()

    operations = list(_operations(document))
    assert len(operations) >= 9
    for path, method, operation in operations:
        for status, response in operation["responses"].items():
            where = f"{method.upper()} {path} {status}"
            assert "X-Request-ID" in response.get("headers", {}), where
            if int(status) >= 400:
                assert set(response["content"]) == {"application/problem+json"}, where
                assert response["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }, where
            if status == "503":
                assert "Retry-After" in response["headers"], where


def test_the_problem_schema_and_the_operational_endpoints_are_described(client: TestClient) -> None:
    document = client.get("/docs/openapi.json").json()

    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors"}
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert set(document["components"]["schemas"]["FieldProblem"]["properties"]) == {"field", "message"}
    assert set(document["paths"]["/health"]["get"]["responses"]) == {"200", "500"}
    assert set(document["paths"]["/ready"]["get"]["responses"]) == {"200", "500", "503"}
    assert "RFC 9457" in document["info"]["description"]
    assert "X-Request-ID" in document["info"]["description"]
