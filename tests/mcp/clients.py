"""How the MCP tests reach the tools (over stdio or streamable HTTP) and check what they answer."""

import json
from dataclasses import dataclass
from typing import Any

import httpx
from mcp import Client, StdioServerParameters


@dataclass
class Tools:
    """How to reach the tools, and the REST API on the same tasks (None: none can see them)."""

    transport: str
    server: StdioServerParameters | str
    rest_url: str | None

    def client(self) -> Client:
        return Client(self.server)


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """A tool call that must succeed: its answer, as the JSON text the tool returned."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text
    assert not result.is_error, text
    answer = json.loads(text)
    assert result.structured_content == answer
    return answer


async def listed(client: Client, **arguments: Any) -> list[Any]:
    """list_tasks' page of tasks (its `next_cursor` checked to be null: a test asking for all gets all)."""
    answer = await call(client, "list_tasks", **arguments)
    assert answer["next_cursor"] is None or "limit" in arguments, answer
    return list(answer["tasks"])


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    """A tool call that must be a tool error: its message, checked for leaks."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text
    assert result.is_error, text
    for leak in ("Traceback", "sqlalchemy", "psycopg", "SELECT", "Exception"):
        assert leak not in text, text
    return str(text)


async def rest_tasks(base_url: str, user: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as rest:
        response = await rest.get(f"{base_url}/api/{user}/tasks")
    assert response.status_code == 200, response.text
    return list(response.json())
