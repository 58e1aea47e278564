"""The README's event delivery, as written: its variables turn every sink on in the real `todo serve`
(the addresses swapped for the test's own NATS server, Kafka mock cluster and receivers), its receiver
snippet verifies what the service sent, and its Dapr component names the pub/sub the variables name;
and the operations guide's command that names a webhook sink."""

import asyncio
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.sinks.http import webhook_name
from tests.e2e.servers import Serve
from tests.faults.services import wait_for
from tests.sinks.services import KafkaCluster, NatsServer, receiving

pytestmark = [pytest.mark.e2e]

README = (Path(__file__).parents[2] / "README.md").read_text()
SECTION = README.split("## Every event, to brokers and webhooks", 1)[1].split("\n## ", 1)[0]


def block(language: str, index: int = 0) -> str:
    return SECTION.split(f"```{language}\n")[index + 1].split("```", 1)[0]


def readme_settings() -> dict[str, str]:
    command = re.sub(r"\\\n\s*", " ", block("sh"))
    return dict(re.findall(r"(TODO_EVENTS_[A-Z_]+)=(\S+)", command))


def receiver_snippet() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(block("python"), namespace)  # noqa: S102 - the README's own code, run as a reader would
    return namespace


def test_the_readmes_settings_turn_on_every_sink_and_its_receiver_verifies_each_webhook(
    serve: Serve, tmp_path: Path, nats_server: NatsServer, kafka: KafkaCluster
) -> None:
    settings = readme_settings()
    assert set(settings) >= {
        "TODO_EVENTS_NATS_URL",
        "TODO_EVENTS_KAFKA_BROKERS",
        "TODO_EVENTS_WEBHOOK_URLS",
        "TODO_EVENTS_WEBHOOK_SECRET",
        "TODO_EVENTS_DAPR_URL",
        "TODO_EVENTS_DAPR_PUBSUB",
    }
    with receiving(settings["TODO_EVENTS_WEBHOOK_SECRET"]) as webhook, receiving() as dapr:
        env = settings | {
            "TODO_EVENTS_NATS_URL": nats_server.url,
            "TODO_EVENTS_KAFKA_BROKERS": kafka.brokers,
            "TODO_EVENTS_WEBHOOK_URLS": webhook.url + "/todo",
            "TODO_EVENTS_DAPR_URL": dapr.url,
        }
        server = serve(f"sqlite:///{tmp_path / 'tasks.sqlite3'}", env=env)
        made = httpx.post(f"{server.base_url}/api/alice/tasks", json={"title": "Buy milk"})
        assert made.status_code == 201
        wait_for(lambda: bool(webhook.received and dapr.received), 20, "the webhook and Dapr")

        receive = receiver_snippet()["receive"]
        sent = webhook.received[0]
        event = receive(sent.body, sent.headers)
        assert (event["type"], event["data"]["title"]) == ("com.todo.task.created", "Buy milk")
        assert receive(sent.body, sent.headers) is None  # a repeat
        with pytest.raises(receiver_snippet()["WebhookVerificationError"]):
            receive(sent.body.replace(b"Buy milk", b"Buy wine"), sent.headers)

        assert dapr.received[0].path == "/v1.0/publish/kafka-pubsub/task-events?metadata.partitionKey=alice"
        wait_for(lambda: len(_stream(nats_server)) == 1, 20, "NATS")
        assert _stream(nats_server)[0][0] == "tasks.events.created"
        assert [key for key, _, _ in kafka.messages("task-events", count=1)] == [b"alice"]


def _stream(server: NatsServer) -> list[tuple[str, dict[str, str], Any]]:
    try:
        return asyncio.run(server.messages())
    except Exception:  # noqa: BLE001 - the stream is not there yet
        time.sleep(0.1)
        return []


def test_the_readmes_dapr_component_is_the_pub_sub_its_settings_name() -> None:
    component = block("yaml")
    assert f"name: {readme_settings()['TODO_EVENTS_DAPR_PUBSUB']}\n" in component
    assert "type: pubsub.kafka" in component


def test_the_operations_guides_command_names_a_webhook_as_the_metrics_do() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    found = re.search(r"\(`(printf [^`]+)`\)", guide)
    assert found is not None
    url = "https://hooks.example.com/todo?token=abc"
    named = subprocess.run(["bash", "-c", found[1]], env={"url": url}, capture_output=True, text=True, check=True)
    assert f"webhook-{named.stdout.strip()}" == webhook_name(url)
