"""`todo mcp`: the MCP task tools for one AI agent over stdin and stdout, on the container's store."""

from adapters.mcp.stdio import serve_over_stdio
from entrypoints.container import Container


async def serve_tools_over_stdio(container: Container) -> None:
    """The tools for the client on the other end of stdin and stdout, until it closes them."""
    store = container.store()
    await store.open()
    try:
        await serve_over_stdio(container.mcp_tools())
    finally:
        await store.close()
