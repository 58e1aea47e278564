"""Where the relay (application/relay.py) delivers events: NATS JetStream, Kafka, webhooks and Dapr.

Every sink sends each event as the same CloudEvent the change feed and the stream show, and names it
by one key, unique across owners (`event_key`), so a consumer drops repeats whichever way they came.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import quote

import msgspec

from adapters.wire.cloudevents import CloudEvent
from domain.events import RelayedEvent, TaskEvent

CLOUDEVENTS_JSON = "application/cloudevents+json"
OWNERS_AT_ONCE = 64  # owners whose events a sink sends side by side

_encode = msgspec.json.Encoder().encode


def cloud_event(event: TaskEvent) -> bytes:
    """The event in CloudEvents' structured JSON mode."""
    return _encode(CloudEvent.of(event))


def event_key(event: TaskEvent) -> str:
    """The CloudEvent's `source` and `id` in one string: unique for every event of every owner."""
    return f"{quote(event.user_id, safe='')}:{event.position}"


async def each_owner_in_order(events: Sequence[RelayedEvent], send: Callable[[RelayedEvent], Awaitable[None]]) -> None:
    """Send every event: each owner's one after the other, in order, up to OWNERS_AT_ONCE owners side by
    side. An owner's first failure stops that owner's sending; the first failure is raised at the end."""
    by_owner: dict[str, list[RelayedEvent]] = {}
    for relayed in events:
        by_owner.setdefault(relayed.event.user_id, []).append(relayed)
    room = asyncio.Semaphore(OWNERS_AT_ONCE)

    async def send_in_order(owned: list[RelayedEvent]) -> None:
        async with room:
            for relayed in owned:
                await send(relayed)

    outcomes = await asyncio.gather(*map(send_in_order, by_owner.values()), return_exceptions=True)
    if failure := next((outcome for outcome in outcomes if isinstance(outcome, BaseException)), None):
        raise failure
