"""The systems the sinks deliver to, run for real by the tests: a private NATS server with JetStream, a
Kafka (librdkafka's mock cluster), and an HTTP receiver standing for a webhook endpoint or for Dapr's
publish API. Each can be taken down and brought back; each shows what it received. A pytest plugin
(tests/conftest.py names it): the fixtures `nats_server` and `kafka`."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nats
import pytest
from confluent_kafka import Consumer
from standardwebhooks import Webhook

from tests.e2e.servers import free_port
from tests.faults.services import accepts_tcp, wait_for
from tests.tools import unavailable

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


class NatsServer:
    """`nats-server -js` on a free port, its store in a folder of the test's: stop and start keep both."""

    def __init__(self, folder: Path) -> None:
        if not Path(NATS_SERVER).exists():
            unavailable("nats-server is not installed: apt-get install nats-server")
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self._folder = folder
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self._folder / "nats.log").open("ab")
        command = [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self._folder / "store")]
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: accepts_tcp(self.port), 10, "nats-server to listen")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    async def messages(self, stream: str = "TASKS") -> list[tuple[str, dict[str, str], Any]]:
        """Every message the stream holds, in order: (subject, headers, CloudEvent)."""
        client = await nats.connect(self.url)
        try:
            jetstream = client.jetstream()
            last = (await jetstream.stream_info(stream)).state.last_seq
            found = []
            for seq in range(1, last + 1):
                message = await jetstream.get_msg(stream, seq)
                found.append((message.subject or "", dict(message.headers or {}), json.loads(message.data or b"")))
            return found
        finally:
            await client.close()


class KafkaCluster:
    """The mock cluster in a process of its own, which the test can pause and resume."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.sinks.kafka_cluster"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).parents[2],
        )
        assert self._process.stdout is not None
        self.brokers = self._process.stdout.readline().decode().strip()
        assert self.brokers, "the mock cluster did not start"

    def pause(self) -> None:
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.resume()
        self._process.kill()
        self._process.wait()

    def messages(self, topic: str, *, count: int, timeout: float = 30.0) -> list[tuple[bytes, dict[str, Any], Any]]:
        """(key, headers, CloudEvent) of the topic's messages, from the start, until `count` (or the timeout)."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.brokers,
                "group.id": f"test-{os.urandom(4).hex()}",
                "auto.offset.reset": "earliest",
                "log_level": 0,
            }
        )
        consumer.subscribe([topic])
        found: list[tuple[bytes, dict[str, Any], Any]] = []
        deadline = time.monotonic() + timeout
        try:
            while len(found) < count and time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is not None and message.error() is None:
                    headers = dict(message.headers() or [])
                    found.append((message.key() or b"", headers, json.loads(message.value() or b"")))
        finally:
            consumer.close()
        return found


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def event(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP endpoint on a free port that keeps every POST it answers with `status` (2xx by default);
    with a webhook secret, it checks each signature as a consumer would, with the standardwebhooks package."""

    secret: str | None = None
    status: int = 204
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died in the middle (kill -9): no request, as for any server
                    return
                headers = {name.lower(): value for name, value in self.headers.items()}
                if receiver.status >= 300:
                    receiver.refused += 1
                else:
                    receiver.received.append(Received(self.path, headers, body, receiver._verified(body, headers)))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _verified(self, body: bytes, headers: dict[str, str]) -> bool:
        if self.secret is None:
            return False
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception:  # noqa: BLE001 - any failure to verify is a failure
            return False
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def receiving(secret: str | None = None) -> Iterator[Receiver]:
    receiver = Receiver(secret)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kafka() -> Iterator[KafkaCluster]:
    cluster = KafkaCluster()
    yield cluster
    cluster.close()
