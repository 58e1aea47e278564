"""The README's tour of the API, run as written against the real `todo serve` (only the address and the
TASK_ID the first answer gives are filled in): every command must succeed."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.servers import Serve

pytestmark = pytest.mark.e2e

README = Path(__file__).parents[2] / "README.md"


def tour() -> list[str]:
    """The commands of the README's tour, each on one line."""
    block = README.read_text().split("## A tour of the API", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = re.sub(r"\\\n\s*", "", block).splitlines()
    return [re.sub(r"\s+#.*$", "", command) for command in commands if command.strip()]


def run(command: str, address: str) -> tuple[int, str]:
    """The command's exit status and output, its last line the HTTP status curl saw."""
    command = command.replace("localhost:8000", address)
    if " -N " in command:
        command = command.replace("curl -N", "curl -N -m 1")  # a live stream: a second of it
    finished = subprocess.run(
        ["bash", "-c", f"{command} -s -w '\\n%{{http_code}}'"], capture_output=True, text=True, timeout=30, check=False
    )
    return finished.returncode, finished.stdout


def test_every_command_of_the_readmes_tour_succeeds(serve: Serve, tmp_path: Path) -> None:
    server = serve(f"sqlite:///{tmp_path / 'tasks.sqlite3'}")
    address = server.base_url.removeprefix("http://")
    commands = tour()
    assert len(commands) >= 8

    status, created = run(commands[0], address)
    assert status == 0
    assert created.splitlines()[-1] == "201", created
    task_id = re.search(r'"id":"([0-9a-f-]{36})"', created)
    assert task_id is not None, created

    for command in commands[1:]:
        status, output = run(command.replace("TASK_ID", task_id[1]), address)
        assert status in (0, 28), (command, output)  # 28: curl's own time limit, on the live stream
        assert output.splitlines()[-1] in ("200", "204"), (command, output)
