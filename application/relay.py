"""The relay: every event the log records, delivered to every configured sink, at least once, each
owner's in position order, none skipped.

One relay works per database, the holder of the log's lease; every worker and instance runs one, and
the others wait to take over (`LEASE` seconds after the holder stops renewing). While it holds the
lease it
- orders the committed events (`EventRelayLog.order_committed`), every `poll_interval`;
- gives each sink the ordered events after that sink's progress, a batch at a time, and records the
  progress once the sink has taken the whole batch. A failed batch is offered again, whole, after a
  back-off: a consumer may see an event twice (it drops repeats by the CloudEvent's `source` and `id`),
  never an owner's event before an earlier one of that owner. Each sink runs on its own, so one
  that is down holds back only its own progress.
The request path never waits for any of it: a write only records its event (in its own transaction).
"""

import asyncio
import logging
import os
import random
import socket
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from domain.errors import RelayLost
from domain.events import EVENT_RETENTION, RelayedEvent
from domain.store import EventRelayLog
from domain.task import utc_now

log = logging.getLogger(__name__)

LEASE = 3.0  # seconds a holder that stops renewing keeps the lease
RENEW = 1.0  # seconds between renewals, and between a waiting relay's attempts to take over
ORDER_BATCH = 1000
DELIVERY_BATCH = 500
BACKLOG_CHECK = 10.0  # seconds between looks at the backlogs, for the warning line


class EventSink(Protocol):
    """Somewhere events go. `deliver` returns once the sink has taken every event given, and raises
    otherwise (what it took of them may be given again); each owner's events are given in order."""

    name: str

    async def deliver(self, events: Sequence[RelayedEvent]) -> None: ...

    async def close(self) -> None: ...


class DeliveryFailed(Exception):
    """A sink did not take a batch; the message is safe to log (no URL, no secret)."""


class RelayObserver(Protocol):
    def delivered(self, sink: str, events: int) -> None: ...

    def failed(self, sink: str) -> None: ...


def back_off(attempt: int, *, longest: float) -> float:
    """Seconds to wait before the attempt after `attempt` failures: doubling from 0.1 s up to `longest`,
    half of it at random ("equal jitter"), so relays and sinks that failed together retry apart."""
    ceiling: float = min(longest, 0.1 * 2.0 ** min(attempt, 30))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class EventRelay:
    def __init__(
        self,
        log: EventRelayLog,
        sinks: Sequence[EventSink],
        *,
        observer: RelayObserver,
        poll_interval: float = 0.05,
        longest_back_off: float = 30.0,
        backlog_warning: int = 10_000,
        retention: timedelta = EVENT_RETENTION,
    ) -> None:
        self._log = log
        self._sinks = sinks
        self._observer = observer
        self._poll = poll_interval
        self._longest_back_off = longest_back_off
        self._backlog_warning = backlog_warning
        self._retention = retention
        self.holder = f"{socket.gethostname()[:40]}:{os.getpid()}:{os.urandom(4).hex()}"
        self._ordered = {sink.name: asyncio.Event() for sink in sinks}
        self._task: asyncio.Task[None] | None = None
        self.holding = False

    async def start(self) -> None:
        if self._sinks:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        try:
            await self._log.release_relay(self.holder)  # only if it holds the lease: another takes over at once
        except Exception:  # noqa: BLE001 - the lease then runs out by itself
            log.warning("event relay: could not hand over the lease; another relay takes over in %s s", LEASE)
        for sink in self._sinks:
            await sink.close()

    async def _run(self) -> None:
        paused = False  # said once per outage, not every second of it
        while True:
            try:
                if await self._log.claim_relay(self.holder, lease=LEASE):
                    paused = False
                    await self._relay_while_held()
            except* RelayLost:
                log.warning("event relay: the lease went to another relay")
            except* Exception as failure:  # noqa: BLE001 - the store is down, or a sink's progress was not kept
                if not paused:
                    log.warning(
                        "event relay paused (%s); trying again every %s s", _reason(failure.exceptions[0]), RENEW
                    )
                paused = True
            finally:
                self.holding = False
            await asyncio.sleep(RENEW)

    async def _relay_while_held(self) -> None:
        self.holding = True
        log.info("event relay: this process delivers events to %s", ", ".join(s.name for s in self._sinks))
        await self._log.add_sinks([sink.name for sink in self._sinks])
        async with asyncio.TaskGroup() as group:
            group.create_task(self._keep_lease())
            group.create_task(self._order())
            group.create_task(self._watch_backlogs())
            for sink in self._sinks:
                group.create_task(self._deliver_to(sink))

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(RENEW)
            if not await self._log.claim_relay(self.holder, lease=LEASE):
                raise RelayLost(self.holder)

    async def _order(self) -> None:
        last = -1
        while True:
            latest = await self._log.order_committed(self.holder, limit=ORDER_BATCH)
            if latest != last:
                last = latest
                for ordered in self._ordered.values():
                    ordered.set()
            else:
                await asyncio.sleep(self._poll)

    async def _deliver_to(self, sink: EventSink) -> None:
        delivered = await self._log.delivered_through(sink.name)
        ordered = self._ordered[sink.name]
        while True:
            ordered.clear()
            batch = await self._log.events_after(seq=delivered, limit=DELIVERY_BATCH)
            if not batch:
                await ordered.wait()
                continue
            await self._deliver_batch(sink, batch)
            delivered = batch[-1].seq
            await self._log.record_delivered(sink.name, through=delivered)

    async def _deliver_batch(self, sink: EventSink, batch: Sequence[RelayedEvent]) -> None:
        """Until the sink takes it: a sink that is down only grows its backlog."""
        attempt = 0
        while True:
            try:
                await sink.deliver(batch)
            except Exception as failure:  # noqa: BLE001 - any failure of the sink's is retried alike
                self._observer.failed(sink.name)
                wait = back_off(attempt, longest=self._longest_back_off)
                log.warning(
                    "event sink %s: delivery failed (%s), retrying in %.1f s", sink.name, _reason(failure), wait
                )
                attempt += 1
                await asyncio.sleep(wait)
            else:
                self._observer.delivered(sink.name, len(batch))
                if attempt:
                    log.info("event sink %s: delivering again after %d failed attempts", sink.name, attempt)
                return

    async def _watch_backlogs(self) -> None:
        """A warning when a sink's backlog passes the threshold, and again if it outlives retention."""
        warned: dict[str, bool] = {}  # sink: whether the warning said "past retention"
        while True:
            await asyncio.sleep(BACKLOG_CHECK)
            for name, backlog in (await self._log.backlogs()).items():
                if backlog.events < self._backlog_warning:
                    if warned.pop(name, None) is not None:
                        log.info("event sink %s: the backlog is down to %d events", name, backlog.events)
                    continue
                past_retention = backlog.oldest is not None and backlog.oldest < utc_now() - self._retention
                if warned.get(name) in (None, False) and (name not in warned or past_retention):
                    warned[name] = past_retention
                    log.warning(
                        "event sink %s: %d events not delivered, the oldest from %s%s",
                        name,
                        backlog.events,
                        backlog.oldest.isoformat() if backlog.oldest else "now",
                        "; the log keeps them past retention, and grows, until the sink has them "
                        "(or `todo events drop-sink` forgets it)"
                        if past_retention
                        else "",
                    )


def _reason(failure: BaseException) -> str:
    """What a failure was, fit for a log line: a sink's own words, else only the kind of error (an
    exception's text may hold a URL with credentials in it)."""
    return str(failure) if isinstance(failure, DeliveryFailed) else type(failure).__name__
