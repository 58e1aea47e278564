"""The MCP endpoint of `todo serve`: off unless TODO_MCP=true, and closed to web pages of other origins
(DNS rebinding) while open to agents, which send no Origin, and to the front ends TODO_CORS_ORIGINS allows."""

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Serve

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
