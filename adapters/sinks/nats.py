"""NATS JetStream: each event on `tasks.events.<kind>` (`tasks.events.created`...), in the stream the
service makes if it is missing, with `Nats-Msg-Id` set to the event's key, so that JetStream drops a
repeat sent within its duplicate window (two minutes by default)."""

import logging
from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from adapters.sinks import CLOUDEVENTS_JSON, cloud_event, each_owner_in_order, event_key
from application.relay import DeliveryFailed
from domain.events import RelayedEvent

log = logging.getLogger(__name__)

SUBJECTS = "tasks.events.>"


class NatsSink:
    name = "nats"

    def __init__(self, url: str, *, stream: str = "TASKS", timeout: float = 5.0) -> None:
        self._url = url
        self._stream = stream
        self._timeout = timeout
        self._client: Client | None = None
        self._jetstream: JetStreamContext | None = None

    async def deliver(self, events: Sequence[RelayedEvent]) -> None:
        jetstream = self._jetstream or await self._connect()

        async def publish(relayed: RelayedEvent) -> None:
            event = relayed.event
            headers = {"Nats-Msg-Id": event_key(event), "Content-Type": CLOUDEVENTS_JSON}
            await jetstream.publish(f"tasks.events.{event.kind}", cloud_event(event), headers=headers)

        try:
            await each_owner_in_order(events, publish)
        except (NatsError, TimeoutError) as failure:
            self._jetstream = None  # look for the stream again: a server that lost it answers "no responders"
            raise DeliveryFailed(f"NATS: {type(failure).__name__}") from failure

    async def _connect(self) -> JetStreamContext:
        try:
            if self._client is None or self._client.is_closed:
                self._client = await nats.connect(
                    self._url,
                    connect_timeout=self._timeout,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    error_cb=_quietly,
                    disconnected_cb=_nothing,
                    reconnected_cb=_nothing,
                )
            jetstream = self._client.jetstream(timeout=self._timeout)
            try:
                await jetstream.stream_info(self._stream)
            except NotFoundError:
                await jetstream.add_stream(name=self._stream, subjects=[SUBJECTS])
                log.info("event sink nats: made the stream %s for %s", self._stream, SUBJECTS)
        except (NatsError, OSError, TimeoutError) as failure:
            raise DeliveryFailed(f"NATS: {type(failure).__name__}") from failure
        self._jetstream = jetstream
        return jetstream

    async def close(self) -> None:
        if self._client is not None and not self._client.is_closed:
            await self._client.close()


async def _quietly(error: Exception) -> None:
    # The relay logs every failed delivery; the client's own errors would repeat them (and its text
    # may hold the URL, credentials included).
    log.debug("NATS client: %s", type(error).__name__)


async def _nothing() -> None:
    return None
