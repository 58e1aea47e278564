"""Live streams of owners' events: every stream in this process is fed by one poller.

The poller asks the log, every `poll_interval`, for the last position of each owner someone is
following (one query however many streams), and reads each owner's new events once for all of
that owner's streams. Polling the log, rather than a notification channel, works from any worker
or instance on the same database, and through a transaction-mode pooler, where LISTEN does not.
"""

import asyncio
import logging

from application.events import FeedEntry, read_feed
from domain.errors import ChangesExpired, StoreUnavailable
from domain.events import FeedToken
from domain.store import TaskEventLog
from domain.task import parse_user_id

log = logging.getLogger(__name__)

BATCH = 500  # events read per query, catching up or polling
MAX_WAITING = 2000  # events one reader may have waiting before it reads the log itself


class TooManyStreams(Exception):
    """This process already serves as many streams as it may."""


class StreamsClosed(Exception):
    """The service is stopping: the stream ends, and the client resumes elsewhere from its last id."""


class Subscription:
    """One reader's place in its owner's feed; `token` is where it stands after the last event it was given.

    Events wait here, by position, until the reader takes them. A reader too slow to keep up (more
    than MAX_WAITING waiting) is switched to reading the log itself from its token, a batch at a
    time, so a slow client never makes the process hold an unbounded backlog.
    """

    def __init__(self, log: TaskEventLog, owner: str, token: FeedToken) -> None:
        self._log = log
        self.owner = owner
        self.token = token
        self.closed = False  # by the service, which is stopping
        self.ended = False  # by the reader
        self._waiting: dict[int, FeedEntry] = {}
        self._behind = False  # some events were not kept here: read them from the log
        self._wake = asyncio.Event()

    async def next_entries(self, wait: float) -> list[FeedEntry]:
        """The events after `token`, in order, as soon as there are any; [] after `wait` seconds
        without one. Raises `StreamsClosed` when the service stops, and `ChangesExpired` when
        retention removed events this reader still needed (it must start again)."""
        if not (self._waiting or self._behind or self.closed):
            try:
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            except TimeoutError:
                return []
        if self.closed:
            raise StreamsClosed
        self._wake.clear()
        if self._behind:
            self._behind = False  # what arrives from here on waits here again
            self._waiting.clear()
            entries = (await read_feed(self._log, self.owner, after=self.token, limit=BATCH)).entries
            self._behind = len(entries) == BATCH
        else:
            entries = [self._waiting[p] for p in sorted(self._waiting) if p > self.token.position]
            self._waiting.clear()
        if entries:
            self.token = entries[-1].token
        return entries

    def deliver(self, entries: list[FeedEntry], complete: bool = True) -> None:
        """Events for this reader; `complete=False`: more follow them in the log."""
        if not self._behind:
            self._waiting.update((entry.event.position, entry) for entry in entries)
            self._behind = not complete or len(self._waiting) > MAX_WAITING
        if entries or self._behind:
            self._wake.set()

    def close(self) -> None:
        self.closed = True
        self._wake.set()


class EventStreams:
    def __init__(self, log: TaskEventLog, *, max_streams: int, poll_interval: float = 0.1) -> None:
        self._log = log
        self.max_streams = max_streams
        self.poll_interval = poll_interval
        self._streams: dict[str, set[Subscription]] = {}  # by owner
        self._read_through: dict[str, int] = {}  # by owner: the last position the poller fetched
        self._count = 0
        self._closed = False
        self._poller: asyncio.Task[None] | None = None

    @property
    def open_streams(self) -> int:
        return self._count

    async def subscribe(self, owner: str, *, after: FeedToken) -> Subscription:
        """A subscription to the owner's events after the token, with those already committed waiting
        in it. Raises `ChangesExpired` if some are no longer kept, `TooManyStreams` at the limit."""
        owner = parse_user_id(owner)
        if self._closed:
            raise StreamsClosed
        if self._count >= self.max_streams:
            raise TooManyStreams
        subscription = Subscription(self._log, owner, after)
        self._count += 1
        try:
            if owner not in self._read_through:
                latest = await self._log.latest_positions([owner])
                self._read_through.setdefault(owner, latest.get(owner, 0))
            # Registered first, then caught up: what the poller reads from now on is delivered too,
            # and what it read before is in the log for this read (repeats are dropped by position).
            self._streams.setdefault(owner, set()).add(subscription)
            # ChangesExpired here comes before the stream starts: the client gets a 410.
            read = await read_feed(self._log, owner, after=after, limit=BATCH)
            subscription.deliver(read.entries, complete=len(read.entries) < BATCH)
        except BaseException:
            self.unsubscribe(subscription)
            raise
        self._start_polling()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget the subscription (once: a second call does nothing)."""
        if subscription.ended:
            return
        subscription.ended = True
        self._count -= 1
        streams = self._streams.get(subscription.owner, set())
        streams.discard(subscription)
        if not streams:
            self._streams.pop(subscription.owner, None)
            self._read_through.pop(subscription.owner, None)

    def close(self) -> None:
        """End every stream (the service is stopping) and stop polling."""
        self._closed = True
        for streams in self._streams.values():
            for subscription in streams:
                subscription.close()
        if self._poller is not None:
            self._poller.cancel()

    def _start_polling(self) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while self._streams and not self._closed:
            await asyncio.sleep(self.poll_interval)
            try:
                await self._poll_once()
            except StoreUnavailable as error:
                log.warning("event streams could not read the log (retrying): %s", error)
                await asyncio.sleep(1.0)
            except Exception:  # the poller must outlive any one failure, or every stream goes quiet
                log.exception("event streams: polling failed (retrying)")
                await asyncio.sleep(1.0)

    async def _poll_once(self) -> None:
        latest = await self._log.latest_positions(list(self._streams))
        for owner, position in latest.items():
            while (read_through := self._read_through.get(owner, position)) < position:
                try:
                    read = await read_feed(self._log, owner, after=FeedToken(read_through), limit=BATCH)
                except ChangesExpired:  # retention outran the poller: each reader goes to the log itself
                    self._read_through[owner] = position
                    for subscription in self._streams.get(owner, ()):
                        subscription.deliver([], complete=False)
                    break
                if not read.entries or owner not in self._streams:
                    break
                self._read_through[owner] = read.entries[-1].event.position
                for subscription in self._streams[owner]:
                    subscription.deliver(read.entries)
