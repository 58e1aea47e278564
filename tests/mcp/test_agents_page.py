"""The Python client that docs/agents.md shows, run as written against `todo mcp` on a throwaway store."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.servers import todo_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]


def test_the_python_client_of_the_agents_page_adds_and_lists_a_task() -> None:
    page = (ROOT / "docs" / "agents.md").read_text()
    (example,) = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)

    ran = subprocess.run(
        [sys.executable, "-c", example],
        cwd=ROOT,
        env=todo_env("memory://"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    task_id, titles = ran.stdout.strip().split(" ", 1)
    assert re.fullmatch(r"[0-9a-f-]{36}", task_id)
    assert titles == "['Call the bank']"
