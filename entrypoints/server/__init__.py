"""The server process: uvicorn with the connection limits of `protocol.py`, one process or several
(`workers.py`), each building the composition root (`entrypoints/container.py`) for itself."""

from uvicorn.config import STARTUP_FAILURE

from entrypoints.server.process import server
from entrypoints.server.workers import serve_workers
from entrypoints.settings import Settings


def serve(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, in `settings.workers` processes; the exit status for the command."""
    if settings.workers > 1:
        return serve_workers(settings)
    running = server(settings)
    running.run()
    return 0 if running.started else STARTUP_FAILURE
