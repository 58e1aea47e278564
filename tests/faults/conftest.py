"""Fault injection around the real `todo serve`: a stopped Postgres, a closed port, a pooler in between.

The servers come from the e2e fixtures (imported here, not copied). What this level adds: TODO_*
variables for those servers, control of the local Postgres cluster, a PgBouncer of our own on a
free port, and a TCP forwarder that opens a closed port later. Every wait is bounded in time.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.e2e.servers as e2e
from tests.faults.services import (
    Cluster,
    _local_cluster,
)


@pytest.fixture
def todo_vars(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """TODO_* variables for the servers this test starts (the e2e helper passes none of ours through)."""
    extra: dict[str, str] = {}
    original = e2e.todo_env
    monkeypatch.setattr(e2e, "todo_env", lambda database_url: original(database_url) | extra)
    return extra


@pytest.fixture
def postgres_cluster(postgres_server: str) -> Iterator[Cluster]:
    """The local cluster, for a test that stops it; whatever happens, it is running again afterwards."""
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        pytest.fail("this test stops the Postgres that the other workers' tests use: run it alone (-n 0)")
    cluster = _local_cluster()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    try:
        yield cluster
    finally:
        cluster.ensure_running()


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throw-away self-signed certificate and key for 127.0.0.1: (cert, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
