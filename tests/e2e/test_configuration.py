"""The real `todo` command with a bad setting: one line on stderr naming it, exit status 78 (EX_CONFIG)."""

import base64
import sqlite3
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from entrypoints.events import new_webhook_secret
from entrypoints.settings import Settings
from tests.e2e.servers import TODO, free_port, todo_env

pytestmark = pytest.mark.e2e

EX_CONFIG = 78


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TODO), *args], env=todo_env(None) | env, cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.parametrize("command", [["serve"], ["migrate"]])
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TODO_DB_POOL_SIZE", "abc"),
        ("TODO_DB_TIMEOUT", "0"),
        ("TODO_PORT", "70000"),
        ("TODO_WORKERS", "0"),
        ("DATABASE_URL", "mysql://db/tasks"),
        ("DATABASE_URL", "sqlite://todo.db"),
        ("DATABASE_URL", "sqlite://"),
    ],
)
def test_a_bad_setting_ends_the_command_with_one_line_and_status_78(
    command: list[str], name: str, value: str, tmp_path: Path
) -> None:
    finished = run([*command, "--port", str(free_port())] if command == ["serve"] else command, {name: value}, tmp_path)

    assert finished.returncode == EX_CONFIG
    assert finished.stdout == ""
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    assert name in lines[0]
    assert repr(value) in lines[0]
    assert "expected" in lines[0]
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "todo.sqlite3").exists()  # nothing was started or migrated


def test_serve_help_lists_every_environment_variable(tmp_path: Path) -> None:
    finished = run(["serve", "--help"], {}, tmp_path)

    assert finished.returncode == 0
    for one in fields(Settings):
        assert one.metadata["env"] in finished.stdout
    assert "default 10; an integer >= 1" in finished.stdout


JWT = {"TODO_AUTH": "jwt", "TODO_JWT_ISSUER": "https://auth.example", "TODO_JWT_AUDIENCE": "https://auth.example"}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TODO_AUTH": "on"}, "TODO_AUTH"),
        ({**JWT}, "TODO_JWT_JWKS_URL"),
        ({**JWT, "TODO_JWT_SECRET": "too short"}, "TODO_JWT_SECRET"),
        ({**JWT, "TODO_JWT_SECRET": "s" * 32, "TODO_JWT_JWKS_URL": "https://auth.example/jwks"}, "not both"),
        ({**JWT, "TODO_JWT_ISSUER": "", "TODO_JWT_SECRET": "s" * 32}, "TODO_JWT_ISSUER"),
        ({**JWT, "TODO_JWT_AUDIENCE": "", "TODO_JWT_SECRET": "s" * 32}, "TODO_JWT_AUDIENCE"),
        ({**JWT, "TODO_JWT_SECRET": "s" * 32, "TODO_JWT_ALGORITHMS": "RS256"}, "TODO_JWT_ALGORITHMS"),
        ({**JWT, "TODO_JWT_JWKS_URL": "https://auth.example/jwks", "TODO_JWT_ALGORITHMS": "HS256"}, "HS256"),
        ({**JWT, "TODO_JWT_JWKS_URL": "https://auth.example/jwks", "TODO_JWT_ALGORITHMS": "none"}, "'none'"),
        ({**JWT, "TODO_JWT_JWKS_URL": "file:///etc/keys.json"}, "TODO_JWT_JWKS_URL"),
        ({**JWT, "TODO_JWT_SECRET": "s" * 32, "TODO_JWT_ALGORITHMS": "HS256,HS512"}, "HS512"),
    ],
    ids=[
        "unknown mode",
        "no keys",
        "short secret",
        "two key sources",
        "no issuer",
        "no audience",
        "RS256 with a secret",
        "HS256 with a JWKS",
        "alg none",
        "JWKS not over HTTP",
        "secret too short for HS512",
    ],
)
def test_a_bad_authentication_setting_ends_serve_with_one_line_and_status_78(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    finished = run(["serve", "--port", str(free_port())], env, tmp_path)

    assert finished.returncode == EX_CONFIG
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    assert named in lines[0]
    assert "s" * 32 not in finished.stderr  # a secret is never echoed
    assert not (tmp_path / "todo.sqlite3").exists()


HOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TODO_EVENTS_NATS_URL": "http://127.0.0.1:4222"}, "TODO_EVENTS_NATS_URL"),
        ({"TODO_EVENTS_NATS_URL": "nats://user:hunter2-hunter2@127.0.0.1 4222"}, "TODO_EVENTS_NATS_URL"),
        ({"TODO_EVENTS_KAFKA_BROKERS": "kafka"}, "TODO_EVENTS_KAFKA_BROKERS"),
        ({"TODO_EVENTS_WEBHOOK_URLS": "https://hooks.example/todo"}, "TODO_EVENTS_WEBHOOK_SECRET"),
        ({"TODO_EVENTS_WEBHOOK_SECRET": HOOK_SECRET}, "TODO_EVENTS_WEBHOOK_URLS"),
        (
            {"TODO_EVENTS_WEBHOOK_URLS": "ftp://x", "TODO_EVENTS_WEBHOOK_SECRET": HOOK_SECRET},
            "TODO_EVENTS_WEBHOOK_URLS",
        ),
        ({"TODO_EVENTS_WEBHOOK_URLS": "https://h.example", "TODO_EVENTS_WEBHOOK_SECRET": "whsec_c2hvcnQ="}, "SECRET"),
        ({"TODO_EVENTS_DAPR_URL": "localhost:3500"}, "TODO_EVENTS_DAPR_URL"),
        ({"TODO_EVENTS_DAPR_TOPIC": "task events"}, "TODO_EVENTS_DAPR_TOPIC"),
    ],
    ids=[
        "NATS over http",
        "NATS URL with a space",
        "broker without port",
        "hooks without secret",
        "secret without hooks",
        "hook not over HTTP",
        "short hook secret",
        "Dapr without scheme",
        "topic with space",
    ],
)
def test_a_bad_event_sink_setting_ends_serve_with_one_line_and_status_78(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    finished = run(["serve", "--port", str(free_port())], env, tmp_path)

    assert finished.returncode == EX_CONFIG
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    assert named in lines[0]
    assert "hunter2" not in finished.stderr
    assert HOOK_SECRET not in finished.stderr
    assert not (tmp_path / "todo.sqlite3").exists()


def test_todo_events_makes_a_webhook_secret_and_drops_a_sink_only_when_it_is_known(tmp_path: Path) -> None:
    made = run(["events", "webhook-secret"], {}, tmp_path)
    secret = made.stdout.strip()
    assert made.returncode == 0
    Webhook(secret)  # as a consumer reads it
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_webhook_secret() != new_webhook_secret()

    unknown = run(["events", "drop-sink", "nats"], {}, tmp_path)
    assert unknown.returncode == 65
    assert "no sink named 'nats'" in unknown.stderr
    with sqlite3.connect(tmp_path / "todo.sqlite3") as connection:
        connection.execute("INSERT INTO event_sinks VALUES ('nats', 7)")
    assert run(["events", "drop-sink", "nats"], {}, tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "todo.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM event_sinks").fetchone() == (0,)
