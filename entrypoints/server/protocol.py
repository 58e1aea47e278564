"""uvicorn's httptools protocol with the limits it lacks on how a client may send a request.

uvicorn bounds neither the size nor the count of request headers on httptools (its
`h11_max_incomplete_event_size` applies to h11 only), waits for ever on a client that sends its
headers a byte at a time, and keeps reading a body that the answer no longer needs (a 413 to an
endless chunked upload). Per connection, this protocol:

- answers 414 when the request target, and 431 when the request line and headers together, pass
  `max_header_bytes`, or when there are more than `max_headers` headers; it stops reading at once;
- answers 408 when the request line and headers have not all arrived `header_timeout` seconds
  after the request began (a connection that sends nothing at all is closed without an answer),
  or when the body has not all arrived `body_timeout` seconds after the headers and no answer has
  started; the application then sees the client as gone, and nothing is written;
- once an answer is sent while its request body is still arriving, sends nothing more, stops
  reading, and closes the connection after LINGER_SECONDS (time for the client to read the answer
  before the close resets the connection);
- answers the requests httptools cannot parse with a problem (`application/problem+json`) instead
  of uvicorn's plain text.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from adapters.wire.problems import PROBLEM_MEDIA_TYPE, Problem

LINGER_SECONDS = 1.0


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int
    max_headers: int
    header_timeout: float
    body_timeout: float


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; the answer is already written."""


class LimitedHttpProtocol(HttpToolsProtocol):
    """Arms a timer only when a request stops arriving part-way (its head, or its body, incomplete at
    the end of what was received): a request that arrives whole, the common case, costs no timer.

    Every check it can make once per chunk received is made there rather than in a parser callback
    of its own, and the callbacks it does override call uvicorn's by name, which costs a
    third of `super()`: both are paid on every request (`python -m bench.in_process`, the `protocol`
    rows, shows what this protocol costs over uvicorn's own).
    """

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._timer: asyncio.TimerHandle | None = None
        self._closing = False
        self._head_bytes = 0  # received in earlier chunks while the request line and headers are incomplete
        self._chunk_bytes = 0
        self._in_head = False
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, self.transport.close)  # a connection that never sends a request

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        self._chunk_bytes = len(data)
        HttpToolsProtocol.data_received(self, data)
        if self._refused:
            return
        if self._in_head:
            self._head_incomplete(len(data))
        elif self.cycle is None:
            return  # nothing but white space before a first request: the connection's own timer runs on
        elif self.cycle.more_body:  # the body is still arriving
            if self._timer is None and not self.transport.is_closing():
                self._arm(self.limits.body_timeout, self._body_timed_out)
            self.cycle.on_response = self._on_response_before_body_ended
        elif self._timer is not None:
            self._disarm()  # the body has arrived whole

    # The request line and headers: bounded in time, size and count.

    def _head_incomplete(self, received: int) -> None:
        """httptools keeps an incomplete request line and headers until they are whole: bound what it
        holds meanwhile, and for how long (from the chunk in which the request began)."""
        if self.transport.is_closing():
            return
        self._head_bytes += received
        if len(self.url) > self.limits.max_header_bytes:
            self._answer(414, f"The request target is longer than {self.limits.max_header_bytes} bytes.")
        elif self._head_bytes > self.limits.max_header_bytes:
            self._answer(431, f"The request line and headers are larger than {self.limits.max_header_bytes} bytes.")
        elif self._timer is None:
            self._arm(self.limits.header_timeout, self._head_timed_out)

    def on_message_begin(self) -> None:
        HttpToolsProtocol.on_message_begin(self)
        self._in_head = True
        if self._timer is not None:
            self._disarm()  # a new connection's wait for its first request, or the previous body's

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._timer is not None:
            self._disarm()
        limit = self.limits.max_header_bytes
        # Sizes are measured only when what arrived could pass the bound: never for an ordinary request.
        arrived_beyond = self._head_bytes + self._chunk_bytes > limit
        self._head_bytes = 0
        if arrived_beyond and len(self.url) > limit:
            self._refuse(414, f"The request target is longer than {limit} bytes.")
        if len(self.headers) > self.limits.max_headers:
            self._refuse(431, f"The request has more than {self.limits.max_headers} headers.")
        if arrived_beyond and len(self.url) + sum(len(name) + len(value) for name, value in self.headers) > limit:
            self._refuse(431, f"The request line and headers are larger than {limit} bytes.")
        HttpToolsProtocol.on_headers_complete(self)

    def _head_timed_out(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self._answer(408, f"The request line and headers did not arrive within {self.limits.header_timeout:g} s.")

    def _body_timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or not cycle.more_body:
            return
        if cycle.response_started:
            self._close_soon()
            return
        cycle.disconnected = True  # the application's `receive` says the client is gone; its answer goes nowhere
        cycle.message_event.set()
        self._answer(408, f"The request body did not arrive within {self.limits.body_timeout:g} s.")

    def _arm(self, delay: float, callback: Callable[[], object]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(max(delay, 0.0), callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # Answers of the protocol's own, as problems.

    def send_400_response(self, msg: str) -> None:
        if not self._refused:
            self._answer(400, "The request is not valid HTTP/1.1.")

    def _refuse(self, status: int, detail: str) -> None:
        self._answer(status, detail)
        raise _Refused(detail)

    def _answer(self, status: int, detail: str) -> None:
        self._refused = True
        self._disarm()
        body = msgspec.json.encode(Problem.of(status, detail))
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.append(b"content-type: %s\r\ncontent-length: %d\r\n" % (PROBLEM_MEDIA_TYPE.encode(), len(body)))
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self._close_soon()

    # A body the answer no longer needs: not read any further.

    def _on_response_before_body_ended(self) -> None:
        """uvicorn's `on_response_complete` for a request whose body was still arriving at the end of
        a chunk (set in `data_received`; the others keep uvicorn's own, at no cost)."""
        if self.cycle is not None and self.cycle.more_body and not self.transport.is_closing():
            self.server_state.total_requests += 1
            self._close_soon()
            return
        HttpToolsProtocol.on_response_complete(self)

    def _close_soon(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._disarm()
        self.flow.pause_reading()
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the answer, then FIN: the client can read it before the close
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
