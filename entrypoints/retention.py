"""Event retention in the background of every worker: a pass over every owner's feed, hourly."""

import asyncio
import logging
import random

from application.events import TaskEvents

log = logging.getLogger(__name__)

PASS_INTERVAL = 3600.0  # seconds


class RetentionSchedule:
    def __init__(self, events: TaskEvents, interval: float = PASS_INTERVAL) -> None:
        self.events = events
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        # A random first delay spreads the passes of several workers and instances over the interval.
        await asyncio.sleep(random.uniform(0, self.interval))
        while True:
            try:
                if removed := await self.events.prune():
                    log.info("retention removed %d task events older than %s", removed, self.events.retention)
            except Exception:  # the next pass tries again; a failed one has removed nothing it must not
                log.exception("event retention pass failed")
            await asyncio.sleep(self.interval)
