"""The MCP server over stdin and stdout (`todo mcp`), answering every line it cannot take.

The SDK's stdio transport hands a line that is not a JSON-RPC message to the server as an exception,
which the server drops: the client waits for an answer that never comes. JSON-RPC 2.0 asks for an
error response with a null id: -32700 (parse error) for text that is not JSON, -32600 (invalid
request) for JSON that is not a message, such as a batch, which MCP does not take.
"""

from types import TracebackType
from typing import Any, Self

import mcp_types as types
import pydantic
from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage


def refusal(error: Exception) -> SessionMessage:
    """The JSON-RPC error response to a line that is not a message (`error`: why it is not)."""
    malformed = isinstance(error, pydantic.ValidationError) and any(
        problem["type"] == "json_invalid" for problem in error.errors()
    )
    if malformed:
        data = types.ErrorData(
            code=types.PARSE_ERROR,
            message="Parse error: the line is not JSON this server can read (malformed, or nested too deeply)",
        )
    else:
        message = "Invalid request: the line is not one JSON-RPC message (batches are not taken)"
        data = types.ErrorData(code=types.INVALID_REQUEST, message=message)
    return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=None, error=data))


class AnsweringMalformed:
    """The transport's incoming messages; each line it could not read is answered on `answers` instead."""

    def __init__(self, incoming: ReadStream[SessionMessage | Exception], answers: WriteStream[SessionMessage]) -> None:
        self._incoming = incoming
        self._answers = answers

    async def receive(self) -> SessionMessage | Exception:
        while isinstance(item := await self._incoming.receive(), Exception):
            await self._answers.send(refusal(item))
        return item

    async def aclose(self) -> None:
        await self._incoming.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        while isinstance(item := await anext(self._incoming), Exception):
            await self._answers.send(refusal(item))
        return item

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> bool | None:
        await self.aclose()
        return None


async def serve_over_stdio(server: Server[Any]) -> None:
    """Serve the client on the other end of stdin and stdout until it closes them."""
    async with stdio_server() as (incoming, answers):
        await server.run(AnsweringMalformed(incoming, answers), answers, server.create_initialization_options())
