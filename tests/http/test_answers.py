"""`JSONAnswer` sends what Litestar's own `Response` would, byte for byte, only by a shorter way."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar, Response, get
from litestar.datastructures import Cookie
from litestar.testing import TestClient

from adapters.http.answers import JSONAnswer, ReadyAnswer
from adapters.wire.schemas import TaskOutput

TASK = TaskOutput(
    uuid.UUID("5f0c3a52-4a63-4b0e-9a55-1f2a8c6f7d10"),
    "ada",
    "Write the report",
    None,
    True,
    "high",
    datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    ["work", "ünïcode"],
    datetime(2026, 11, 25, 8, 30, 15, 123456, tzinfo=UTC),
    datetime(2026, 11, 20, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 8, 30, 15, 123456, tzinfo=UTC),
)

CASES = [
    pytest.param(TASK, 200, {"ETag": '"7"'}, id="task"),
    pytest.param(TASK, 201, {"ETag": '"1"', "Location": "/api/ada/tasks/5f0c"}, id="created"),
    pytest.param([TASK, TASK], 200, {"Link": '</api/ada/tasks?cursor=x>; rel="next"'}, id="list"),
    pytest.param([], 200, {}, id="empty list"),
    pytest.param(None, 304, {"ETag": '"7"'}, id="not modified"),
]


def _sent(app: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app({"type": "http"}, None, send))
    return messages


@pytest.mark.parametrize(("content", "status", "headers"), CASES)
def test_sends_what_litestar_would(content: Any, status: int, headers: dict[str, str]) -> None:
    def request() -> Any:
        return None

    ours = JSONAnswer(content, status_code=status, headers=headers).to_asgi_response(
        None, request, cookies=[], headers={}, type_encoders=None
    )
    theirs = Response(content, status_code=status, headers=headers).to_asgi_response(
        None,
        request,  # type: ignore[arg-type]  # a stand-in: Litestar reads nothing of the request here
        cookies=[],
        headers={},
        type_encoders=None,
    )

    assert isinstance(ours, ReadyAnswer)
    assert _sent(ours) == _sent(theirs)


def test_takes_litestars_path_when_the_route_adds_headers_or_cookies() -> None:
    @get("/with-headers", response_headers={"Cache-Control": "no-store"})
    async def with_headers() -> JSONAnswer[TaskOutput]:
        return JSONAnswer(TASK, headers={"ETag": '"7"'})

    @get("/with-cookie")
    async def with_cookie() -> JSONAnswer[TaskOutput]:
        return JSONAnswer(TASK, cookies=[Cookie(key="seen", value="1")])

    with TestClient(Litestar([with_headers, with_cookie])) as client:
        answered = client.get("/with-headers")
        assert answered.headers["cache-control"] == "no-store"
        assert answered.headers["etag"] == '"7"'
        assert answered.json()["title"] == "Write the report"
        assert client.get("/with-cookie").cookies["seen"] == "1"


def test_the_document_describes_the_body() -> None:
    @get("/task")
    async def one() -> JSONAnswer[TaskOutput]:
        return JSONAnswer(TASK)

    schema = Litestar([one]).openapi_schema.to_schema()
    content = schema["paths"]["/task"]["get"]["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/TaskOutput"}


def test_the_task_routes_of_the_app_take_the_short_way(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # The app's type encoders (Litestar adds pydantic's whenever pydantic is installed) must not send
    # the task routes down Litestar's longer path: that cost a `get` about 8% of its instructions.
    ready: list[int] = []
    send_ready = ReadyAnswer.__call__

    async def counted(self: ReadyAnswer, scope: Any, receive: Any, send: Any) -> None:
        ready.append(self.status)
        await send_ready(self, scope, receive, send)

    monkeypatch.setattr(ReadyAnswer, "__call__", counted)
    created = client.post("/api/ada/tasks", json={"title": "Write the report"})
    path = created.headers["location"]
    toggled = client.patch(f"{path}/complete")
    answered = [
        client.get(path).status_code,
        client.get("/api/ada/tasks").status_code,
        client.get(path, headers={"If-None-Match": toggled.headers["etag"]}).status_code,
    ]

    assert ready == [created.status_code, toggled.status_code, *answered] == [201, 200, 200, 200, 304]
