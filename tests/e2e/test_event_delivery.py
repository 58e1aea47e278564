"""The relay in the real `todo serve` on Postgres, with every sink on: every sink down for 10 s under
write load, and a webhook that always fails (tests/e2e/test_relay_failover.py: `kill -9`, two instances).

What each sink got is read from the sink itself: the NATS stream, the Kafka topic (librdkafka's mock
cluster), the webhook receiver, the receiver standing for Dapr's publish endpoint."""

import time

import httpx
import pytest

from adapters.sinks.http import webhook_name
from tests.e2e.delivery import SECRET, Writer, check, kafka_events, metric, nats_events, sinks_env, written
from tests.e2e.servers import Serve
from tests.faults.services import wait_for
from tests.sinks.services import KafkaCluster, NatsServer, Receiver, receiving

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_every_sink_down_for_10_s_under_write_load_gets_every_event_after_in_order(
    serve: Serve, empty_postgres_database: str, nats_server: NatsServer, kafka: KafkaCluster
) -> None:
    with receiving(SECRET) as webhook, receiving() as dapr:
        env = sinks_env(
            nats=nats_server,
            kafka=kafka,
            TODO_EVENTS_WEBHOOK_URLS=webhook.url,
            TODO_EVENTS_WEBHOOK_SECRET=SECRET,
            TODO_EVENTS_DAPR_URL=dapr.url,
        )
        server = serve(empty_postgres_database, env=env)
        with Writer(server) as writer:
            time.sleep(2)
            nats_server.stop()
            kafka.pause()
            webhook.stop()
            dapr.stop()
            time.sleep(10)
            during = dict(writer.statuses)
            nats_server.start()
            kafka.resume()
            webhook.start()
            dapr.start()
            time.sleep(2)
        assert set(writer.statuses) <= {200, 201}, writer.statuses
        assert sum(during.values()) > 100  # the writes went on while every sink was down
        last = written(server)
        total = sum(last.values())
        wait_for(lambda: len({(e["source"], e["id"]) for e in nats_events(nats_server)}) >= total, 60, "NATS")
        wait_for(lambda: len({(one.event["source"], one.event["id"]) for one in webhook.received}) >= total, 60, "hook")
        wait_for(lambda: len({(one.event["source"], one.event["id"]) for one in dapr.received}) >= total, 60, "Dapr")
        counts = {
            "nats": check("nats", nats_events(nats_server), last),
            "kafka": check("kafka", kafka_events(kafka, total), last),
            "webhook": check("webhook", [one.event for one in webhook.received], last),
            "dapr": check("dapr", [one.event for one in dapr.received], last),
        }
        assert all(one.verified for one in webhook.received)
        assert metric(server, "todo_event_delivery_failures_total", "nats") > 0
    print("sinks down 10 s:", counts)


def test_a_webhook_that_answers_500_forever_holds_back_neither_nats_nor_kafka_nor_the_requests(
    serve: Serve, empty_postgres_database: str, nats_server: NatsServer, kafka: KafkaCluster
) -> None:
    failing = Receiver(SECRET, status=500)
    failing.start()
    try:
        env = sinks_env(
            nats=nats_server, kafka=kafka, TODO_EVENTS_WEBHOOK_URLS=failing.url, TODO_EVENTS_WEBHOOK_SECRET=SECRET
        )
        server = serve(empty_postgres_database, env=env)
        with httpx.Client(base_url=server.base_url) as client:
            answers = [client.post("/api/owner-1/tasks", json={"title": f"task {n}"}) for n in range(200)]
        assert {answer.status_code for answer in answers} == {201}
        last = {"owner-1": 200}
        wait_for(lambda: len(nats_events(nats_server)) >= 200, 30, "NATS")
        check("nats", nats_events(nats_server), last)
        check("kafka", kafka_events(kafka, 200), last)
        sink = webhook_name(failing.url)
        wait_for(lambda: metric(server, "todo_event_delivery_failures_total", sink) >= 2, 20, "retries")
        assert failing.refused >= 2
        assert metric(server, "todo_event_sink_backlog", sink) == 200
        assert metric(server, "todo_event_sink_backlog", "nats") == 0
    finally:
        failing.stop()
