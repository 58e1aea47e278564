"""Kafka: each event on one topic (`task-events`), keyed by its owner, so that an owner's events share a
partition and stay in order; CloudEvents' Kafka binding in structured mode (the event as the value,
`content-type: application/cloudevents+json`). The producer is idempotent: a retry inside it never
writes a message twice nor out of order."""

import asyncio
import logging
from collections.abc import Sequence

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from adapters.sinks import CLOUDEVENTS_JSON, cloud_event
from application.relay import DeliveryFailed
from domain.events import RelayedEvent

HEADERS: list[tuple[str, str | bytes | None]] = [("content-type", CLOUDEVENTS_JSON)]


class KafkaSink:
    name = "kafka"

    def __init__(self, brokers: str, *, topic: str = "task-events", timeout: float = 10.0) -> None:
        self._topic = topic
        self._timeout = timeout
        self._config = {
            "bootstrap.servers": brokers,
            "enable.idempotence": True,  # acks=all, retries in order, no duplicates
            "linger.ms": 5,
            "message.timeout.ms": int(timeout * 1000),
            "logger": logging.getLogger("kafka"),
        }
        self._producer: Producer | None = None

    async def deliver(self, events: Sequence[RelayedEvent]) -> None:
        if self._producer is None:
            self._producer = Producer(self._config)
        failures: list[KafkaError] = []

        def report(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                failures.append(error)

        try:
            for relayed in events:
                event = relayed.event
                self._producer.produce(
                    self._topic,
                    value=cloud_event(event),
                    key=event.user_id.encode(),
                    headers=HEADERS,
                    on_delivery=report,
                )
        except (KafkaException, BufferError) as failure:
            raise DeliveryFailed(f"Kafka: {type(failure).__name__}") from failure
        waiting = await asyncio.to_thread(self._producer.flush, self._timeout + 5)
        if failures or waiting:
            reason = failures[0].name() if failures else f"{waiting} messages unconfirmed"
            raise DeliveryFailed(f"Kafka: {reason}")

    async def close(self) -> None:
        if self._producer is not None:
            await asyncio.to_thread(self._producer.flush, 5)
            self._producer = None  # librdkafka's threads end now, while logging still has somewhere to go
