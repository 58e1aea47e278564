"""The servers the fault tests start, stop and stand between: the local Postgres cluster, PgBouncer, a TCP forwarder."""

import os
import re
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.databases import POSTGRES_SERVER_URL
from tests.e2e.servers import free_port

UPSTREAM = urlsplit(POSTGRES_SERVER_URL)
UPSTREAM_HOST, UPSTREAM_PORT = UPSTREAM.hostname or "127.0.0.1", UPSTREAM.port or 5432


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    pytest.fail(f"{what}: not within {timeout} s")


def with_port(url: str, port: int) -> str:
    """The same database URL, on another port of 127.0.0.1 (a pooler, a forwarder, a closed port)."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}127.0.0.1:{port}").geturl()


def postgres_accepts(timeout: float = 2) -> bool:
    try:
        with psycopg.connect(POSTGRES_SERVER_URL, connect_timeout=max(2, int(timeout))) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


@dataclass(frozen=True)
class Cluster:
    """The Debian cluster that serves TODO_TEST_POSTGRES_URL, stopped and started with pg_ctlcluster."""

    version: str
    name: str

    def _ctl(self, action: str) -> None:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action]
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
        if done.returncode not in (0, 2):  # 2: already stopped
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stdout}{done.stderr}")

    def stop(self) -> None:
        self._ctl("stop")  # fast mode: sessions are terminated, transactions roll back

    def start(self) -> None:
        self._ctl("start")

    def ensure_running(self) -> None:
        """Start it if it is down, then wait until it accepts connections: other tests share it."""
        if not postgres_accepts():
            with suppress(RuntimeError):
                self.start()
        wait_for(postgres_accepts, 60, "PostgreSQL accepting connections again", interval=0.25)


def _local_cluster() -> Cluster | str:
    """The cluster on UPSTREAM_PORT, or why it cannot be controlled from here."""
    if UPSTREAM_HOST not in ("127.0.0.1", "localhost"):
        return f"TODO_TEST_POSTGRES_URL names {UPSTREAM_HOST}, not a local cluster this test may stop"
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return "pg_ctlcluster (postgresql-common) is not installed"
    if os.geteuid() != 0:
        return "stopping the local cluster needs root (pg_ctlcluster --skip-systemctl-redirect)"
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], check=True, capture_output=True, text=True, timeout=30
    ).stdout
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == str(UPSTREAM_PORT):
            return Cluster(fields[0], fields[1])
    return f"no cluster in pg_lsclusters listens on port {UPSTREAM_PORT}"


PGBOUNCER = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/usr/local/sbin")


def pgbouncer_version() -> tuple[int, ...]:
    if PGBOUNCER is None:
        return ()
    out = subprocess.run([PGBOUNCER, "--version"], check=False, capture_output=True, text=True, timeout=10).stdout
    found = re.search(r"PgBouncer (\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in found.groups()) if found else ()


@dataclass
class PgBouncer:
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def accepts_tcp(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def pgbouncer(
    workdir: Path, *, max_prepared_statements: int | None = None, tls: tuple[Path, Path] | None = None
) -> Iterator[PgBouncer]:
    """Our own PgBouncer in transaction mode on a free port of 127.0.0.1, in front of the test server.

    It keeps fewer server connections (2) than the service keeps client connections, so requests
    really do move between server connections, as they do behind a hosted pooler.
    `max_prepared_statements` is written only when given (PgBouncer before 1.21 rejects the key).
    """
    if PGBOUNCER is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does it)")
    port = free_port()
    userlist = workdir / f"pgbouncer-{port}.users"
    userlist.write_text(f'"{UPSTREAM.username or "postgres"}" ""\n')
    lines = [
        "[databases]",
        f"* = host={UPSTREAM_HOST} port={UPSTREAM_PORT}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {userlist}",
        "pool_mode = transaction",
        "default_pool_size = 2",
        "max_client_conn = 200",
    ]
    if max_prepared_statements is not None:
        lines.append(f"max_prepared_statements = {max_prepared_statements}")
    if tls is not None:
        cert, key = tls
        lines += ["client_tls_sslmode = require", f"client_tls_cert_file = {cert}", f"client_tls_key_file = {key}"]
    ini = workdir / f"pgbouncer-{port}.ini"
    ini.write_text("\n".join(lines) + "\n")
    log = workdir / f"pgbouncer-{port}.log"
    # PgBouncer refuses to run as root; it reads its files first, then becomes the postgres user.
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PGBOUNCER, *as_user, str(ini)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    bouncer = PgBouncer(port, log)
    try:
        deadline = time.monotonic() + 10
        while not accepts_tcp(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"pgbouncer did not start (exit {process.poll()}):\n{bouncer.output()}")
            time.sleep(0.05)
        yield bouncer
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


class Forwarder:
    """Listens on 127.0.0.1:`port` and relays each connection to the test server, until stopped.

    Each relay thread stops at end-of-stream, when the forwarder stops, or after `lifetime` seconds.
    """

    def __init__(self, port: int, lifetime: float = 120.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + lifetime
        self.relayed = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _live(self) -> bool:
        return not self.stopping.is_set() and time.monotonic() < self.deadline

    def _accept(self) -> None:
        while self._live():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.relayed += 1
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection((UPSTREAM_HOST, UPSTREAM_PORT), timeout=5) as upstream:
            peers = {client: upstream, upstream: client}
            while self._live():
                readable, _, _ = select.select(list(peers), [], [], 0.2)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    peers[source].sendall(data)

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(5)
