"""`todo serve --workers N` (N > 1): N uvicorn processes, each accepting on a listening socket of its own.

uvicorn's own supervisor hands one listening socket to every worker, and a worker's event loop
accepts every connection waiting when it wakes: connections opened together (a proxy's keep-alive
pool, a load generator's) can all land on one worker while the others idle, as happened here in one
benchmark run of three. Here each worker has its own socket on the same port (SO_REUSEPORT), and
the kernel spreads new connections across the sockets evenly.

The parent binds the sockets, starts the workers, replaces one that dies (its socket stays open, so
connections meant for it wait in the backlog meanwhile), and on SIGTERM or SIGINT asks every worker
to shut down gracefully and waits for them. A worker that fails to start ends the whole server:
it would fail the same way again.

Metrics: the workers share one PROMETHEUS_MULTIPROC_DIR (the operator's, else a temporary folder
made here and removed at the end), where prometheus-client keeps each worker's numbers for a scrape
to add up. It is emptied at the start, and a worker that exits has its live gauges removed.
"""

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
from multiprocessing.process import BaseProcess
from pathlib import Path

from prometheus_client import multiprocess
from uvicorn.config import STARTUP_FAILURE

from entrypoints.server.process import server
from entrypoints.settings import Settings

log = logging.getLogger("uvicorn.error")
_spawn = multiprocessing.get_context("spawn")


def _listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(settings: Settings, sock: socket.socket) -> None:
    running = server(settings)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches every process of the group; the parent handles it
        running.run(sockets=[sock])
    if not running.started:
        raise SystemExit(STARTUP_FAILURE)


def _metrics_folder() -> Path | None:
    """The folder the workers keep their metrics in, emptied; the one made here (to remove at the end)."""
    if given := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        for stale in Path(given).glob("*.db"):  # a previous server's numbers
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="todo-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(made)  # the spawned workers inherit it
    return made


def serve_workers(settings: Settings) -> int:
    """Run `settings.workers` workers until SIGTERM or SIGINT; the exit status for the command."""
    count = settings.workers
    # Without SO_REUSEPORT this fails when anything holds the port, so a second server is refused,
    # never silently given a share of the connections.
    try:
        _listening_socket(settings.host, settings.port, reuse_port=False).close()
        sockets = [_listening_socket(settings.host, settings.port, reuse_port=True) for _ in range(count)]
    except OSError as error:
        log.error("Cannot listen on %s port %d: %s", settings.host, settings.port, error.strerror)
        return STARTUP_FAILURE

    made = _metrics_folder()

    def start(sock: socket.socket) -> BaseProcess:
        worker = _spawn.Process(target=_worker, args=(settings, sock))
        worker.start()
        return worker

    stopping = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopping.set())
    log.info("Started parent process [%d] with %d workers, one socket each", os.getpid(), count)
    workers = [start(sock) for sock in sockets]
    status = 0
    while not stopping.wait(0.5):
        for index, worker in enumerate(workers):
            if worker.is_alive():
                continue
            if worker.exitcode == STARTUP_FAILURE:
                log.error("Worker [%d] failed to start; stopping", worker.pid)
                status = STARTUP_FAILURE
                stopping.set()
                break
            log.warning("Worker [%d] exited (%s); starting another", worker.pid, worker.exitcode)
            multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
            workers[index] = start(sockets[index])
    for worker in workers:
        if worker.is_alive() and worker.pid is not None:
            os.kill(worker.pid, signal.SIGTERM)  # each finishes its requests within the grace period
    for worker in workers:
        worker.join()
    for sock in sockets:
        sock.close()
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
    log.info("Stopped parent process [%d]", os.getpid())
    return status
