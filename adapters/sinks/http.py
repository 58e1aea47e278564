"""Sinks over HTTP: webhooks, and Dapr's publish API. Each POSTs one event at a time, in CloudEvents'
structured mode (`application/cloudevents+json`), each owner's in order; any answer but a 2xx is a
failure, and the relay offers the batch again after a back-off. What an endpoint has taken of a batch
is not sent again when the batch is."""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
from standardwebhooks import Webhook

from adapters.sinks import CLOUDEVENTS_JSON, cloud_event, each_owner_in_order, event_key
from application.relay import DeliveryFailed
from domain.events import RelayedEvent, TaskEvent


class HttpSink:
    name: str

    def __init__(self, *, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout)
        self._taken: set[int] = set()  # of the batch being delivered

    def request(self, event: TaskEvent, body: bytes) -> tuple[str, dict[str, str]]:
        """The URL to POST the event to, and the headers beside its body."""
        raise NotImplementedError

    async def deliver(self, events: Sequence[RelayedEvent]) -> None:
        await each_owner_in_order(events, self._post)
        self._taken.clear()

    async def _post(self, relayed: RelayedEvent) -> None:
        if relayed.seq in self._taken:
            return
        body = cloud_event(relayed.event)
        url, headers = self.request(relayed.event, body)
        try:
            answer = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as failure:  # its text holds the URL: only its kind is told
            raise DeliveryFailed(f"{self.name}: {type(failure).__name__}") from failure
        if not answer.is_success:
            raise DeliveryFailed(f"{self.name}: the endpoint answered {answer.status_code}")
        self._taken.add(relayed.seq)

    async def close(self) -> None:
        await self._client.aclose()


def webhook_name(url: str) -> str:
    """A name that tells webhooks apart without showing their URLs (which may hold a secret)."""
    return "webhook-" + hashlib.sha256(url.encode()).hexdigest()[:12]


class WebhookSink(HttpSink):
    """Signed per the Standard Webhooks specification: `webhook-id` (the event's key), `webhook-timestamp`
    and `webhook-signature`, an HMAC-SHA256 of id, timestamp and body with the shared secret."""

    def __init__(self, url: str, secret: str, *, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.name = webhook_name(url)
        self._url = url
        self._signer = Webhook(secret)

    def request(self, event: TaskEvent, body: bytes) -> tuple[str, dict[str, str]]:
        key, now = event_key(event), datetime.now(UTC)
        return self._url, {
            "content-type": CLOUDEVENTS_JSON,
            "webhook-id": key,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._signer.sign(key, now, body),
        }


class DaprSink(HttpSink):
    """Dapr's publish API: `POST {dapr}/v1.0/publish/{pubsub}/{topic}`, the CloudEvent passed through as it
    is, the owner as `metadata.partitionKey` (so a Kafka behind Dapr keeps each owner's events in order)."""

    name = "dapr"

    def __init__(self, url: str, *, pubsub: str, topic: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self._publish = f"{url.rstrip('/')}/v1.0/publish/{quote(pubsub, safe='')}/{quote(topic, safe='')}"

    def request(self, event: TaskEvent, body: bytes) -> tuple[str, dict[str, str]]:
        return f"{self._publish}?metadata.partitionKey={quote(event.user_id, safe='')}", {
            "content-type": CLOUDEVENTS_JSON
        }
