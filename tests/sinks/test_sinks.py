"""Each sink against the real thing: a private NATS server with JetStream, librdkafka's mock Kafka
cluster, and HTTP receivers (a webhook consumer that verifies signatures; Dapr's publish endpoint)."""

from datetime import UTC, datetime

import pytest

from adapters.memory import InMemoryTaskStore
from adapters.sinks.http import DaprSink, WebhookSink, webhook_name
from adapters.sinks.kafka import KafkaSink
from adapters.sinks.nats import NatsSink
from application.relay import DeliveryFailed
from application.tasks import TaskService
from domain.events import RelayedEvent
from domain.task import TaskDraft

from .services import KafkaCluster, NatsServer, receiving

pytestmark = pytest.mark.anyio
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def relayed_events(*owners: str, each: int = 3) -> list[RelayedEvent]:
    """Each owner's tasks created, the first completed; as the relay orders them."""
    store = InMemoryTaskStore()
    tasks = TaskService(store)
    for owner in owners:
        made = [await tasks.create(owner, draft=TaskDraft(f"{owner} {n}")) for n in range(each)]
        await tasks.toggle_completion(owner, task_id=str(made[0].id))
    await store.claim_relay("test", lease=60)
    await store.order_committed("test", limit=10_000)
    return await store.events_after(seq=0, limit=10_000)


async def test_nats_gets_each_event_on_its_kinds_subject_in_a_stream_it_made_and_drops_a_repeat(
    nats_server: NatsServer, user: str, other_user: str
) -> None:
    events = await relayed_events(user, other_user)
    sink = NatsSink(nats_server.url, stream="TASKS")
    await sink.deliver(events)
    await sink.deliver(events[:3])  # a batch offered again after a failure
    await sink.close()

    stored = {
        headers["Nats-Msg-Id"]: (subject, headers, event) for subject, headers, event in await nats_server.messages()
    }
    assert len(stored) == len(await nats_server.messages()) == len(events) == 8
    for relayed in events:
        event = relayed.event
        subject, headers, cloud_event = stored[f"{event.user_id}:{event.position}"]
        assert subject == f"tasks.events.{event.kind}"
        assert headers["Content-Type"] == "application/cloudevents+json"
        assert (cloud_event["source"], cloud_event["id"]) == (f"/api/{event.user_id}/tasks", str(event.position))
        assert cloud_event["type"] == f"com.todo.task.{event.kind}"
    for owner in (user, other_user):  # each owner's in order in the stream
        ids = [e["id"] for _, _, e in await nats_server.messages() if e["source"] == f"/api/{owner}/tasks"]
        assert ids == ["1", "2", "3", "4"]


async def test_nats_that_is_down_fails_the_batch_and_takes_it_once_back(nats_server: NatsServer, user: str) -> None:
    events = await relayed_events(user)
    sink = NatsSink(nats_server.url, timeout=1.0)
    await sink.deliver(events[:1])
    nats_server.stop()
    with pytest.raises(DeliveryFailed, match="NATS"):
        await sink.deliver(events)
    nats_server.start()
    await sink.deliver(events)
    await sink.close()
    assert [cloud_event["id"] for _, _, cloud_event in await nats_server.messages()] == ["1", "2", "3", "4"]


async def test_kafka_gets_each_event_keyed_by_its_owner_in_cloudevents_structured_mode(
    kafka: KafkaCluster, user: str, other_user: str
) -> None:
    events = await relayed_events(user, other_user)
    sink = KafkaSink(kafka.brokers, topic="task-events")
    await sink.deliver(events)
    await sink.close()

    received = kafka.messages("task-events", count=len(events))
    assert len(received) == 8
    for owner in (user, other_user):
        mine = [cloud_event for key, _, cloud_event in received if key == owner.encode()]
        assert [cloud_event["id"] for cloud_event in mine] == ["1", "2", "3", "4"]  # one partition: in order
    assert all(headers["content-type"] == b"application/cloudevents+json" for _, headers, _ in received)


async def test_kafka_that_is_gone_fails_the_batch(kafka: KafkaCluster, user: str) -> None:
    events = await relayed_events(user)
    sink = KafkaSink(kafka.brokers, timeout=5.0)  # room for a first connection on a busy machine
    await sink.deliver(events[:1])
    kafka.close()
    with pytest.raises(DeliveryFailed, match="Kafka"):
        await sink.deliver(events[1:])
    await sink.close()


async def test_a_webhook_gets_each_event_signed_as_standard_webhooks_verify(user: str, other_user: str) -> None:
    events = await relayed_events(user, other_user)
    with receiving(SECRET) as receiver:
        sink = WebhookSink(receiver.url + "/hooks/todo?token=abc", SECRET)
        await sink.deliver(events)
        await sink.close()

    assert len(receiver.received) == 8
    assert all(one.verified for one in receiver.received)
    assert {one.headers["content-type"] for one in receiver.received} == {"application/cloudevents+json"}
    assert {one.path for one in receiver.received} == {"/hooks/todo?token=abc"}
    for owner in (user, other_user):
        mine = [one for one in receiver.received if one.event["source"] == f"/api/{owner}/tasks"]
        assert [one.event["id"] for one in mine] == ["1", "2", "3", "4"]
        assert [one.headers["webhook-id"] for one in mine] == [f"{owner}:{n}" for n in (1, 2, 3, 4)]
    sent_at = int(receiver.received[0].headers["webhook-timestamp"])
    assert abs(sent_at - datetime.now(UTC).timestamp()) < 60
    assert sink.name == webhook_name(receiver.url + "/hooks/todo?token=abc")
    assert "token" not in sink.name


async def test_a_webhook_that_fails_fails_the_batch_and_gets_only_what_it_lacked_again(user: str) -> None:
    events = await relayed_events(user)
    with receiving(SECRET) as receiver:
        sink = WebhookSink(receiver.url, SECRET)
        await sink.deliver(events[:2])
        receiver.status = 500
        with pytest.raises(DeliveryFailed, match="answered 500"):
            await sink.deliver(events)
        receiver.status = 200
        await sink.deliver(events)
        await sink.close()
    assert [one.event["id"] for one in receiver.received] == ["1", "2", "1", "2", "3", "4"]
    assert receiver.refused == 1  # the owner's first failure stopped its sending


async def test_a_webhook_signed_with_another_secret_does_not_verify(user: str) -> None:
    events = await relayed_events(user, each=1)
    with receiving(SECRET) as receiver:
        sink = WebhookSink(receiver.url, "whsec_" + "A" * 32)
        await sink.deliver(events)
        await sink.close()
    assert [one.verified for one in receiver.received] == [False, False]


async def test_dapr_gets_each_event_on_its_publish_endpoint_with_the_owner_as_partition_key(
    user: str, other_user: str
) -> None:
    events = await relayed_events(user, other_user)
    with receiving() as dapr:
        sink = DaprSink(dapr.url, pubsub="kafka-pubsub", topic="task-events")
        await sink.deliver(events)
        await sink.close()
    assert len(dapr.received) == 8
    for owner in (user, other_user):
        mine = [one for one in dapr.received if one.event["source"] == f"/api/{owner}/tasks"]
        assert {one.path for one in mine} == {f"/v1.0/publish/kafka-pubsub/task-events?metadata.partitionKey={owner}"}
        assert [one.event["id"] for one in mine] == ["1", "2", "3", "4"]
    assert {one.headers["content-type"] for one in dapr.received} == {"application/cloudevents+json"}
