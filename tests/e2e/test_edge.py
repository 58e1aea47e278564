"""The server's edge: header limits, slow clients, endless bodies, uvicorn's own refusals.

Each test runs the real `todo serve` (memory store, so no database is involved) with small limits
and talks raw HTTP/1.1 over sockets, as a hostile client would.
"""

import asyncio
import contextlib
import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.servers import TODO, Serve, Server, free_port, todo_env

pytestmark = pytest.mark.e2e

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
LIMITS = {
    "TODO_MAX_HEADER_BYTES": "8192",
    "TODO_MAX_HEADERS": "50",
    "TODO_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    "TODO_BODY_TIMEOUT": str(BODY_TIMEOUT),
    "TODO_ACCESS_LOG": "false",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("edge")
    port = free_port()
    log = folder / "todo-serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(TODO), "serve", "--port", str(port)],
            env=todo_env("memory://") | LIMITS,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Server(process, f"http://127.0.0.1:{port}", 1, log)
    yield running.wait_until_up()
    running.stop()


def address(server: Server) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def read_answer(sock: socket.socket, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes, bool]:
    """Status, headers and body of one answer, and whether the server closed the connection after it."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        body += sock.recv(65536)
    try:
        closed = sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        closed = True
    return int(lines[0].split()[1]), headers, body, closed


def ask(server: Server, request: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    with socket.create_connection(address(server)) as sock:
        with contextlib.suppress(
            BrokenPipeError, ConnectionResetError
        ):  # refused before all was sent: the answer is there
            sock.sendall(request)
        return read_answer(sock)


def assert_problem(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict[str, object]:
    assert status == expected, body
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == expected
    assert problem["detail"]
    return problem


# --- 5: header size and count --------------------------------------------------------------------


@pytest.mark.parametrize("size", [9_000, 100_000, 30_000_000])
def test_oversized_headers_are_refused_with_431(server: Server, size: int) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    status, headers, body, closed = ask(server, request)

    assert_problem(status, headers, body, 431)
    assert closed


def test_more_headers_than_allowed_are_refused_with_431(server: Server) -> None:
    # 500 headers in under 8 KiB: only their count passes a bound, however the request arrives in chunks.
    many = b"".join(b"X-%d: 1\r\n" % n for n in range(500))
    status, headers, body, closed = ask(server, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")

    problem = assert_problem(status, headers, body, 431)
    assert "more than 50 headers" in str(problem["detail"])
    assert closed


def test_headers_within_the_limits_are_served(server: Server) -> None:
    some = b"".join(b"X-%d: %s\r\n" % (n, b"v" * 100) for n in range(40))
    status, _, body, _ = ask(server, b"GET /health HTTP/1.1\r\nHost: x\r\n" + some + b"\r\n")
    assert status == 200, body


# --- 9: the server's own refusals are problems ----------------------------------------------------


def test_a_long_request_target_is_a_414_problem(server: Server) -> None:
    status, headers, body, closed = ask(
        server, b"GET /api/a/tasks?q=" + b"m" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert_problem(status, headers, body, 414)
    assert closed


@pytest.mark.parametrize("target", [b"/api/a/tasks?q=\x01", b"/api/a/tasks?q=a\x7f", b"/api/\x00/tasks"])
def test_a_request_httptools_cannot_parse_is_a_400_problem(server: Server, target: bytes) -> None:
    status, headers, body, closed = ask(server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_problem(status, headers, body, 400)
    assert closed


# --- 6: slow clients ------------------------------------------------------------------------------


SLOW_CLIENTS = 200


async def dribble_headers(host: str, port: int, answers: list[bytes]) -> None:
    """Sends a request's headers a byte every 0.2 s until the server answers."""
    reader, writer = await asyncio.open_connection(host, port)
    answer = asyncio.create_task(reader.read())
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100
    try:
        for byte in request:
            if answer.done():
                break
            writer.write(bytes([byte]))
            await asyncio.sleep(0.2)
        answers.append(await asyncio.wait_for(answer, timeout=5))
    except (ConnectionError, TimeoutError):
        answers.append(b"")
    writer.close()


@pytest.mark.anyio
async def test_slow_header_senders_get_408_in_time_and_do_not_block_others(server: Server) -> None:
    host, port = address(server)
    answers: list[bytes] = []
    started = time.monotonic()
    slow = [asyncio.create_task(dribble_headers(host, port, answers)) for _ in range(SLOW_CLIENTS)]
    latencies = []
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        while time.monotonic() - started < HEADER_TIMEOUT + 0.5:
            before = time.monotonic()
            assert (await client.get("/health")).status_code == 200
            latencies.append(time.monotonic() - before)
            await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*slow), timeout=10)
    elapsed = time.monotonic() - started

    assert max(latencies) < 0.5
    assert len(answers) == SLOW_CLIENTS
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers), {a[:20] for a in answers}
    assert all(b"application/problem+json" in answer for answer in answers)
    assert elapsed < HEADER_TIMEOUT + 4  # every socket was closed by the server within the bound


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(server: Server) -> None:
    with socket.create_connection(address(server)) as sock:
        sock.settimeout(HEADER_TIMEOUT + 3)
        started = time.monotonic()
        assert sock.recv(100) == b""
        assert time.monotonic() - started < HEADER_TIMEOUT + 1


@pytest.mark.anyio
async def test_bodies_that_never_complete_get_408_and_write_nothing(server: Server) -> None:
    host, port = address(server)
    user = f"slow-{time.monotonic_ns()}"

    async def stall() -> bytes:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            f"POST /api/{user}/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: 100\r\n\r\n".encode()
            + b'{"title": "never"'
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=BODY_TIMEOUT + 4)
        writer.close()
        return answer

    started = time.monotonic()
    answers = await asyncio.gather(*(stall() for _ in range(50)))

    assert time.monotonic() - started < BODY_TIMEOUT + 3
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers), answers[0]
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get(f"/api/{user}/tasks")).json() == []


# --- 7: an endless body after its 413 -------------------------------------------------------------


def test_an_endless_chunked_body_is_not_read_after_its_413(server: Server) -> None:
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    sent = 0
    answer: list[tuple[int, dict[str, str], bytes, bool]] = []
    with socket.create_connection(address(server)) as sock:
        sock.sendall(
            b"POST /api/endless/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        reader = threading.Thread(target=lambda: answer.append(read_answer(sock, timeout=10)))
        reader.start()
        sock.settimeout(1.0)
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        reader.join(10)

    status, headers, body, closed = answer[0]
    assert_problem(status, headers, body, 413)
    assert closed
    assert sent < 64 * 1024 * 1024, f"{sent} bytes went in after a 64 KiB limit"


def test_keep_alive_still_serves_request_after_request(server: Server) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(20):
            assert client.post("/api/kept/tasks", json={"title": "t"}).status_code == 201
        assert len(client.get("/api/kept/tasks").json()) == 20


# --- a cursor's key is the database's, for every worker and after a restart ------------------


def test_a_cursor_works_on_every_worker_and_after_a_restart(serve: Serve, store_url: str) -> None:
    url, owner = store_url, f"pager-{uuid.uuid4().hex}"
    server = serve(url, workers=2)
    with httpx.Client(base_url=server.base_url) as client:
        for title in ("a", "b", "c"):
            client.post(f"/api/{owner}/tasks", json={"title": title})
        link = client.get(f"/api/{owner}/tasks?sort=title&limit=1").headers["link"]
    following = link.split(">")[0].lstrip("<")
    for _ in range(8):  # a new connection each time: both workers answer some
        assert [task["title"] for task in httpx.get(server.base_url + following).json()] == ["b"]
    server.stop()

    server = serve(url)
    assert [task["title"] for task in httpx.get(server.base_url + following).json()] == ["b"]
