"""Reminders: each fires once, at its time, as a `reminder` event in its owner's log.

Every worker and instance runs a scheduler; the log hands each due reminder to one of them
(`ReminderLog.fire_reminders`), so however many run, each reminder fires once. A scheduler looks
for due reminders every `poll_interval` (sooner when the next one falls due before that), so one
set by any worker fires within about that of its time; on start-up, reminders that fell due while
the service was down fire at once (late: `TaskEvent.late`).
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from domain.errors import StoreUnavailable
from domain.store import ReminderLog
from domain.task import utc_now

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.2  # seconds; well inside the second within which a reminder fires
BATCH = 500
RETRY_AFTER = 1.0  # seconds, when the store cannot be reached


class ReminderScheduler:
    def __init__(
        self,
        reminders: ReminderLog,
        *,
        poll_interval: float = POLL_INTERVAL,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._reminders = reminders
        self._poll_interval = poll_interval
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _fire_due(self) -> int:
        """Fire every reminder due now; how many fired."""
        fired = 0
        while True:
            batch = await self._reminders.fire_reminders(now=self._clock(), limit=BATCH)
            fired += len(batch)
            if len(batch) < BATCH:
                return fired

    async def _run(self) -> None:
        # Only reads while nothing is due: a write (which SQLite serialises) only when one is.
        while True:
            try:
                soonest = await self._reminders.next_reminder()
                if soonest is not None and soonest <= self._clock() and await self._fire_due():
                    continue
                # Until the soonest is due; when one was due but another scheduler held it, shortly.
                await asyncio.sleep(self._until(soonest) or self._poll_interval / 4)
            except StoreUnavailable as error:
                log.warning("reminders wait for the store: %s", error)
                await asyncio.sleep(RETRY_AFTER)
            except Exception:  # the next round tries again; a failed batch fired nothing
                log.exception("firing reminders failed")
                await asyncio.sleep(RETRY_AFTER)

    def _until(self, soonest: datetime | None) -> float:
        """How long to wait before looking again: until the soonest is due, at most `poll_interval`
        (another worker or instance may set an earlier one meanwhile)."""
        if soonest is None:
            return self._poll_interval
        return min(max((soonest - self._clock()).total_seconds(), 0.0), self._poll_interval)
