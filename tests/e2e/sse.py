"""A Server-Sent Events reader for the tests: parses the stream as a browser's EventSource would."""

import asyncio
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Message:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comment: str | None = None

    @property
    def cloud_event(self) -> dict[str, Any]:
        return json.loads(self.data)


@dataclass
class EventStream:
    response: httpx.Response
    messages: list[Message] = field(default_factory=list)
    ended: bool = False  # the server ended the stream cleanly
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def events(self) -> list[Message]:
        return [message for message in self.messages if message.event is not None]

    async def read(self) -> None:
        message = Message()
        async for line in self.response.aiter_lines():
            if line == "":
                if message != Message():
                    self.messages.append(message)
                    self._arrived.set()
                message = Message()
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comment = value
            elif name == "data":
                message.data = f"{message.data}\n{value}" if message.data else value
            elif name in ("id", "event"):
                setattr(message, name, value)
        self.ended = True
        self._arrived.set()

    async def wait_for_events(self, count: int, timeout: float) -> list[Message]:
        """Until `count` events have come (or the stream ended, or `timeout` passed): the events."""
        async with asyncio.timeout(timeout):
            while len(self.events) < count and not self.ended:
                self._arrived.clear()
                await self._arrived.wait()
        return self.events


@asynccontextmanager
async def event_stream(client: httpx.AsyncClient, url: str, **headers: str):  # type: ignore[no-untyped-def]
    """The open stream (its response's status and headers are there at once), read in the background."""
    async with client.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=None)) as response:
        stream = EventStream(response)
        reader = asyncio.create_task(stream.read()) if response.status_code == 200 else None
        try:
            yield stream
        finally:
            if reader is not None:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
