"""The world a hostile-input run happens in: victims, an attacker with tasks of its own, cursors, snapshots.

The victims' tasks are created through the API before the run; the attacker (the path owner of
nearly every request) has a pool of tasks that requests aim at, replaced when one is deleted, and
real cursors of every sort. A snapshot is everything a victim can read, to compare before and after.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from litestar.testing import TestClient

from entrypoints.app import create_app
from entrypoints.settings import Settings
from tests.property.wire import Answer, Hostile, exchange

VICTIMS = ("victim-7f3a", "vïctim ✓ 名前")
ATTACKER = "mallory"
POOL_SIZE = 8  # the attacker's own tasks that requests aim at; one deleted is replaced
VICTIM_TASKS: list[dict[str, Any]] = [
    {"title": "Pay rent", "description": "before the 5th", "priority": "high", "tags": ["home", "money"]},
    {"title": "  Call mum  ", "due_at": "2026-12-24T18:00:00+01:00", "completed": True},
    {"title": "Ünïcödé ✓ \u202etxt.exe", "description": "quotes \" ' <b>markup</b> 😀\nnew line", "tags": ["ü"]},
    {"title": "x" * 200, "description": "d" * 1000, "priority": "low", "tags": [f"t{i}" for i in range(20)]},
]
SORTS = ["created", "-created", "updated", "-updated", "due", "-due", "priority", "-priority", "title", "-title"]

# A request aims at the attacker's own tasks through tokens resolved when it is sent (the pool
# changes as tasks are deleted): \x01<pool index>:<spelling>\x01 in the path, \x01etag<i>\x01 in a header.
POOL_TOKEN = re.compile("\x01(\\d+):(\\d+)\x01")
ETAG_TOKEN = re.compile(b"\x01etag(\\d+)\x01")
SPELLINGS: list[Callable[[str], str]] = [
    lambda i: i,
    lambda i: i.upper(),
    lambda i: "{" + i + "}",
    lambda i: "urn:uuid:" + i,
    lambda i: i.replace("-", ""),
    lambda i: i + "%00",
    lambda i: i + "%20",
    lambda i: "%20" + i,
    lambda i: "".join(f"%{ord(c):02X}" for c in i),
    lambda i: i[:-1],
    lambda i: i + "0",
    lambda i: i + "%2F",
    lambda i: i + "%2F..",
    lambda i: i.replace("-", "%2D"),
    lambda i: i.replace("-", "%E2%80%90"),
]


@dataclass
class World:
    client: TestClient
    victim_tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # owner -> tasks as created
    victim_ids: list[str] = field(default_factory=list)
    victim_etags: list[str] = field(default_factory=list)
    pool: list[str] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)  # sort -> a real cursor of `?sort=<sort>&limit=1`

    def _owner_url(self, owner: str) -> str:
        return f"/api/{quote(owner, safe='')}/tasks"

    def resolve(self, plan: Hostile) -> tuple[Hostile, int | None]:
        """The request with its tokens replaced, and the pool index its path aims at (if any)."""
        aimed = POOL_TOKEN.search(plan.raw_path)
        raw_path = POOL_TOKEN.sub(lambda m: SPELLINGS[int(m[2])](self.pool[int(m[1])]), plan.raw_path)
        headers = []
        for name, value in plan.headers:
            if ETAG_TOKEN.search(value):
                task_id = self.pool[int(ETAG_TOKEN.search(value)[1])]  # type: ignore[index]
                current = self.client.get(f"{self._owner_url(ATTACKER)}/{task_id}").headers.get("etag", '"0"')
                value = ETAG_TOKEN.sub(current.encode(), value)
            headers.append((name, value))
        return replace(plan, raw_path=raw_path, headers=tuple(headers)), int(aimed[1]) if aimed else None

    def send(self, plan: Hostile) -> tuple[Hostile, Answer]:
        request, aimed = self.resolve(plan)
        answer = self.client.blocking_portal.call(exchange, self.client.app, request)
        if aimed is not None and request.method.upper() == "DELETE" and answer.status == 204:
            self.pool[aimed] = create_task(self.client, ATTACKER, {"title": "replacement"})["id"]
        return request, answer

    def snapshot(self) -> dict[str, Any]:
        """Everything a victim can read: the list, and each task with its ETag."""
        state: dict[str, Any] = {}
        for owner in VICTIMS:
            listing = self.client.get(self._owner_url(owner), params={"limit": 500})
            state[f"GET {owner} list"] = (listing.status_code, listing.json())
            for task in self.victim_tasks[owner]:
                answer = self.client.get(f"{self._owner_url(owner)}/{task['id']}")
                state[f"GET {owner} {task['id']}"] = (answer.status_code, answer.headers.get("etag"), answer.json())
        return state


def create_task(client: TestClient, owner: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    answer = client.post(f"/api/{quote(owner, safe='')}/tasks", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


@contextmanager
def world_on(database_url: str) -> Iterator[World]:
    with TestClient(create_app(Settings(database_url=database_url, access_log=False))) as client:
        world = World(client)
        for owner in VICTIMS:
            tasks = [create_task(client, owner, body, f"victim-key-{i}") for i, body in enumerate(VICTIM_TASKS)]
            world.victim_tasks[owner] = tasks
            world.victim_ids += [task["id"] for task in tasks]
            answer = client.patch(f"{world._owner_url(owner)}/{tasks[0]['id']}", json={"priority": "medium"})
            assert answer.status_code == 200, answer.text  # one more write, so that not every ETag is "1"
        world.victim_etags = sorted(
            client.get(f"{world._owner_url(o)}/{t['id']}").headers["etag"]
            for o in VICTIMS
            for t in world.victim_tasks[o]
        )
        # The attacker's tasks, created with the victims' idempotency keys (keys belong to their owner).
        world.pool = [
            create_task(client, ATTACKER, {**VICTIM_TASKS[i % 4], "title": f"mine {i}"}, f"victim-key-{i}")["id"]
            for i in range(POOL_SIZE)
        ]
        for sort in SORTS:
            link = client.get(world._owner_url(ATTACKER), params={"sort": sort, "limit": 1}).headers.get("link", "")
            found = re.search(r"cursor=([^&>]+)", link)
            assert found, f"no cursor handed out for sort={sort}: {link!r}"
            world.cursors[sort] = found[1]
        yield world
