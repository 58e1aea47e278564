"""The real `todo` command with a bad setting: one line on stderr naming it, exit status 78 (EX_CONFIG)."""

import subprocess
from dataclasses import fields
from pathlib import Path

import pytest

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
