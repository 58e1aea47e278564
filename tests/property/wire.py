"""Talking to the app as an ASGI server (uvicorn) would, with requests no HTTP client library would send.

A `Hostile` request is what arrives on the wire: the path percent-decoded as UTF-8 with replacement
characters, the query string and the header octets untouched, the body in one message (with
`Content-Length`) or in several (chunked). `exchange` hands it to the app and collects the `Answer`;
`ServerLog` keeps the exceptions the service logs meanwhile, so that a 5xx is reported with its cause.
"""

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import anyio
from litestar import Litestar

from tests.property.problems import header


@dataclass(frozen=True)
class Hostile:
    """One request as it arrives: method, raw (percent-encoded, ASCII) path and query, header octets, body."""

    method: str
    raw_path: str
    query: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    chunks: int = 1  # 1: one message with Content-Length; more: chunked, without Content-Length

    @property
    def path(self) -> str:
        """What uvicorn puts in scope["path"]: the raw path percent-decoded as UTF-8, errors replaced."""
        return unquote(self.raw_path)

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.headers if key == name), None)

    def describe(self) -> str:
        query = f"?{self.query.decode('latin-1')}" if self.query else ""

        def shown(value: bytes) -> bytes:
            return value if len(value) <= 80 else value[:40] + b"...(%d bytes)" % len(value)

        headers = " ".join(repr((k + b": " + shown(v)).decode("latin-1")) for k, v in self.headers)
        body = (
            f" body={self.body[:300]!r}{'...' if len(self.body) > 300 else ''} ({len(self.body)} B)"
            if self.body
            else ""
        )
        chunked = f" [in {self.chunks} chunks]" if self.chunks > 1 else ""
        return f"{self.method} {self.raw_path[:300]}{query[:400]} headers=[{headers[:600]}]{body}{chunked}"

    def as_text(self) -> str:
        return f"{self.path} {unquote(self.query.decode('latin-1'))} {self.headers!r} {self.body!r}"


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    escaped: str | None = None  # an exception that left the app: a real server answers 500

    def header(self, name: str) -> str | None:
        return header({k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(self.headers)}, name)


async def exchange(app: Litestar, request: Hostile) -> Answer:
    headers = [(b"host", b"testserver")] if request.header(b"host") is None else []
    headers += list(request.headers)
    if request.chunks == 1:
        headers.append((b"content-length", str(len(request.body)).encode()))
        pieces = [request.body]
    else:
        headers.append((b"transfer-encoding", b"chunked"))
        size = -(-len(request.body) // request.chunks) or 1
        pieces = [request.body[i : i + size] for i in range(0, len(request.body), size)] or [b""]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.raw_path.encode("ascii"),
        "query_string": request.query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 51000),
        "server": ("testserver", 80),
        "state": {},
    }
    messages = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1} for i, piece in enumerate(pieces)
    ]
    answer = Answer(status=0, headers=[], body=b"")
    done = anyio.Event()

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")
            if not message.get("more_body", False):
                done.set()

    try:
        with anyio.fail_after(30):
            await app(scope, receive, send)  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 (anything that leaves the app is a finding)
        answer.escaped = f"{type(error).__name__}: {error}"
    if answer.status == 0:
        answer.escaped = answer.escaped or "no response was started"
    return answer


def _first_line(error: BaseException) -> str:
    return str(error).strip().split("\n", 1)[0][:200]


class ServerLog(logging.Handler):
    """Collects the exceptions the service logs, so that a 5xx is reported with its cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> str | None:
        records, self.records = self.records, []
        for record in records:
            if record.exc_info and record.exc_info[1] is not None:
                error, frames, traceback = record.exc_info[1], [], record.exc_info[2]
                while traceback is not None:
                    filename = traceback.tb_frame.f_code.co_filename
                    if "/site-packages/" not in filename:
                        frames.append("/".join(filename.rsplit("/", 2)[-2:]) + f":{traceback.tb_lineno}")
                    traceback = traceback.tb_next
                cause = error.__cause__ or error.__context__
                caused = f" (from {type(cause).__name__}: {_first_line(cause)})" if cause else ""
                where = " > ".join(frames[-3:]) or "the framework (no frame of the service's own)"
                return f"{type(error).__name__}: {_first_line(error)}{caused} at {where}"
        return None
