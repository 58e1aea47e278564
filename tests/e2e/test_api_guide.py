"""The API guide's examples (docs/api.md), run as written against the real `todo serve`: the commands
of each `sh` block in order, on a task of the block's own, whose id replaces the guide's; a status the guide shows (`# HTTP/1.1 400
...`, `# 204`) must be the one answered, and every other command must succeed."""

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import Serve, Server

pytestmark = pytest.mark.e2e

GUIDE = Path(__file__).parents[2] / "docs" / "api.md"
GUIDE_ID = "0b9e8a54-8d0e-4f2a-9a43-2d7f3c1e5b10"
SERVE = "bash scripts/serve.sh"


def examples() -> list[list[tuple[str, int | None]]]:
    """Each block's commands, each with the status the guide shows for it (None: any success)."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.DOTALL):
        commands: list[tuple[str, int | None]] = []
        for line in _lines(re.sub(r"\\\n\s*", "", block)):
            shown = re.match(r"#\s*HTTP/1\.1 (\d{3})", line)
            if shown and commands:
                commands[-1] = (commands[-1][0], int(shown[1]))
            elif line.strip() and not line.startswith("#"):
                inline = re.search(r"#\s*(\d{3})\s*$", line)
                commands.append((re.sub(r"\s+#.*$", "", line), int(inline[1]) if inline else None))
        found.append(commands)
    return found


def _lines(text: str) -> list[str]:
    """The text's lines, a quoted argument that spans lines (a JSON body) kept in one."""
    lines: list[str] = []
    for line in text.splitlines():
        if lines and lines[-1].count("'") % 2:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


def run(command: str, address: str, task_id: str) -> tuple[int, str]:
    command = command.replace("http://127.0.0.1:8000", f"http://{address}").replace("localhost:8000", address)
    command = command.replace(GUIDE_ID, task_id).replace("curl -N", "curl -N -m 1")  # a second of a live stream
    finished = subprocess.run(
        ["bash", "-c", f"{command} -s -w '\\n%{{http_code}}'"], capture_output=True, text=True, timeout=30, check=False
    )
    return finished.returncode, finished.stdout


def new_task(server: Server) -> str:
    """A task of the guide's user, at version 1, for one block's commands."""
    created = httpx.post(f"{server.base_url}/api/alice/tasks", json={"title": "Buy milk", "tags": ["errands"]})
    return str(created.json()["id"])


def test_every_example_of_the_api_guide_answers_as_it_says(serve: Serve, tmp_path: Path) -> None:
    blocks = examples()
    assert sum(len(block) for block in blocks) >= 20
    plain = serve(f"sqlite:///{tmp_path / 'tasks.sqlite3'}")
    for block in blocks:
        server, task_id = plain, new_task(plain)
        for command, shown in block:
            if command.endswith(SERVE):  # the block's own server, with the settings before the command
                settings = dict(re.findall(r"(TODO_\w+)=(\S+)", command))
                server = serve(f"sqlite:///{tmp_path / 'other.sqlite3'}", env=settings)
                task_id = new_task(server)
                continue
            status, output = run(command, server.base_url.removeprefix("http://"), task_id)
            answered = int(output.splitlines()[-1])
            assert status in (0, 28), (command, output)  # 28: curl's own time limit, on the live stream
            if shown is not None:
                assert answered == shown, (command, output)
            else:
                assert 200 <= answered < 400, (command, output)
