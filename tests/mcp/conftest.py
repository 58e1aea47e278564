"""The MCP tools on each store, over each transport, as real processes: `todo mcp` spawned by the SDK's
stdio client, and `/mcp` on a real `todo serve` with TODO_MCP=true. The REST API of that same
`todo serve` shows what the tools did (and the reverse)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import create_database, drop_database
from tests.e2e.conftest import TODO, Server, servers, todo_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'tasks.sqlite3'}"
    else:
        server_url = request.getfixturevalue("postgres_server")
        url = create_database(server_url, migrate=False)
        yield url
        drop_database(server_url, url)


@pytest.fixture(scope="module")
def rest(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`todo serve` on the store, with the MCP endpoint on."""
    with servers(tmp_path_factory.mktemp("serve")) as serve:
        yield serve(store_url, env={"TODO_MCP": "true"})


@dataclass
class Tools:
    """How to reach the tools, and the REST API on the same tasks (None: none can see them)."""

    transport: str
    server: StdioServerParameters | str
    rest_url: str | None

    def client(self) -> Client:
        return Client(self.server)


@pytest.fixture(params=["stdio", "http"])
def tools(request: pytest.FixtureRequest, store_url: str, rest: Server) -> Tools:
    if request.param == "http":
        return Tools("http", f"{rest.base_url}/mcp", rest.base_url)
    # A memory store lives in its process: `todo mcp`'s tasks are its own.
    stdio = StdioServerParameters(command=str(TODO), args=["mcp"], env=todo_env(store_url))
    return Tools("stdio", stdio, None if store_url == "memory://" else rest.base_url)


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """A tool call that must succeed: its answer, as the JSON text the tool returned."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text
    assert not result.is_error, text
    answer = json.loads(text)
    assert result.structured_content == (answer if isinstance(answer, dict) else {"tasks": answer})
    return answer


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
