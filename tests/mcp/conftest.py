"""The MCP tools on each store, over each transport, as real processes: `todo mcp` spawned by the SDK's
stdio client, and `/mcp` on a real `todo serve` with TODO_MCP=true. The REST API of that same
`todo serve` shows what the tools did (and the reverse)."""

from collections.abc import Iterator

import pytest
from mcp import StdioServerParameters

from tests.databases import create_database, drop_database
from tests.e2e.servers import TODO, Server, servers, todo_env
from tests.mcp.clients import Tools

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


@pytest.fixture(params=["stdio", "http"])
def tools(request: pytest.FixtureRequest, store_url: str, rest: Server) -> Tools:
    if request.param == "http":
        return Tools("http", f"{rest.base_url}/mcp", rest.base_url)
    # A memory store lives in its process: `todo mcp`'s tasks are its own.
    stdio = StdioServerParameters(command=str(TODO), args=["mcp"], env=todo_env(store_url))
    return Tools("stdio", stdio, None if store_url == "memory://" else rest.base_url)
