"""The README's recurring tasks and reminders, run as written against the real `todo serve` (only the
address and the TASK_ID the first answer gives are filled in)."""

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import Serve
from tests.e2e.test_readme import README, run

pytestmark = pytest.mark.e2e


def commands() -> list[str]:
    section = README.read_text().split("## Recurring tasks and reminders", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = re.sub(r"\\\n\s*", "", block).splitlines()
    return [re.sub(r"\s+#.*$", "", line) for line in lines if line.strip()]


def test_the_readmes_series_and_reminder_do_what_it_says(serve: Serve, tmp_path: Path) -> None:
    server = serve(f"sqlite:///{tmp_path / 'tasks.sqlite3'}")
    address = server.base_url.removeprefix("http://")
    create, complete, listing, remind = commands()

    status, created = run(create, address)
    assert (status, created.splitlines()[-1]) == (0, "201"), created
    task_id = re.search(r'"id":"([0-9a-f-]{36})"', created)
    assert task_id is not None
    status, completed = run(complete.replace("TASK_ID", task_id[1]), address)
    next_id = re.search(r'link: </api/alice/tasks/([0-9a-f-]{36})>; rel="next-occurrence"', completed, re.IGNORECASE)
    assert next_id is not None, completed
    status, listed = run(listing, address)
    assert listed.splitlines()[-1] == "200"
    assert [
        (t["id"], t["due_at"], t["remind_at"]) for t in httpx.Response(200, content=listed.rsplit("\n", 1)[0]).json()
    ] == [
        (task_id[1], "2026-12-07T08:00:00Z", "2026-12-07T07:45:00Z"),
        (next_id[1], "2026-12-14T08:00:00Z", "2026-12-14T07:45:00Z"),
    ]
    status, reminded = run(remind, address)
    assert reminded.splitlines()[-1] == "201"

    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        events = httpx.get(f"{server.base_url}/api/alice/changes").json()["events"]
        # The meeting's reminders fire too once their day has passed: only the bank's is certain.
        if fired := [
            e for e in events if e["type"] == "com.todo.task.reminder" and e["data"]["title"] == "Call the bank"
        ]:
            break
        time.sleep(0.1)
    assert [e["late"] for e in fired] == [True]
