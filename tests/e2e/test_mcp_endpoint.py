"""The MCP endpoint of `todo serve`: off unless TODO_MCP=true, and closed to web pages of other origins
(DNS rebinding) while open to agents, which send no Origin, and to the front ends TODO_CORS_ORIGINS allows."""

import json
import subprocess
from typing import Any

import httpx
import pytest

from tests.e2e.servers import TODO, Serve, todo_env

pytestmark = pytest.mark.e2e

MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
ADD_TASK = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "add_task", "arguments": {"user_id": "victim", "title": "planted"}},
}


def post(base_url: str, message: dict[str, Any], origin: str | None = None) -> httpx.Response:
    headers = MCP_HEADERS | ({"origin": origin} if origin else {})
    return httpx.post(f"{base_url}/mcp", json=message, headers=headers, timeout=10)


def test_the_mcp_endpoint_is_off_by_default(serve: Serve) -> None:
    server = serve("memory://")

    response = post(server.base_url, INITIALIZE)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1.evil.example:8000", "null"])
def test_a_page_of_another_origin_is_refused_and_changes_nothing(serve: Serve, origin: str) -> None:
    server = serve("memory://", env={"TODO_MCP": "true", "TODO_CORS_ORIGINS": "https://app.example.com"})

    refused = post(server.base_url, ADD_TASK, origin=origin)

    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 403
    assert origin in refused.json()["detail"]
    assert httpx.get(f"{server.base_url}/api/victim/tasks").json() == []


def test_agents_and_allowed_front_ends_are_served(serve: Serve) -> None:
    server = serve("memory://", env={"TODO_MCP": "true", "TODO_CORS_ORIGINS": "https://*.example.com"})

    from_an_agent = post(server.base_url, INITIALIZE)
    from_a_front_end = post(server.base_url, INITIALIZE, origin="https://app.example.com")

    for response in (from_an_agent, from_a_front_end):
        assert response.status_code == 200, response.text
        assert response.json()["result"]["serverInfo"]["name"] == "todo-tasks"


def test_what_the_sdk_would_refuse_in_plain_text_or_hold_open_is_a_problem(serve: Serve) -> None:
    server = serve("memory://", env={"TODO_MCP": "true", "TODO_MAX_BODY_BYTES": "1024"})
    url = f"{server.base_url}/mcp"

    wrong_type = httpx.post(url, content=b"{}", headers={"content-type": "text/plain"}, timeout=10)
    too_large = httpx.post(url, json={"padding": "x" * 2000}, headers=MCP_HEADERS, timeout=10)
    a_stream = httpx.get(url, headers={"accept": "text/event-stream"}, timeout=10)

    for response, status in ((wrong_type, 400), (too_large, 413), (a_stream, 405)):
        assert (response.status_code, response.headers["content-type"]) == (status, "application/problem+json")
        assert response.json()["status"] == status
    assert "application/json" in wrong_type.json()["detail"]
    assert "1024 bytes" in too_large.json()["detail"]
    assert a_stream.headers["allow"] == "POST"
    assert post(server.base_url, INITIALIZE).status_code == 200


def test_mcp_requests_are_counted_under_their_route(serve: Serve) -> None:
    server = serve("memory://", env={"TODO_MCP": "true"})

    assert post(server.base_url, INITIALIZE).status_code == 200
    metrics = httpx.get(f"{server.base_url}/metrics", timeout=10).text

    assert 'todo_requests_total{method="POST",path="/mcp",status_code="200"} 1.0' in metrics
    assert 'path="unrouted"' not in metrics
    assert '"route":"/mcp","status":200' in server.output()


def test_the_stdio_tools_answer_a_line_they_cannot_read_with_a_json_rpc_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = [
        "{not json",
        json.dumps([INITIALIZE]),  # a batch: MCP takes one message a line
        "[" * 5000 + "]" * 5000,
        json.dumps(INITIALIZE),
    ]
    answered = subprocess.run(
        [str(TODO), "mcp"],
        input="\n".join(lines) + "\n",
        env=todo_env("memory://"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    answers = [json.loads(line) for line in answered.stdout.splitlines()]
    assert [(a.get("id"), a.get("error", {}).get("code")) for a in answers] == [
        (None, -32700),
        (None, -32600),
        (None, -32700),
        (1, None),
    ]
    assert answers[3]["result"]["serverInfo"]["name"] == "todo-tasks"
