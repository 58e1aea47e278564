"""The Python client that the README shows, run as written against `todo mcp` on a throwaway store."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.servers import todo_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]


def test_the_python_client_of_the_readme_adds_and_lists_a_task(tmp_path: Path) -> None:
    page = (ROOT / "README.md").read_text()
    tour = page.split("## A tour of the API", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```python\n(.*?)```", tour, flags=re.DOTALL)

    # A folder like the repository's (its .venv), with a store of its own: the SDK starts `todo mcp`
    # with an environment of its own, so the service keeps its tasks in the folder's todo.sqlite3.
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    ran = subprocess.run(
        [sys.executable, "-c", example],
        cwd=tmp_path,
        env=todo_env(None),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    task_id, titles = ran.stdout.strip().split(" ", 1)
    assert re.fullmatch(r"[0-9a-f-]{36}", task_id)
    assert titles == "['Call the bank']"
