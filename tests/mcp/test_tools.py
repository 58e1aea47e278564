"""Every tool, every error and an ownership attempt, through the SDK's client, over stdio and streamable
HTTP on each store; and a task made over MCP is seen over REST, and the reverse."""

import uuid
from typing import Any

import httpx
import pytest

from tests.mcp.clients import Tools, call, listed, refused, rest_tasks

pytestmark = pytest.mark.anyio

TOOL_NAMES = {"add_task", "list_tasks", "complete_task", "delete_task", "update_task"}


async def test_the_tools_are_announced_with_schemas_an_agent_can_act_on(tools: Tools) -> None:
    async with tools.client() as client:
        announced = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert set(announced) == TOOL_NAMES
    add = announced["add_task"].input_schema
    assert add["type"] == "object"
    assert add["additionalProperties"] is False
    assert set(add["required"]) == {"user_id", "title"}
    assert {"description", "priority", "due_at", "tags"} <= set(add["properties"])
    listing = announced["list_tasks"].input_schema["properties"]
    assert set(listing["status"]["enum"]) == {"all", "pending", "completed"}
    assert {"due_date", "-due_date"} <= set(listing["sort"]["enum"])
    assert listing["limit"]["maximum"] == 500
    for name in TOOL_NAMES - {"add_task", "list_tasks"}:
        schema = announced[name].input_schema
        assert {"user_id", "task_id"} <= set(schema["required"])
        assert "never integers" in schema["properties"]["task_id"]["description"]
    assert all("string" in (tool.description or "") for tool in announced.values())


async def test_every_tool_does_what_the_plan_says(tools: Tools, user: str) -> None:
    async with tools.client() as client:
        added = await call(client, "add_task", user_id=user, title="Buy milk", description="2 litres", tags=["shop"])
        task_id = added["task_id"]
        first_listing = await listed(client, user_id=user)
        completed = await call(client, "complete_task", user_id=user, task_id=task_id)
        again = await call(client, "complete_task", user_id=user, task_id=task_id)
        updated = await call(
            client,
            "update_task",
            user_id=user,
            task_id=task_id,
            title="Buy oat milk",
            due_at="2026-06-01T09:00:00+02:00",
        )
        after_update = await listed(client, user_id=user, status="completed")
        deleted = await call(client, "delete_task", user_id=user, task_id=task_id)
        remaining = await listed(client, user_id=user)

    assert added == {"task_id": task_id, "status": "created", "title": "Buy milk"}
    assert str(uuid.UUID(task_id)) == task_id
    assert [(t["id"], t["title"], t["description"], t["tags"], t["completed"]) for t in first_listing] == [
        (task_id, "Buy milk", "2 litres", ["shop"], False)
    ]
    assert completed == again == {"task_id": task_id, "status": "completed", "title": "Buy milk"}
    assert updated == {"task_id": task_id, "status": "updated", "title": "Buy oat milk"}
    assert [(t["title"], t["completed"], t["due_at"]) for t in after_update] == [
        ("Buy oat milk", True, "2026-06-01T07:00:00Z")
    ]
    assert deleted == {"task_id": task_id, "status": "deleted", "title": "Buy oat milk"}
    assert remaining == []


async def test_list_tasks_filters_sorts_and_limits(tools: Tools, user: str) -> None:
    async with tools.client() as client:
        for title, due, priority in [("b", "2026-06-02", "low"), ("a", "2026-06-01", "high"), ("c", None, "high")]:
            await call(
                client, "add_task", user_id=user, title=title, priority=priority, due_at=due and f"{due}T09:00:00Z"
            )
        done = await call(client, "add_task", user_id=user, title="done")
        await call(client, "complete_task", user_id=user, task_id=done["task_id"])

        pending_by_due = await listed(client, user_id=user, status="pending", sort="due_date")
        latest_due_first = await listed(client, user_id=user, status="pending", sort="-due_date", limit=2)
        high = await listed(client, user_id=user, priority="high", sort="title")
        found = await listed(client, user_id=user, q="DON")
        completed = await listed(client, user_id=user, status="completed")

    assert [t["title"] for t in pending_by_due] == ["a", "b", "c"]
    assert [t["title"] for t in latest_due_first] == ["c", "b"]
    assert [t["title"] for t in high] == ["a", "c"]
    assert [t["title"] for t in found] == [t["title"] for t in completed] == ["done"]


ERRORS: dict[str, tuple[str, dict[str, Any], str]] = {
    "unknown task": ("complete_task", {"task_id": str(uuid.uuid4())}, "No task"),
    "an integer-like id": ("delete_task", {"task_id": "42"}, "No task '42' for this user"),
    "unknown argument": ("add_task", {"title": "t", "due_date": "2026-06-01T09:00:00Z"}, "did you mean `due_at`?"),
    "wrong type": ("add_task", {"title": 5}, "title: Expected `str`, got `int`"),
    "missing title": ("add_task", {}, "title: is required"),
    "a status of another API": (
        "list_tasks",
        {"status": "done"},
        "status: 'done' is not allowed: expected one of all,",
    ),
    "blank title": ("add_task", {"title": "   "}, "title: must be 1 to 200 characters"),
    "date without offset": ("add_task", {"title": "t", "due_at": "2026-06-01T09:00:00"}, "due_at"),
    "unknown status": ("list_tasks", {"status": "open"}, "status"),
    "limit beyond 500": ("list_tasks", {"limit": 501}, "<= 500"),
    "user id too long": ("list_tasks", {"user_id": "u" * 129}, "user_id: must be 1 to 128 characters"),
    "a user id no path can name": ("add_task", {"user_id": "..", "title": "t"}, "user_id: `.` and `..` cannot"),
    "a user id with a slash": ("add_task", {"user_id": "a/b", "title": "t"}, "user_id: must not contain `/`"),
    "unknown tool": ("add_todo", {}, "Unknown tool 'add_todo'; the tools are add_task, list_tasks"),
}


async def test_every_error_is_a_tool_error_an_agent_can_act_on_and_the_session_goes_on(tools: Tools, user: str) -> None:
    async with tools.client() as client:
        messages = {
            case: await refused(client, tool, **({"user_id": user} | arguments))
            for case, (tool, arguments, _) in ERRORS.items()
        }
        still_working = await call(client, "add_task", user_id=user, title="after the errors")
        null_title = await refused(client, "update_task", user_id=user, task_id=still_working["task_id"], title=None)
        unchanged = await listed(client, user_id=user)

    for case, (_, _, expected) in ERRORS.items():
        assert expected in messages[case], (case, messages[case])
    assert still_working["status"] == "created"
    assert "title: cannot be null" in null_title
    assert [t["title"] for t in unchanged] == ["after the errors"]


async def test_another_users_task_is_found_by_no_tool(tools: Tools, user: str, other_user: str) -> None:
    async with tools.client() as client:
        mine = await call(client, "add_task", user_id=user, title="mine")
        attempts = [
            await refused(client, tool, user_id=other_user, task_id=mine["task_id"], **extra)
            for tool, extra in [("complete_task", {}), ("update_task", {"title": "stolen"}), ("delete_task", {})]
        ]
        theirs = await listed(client, user_id=other_user)
        kept = await listed(client, user_id=user)

    assert all(f"No task '{mine['task_id']}' for this user ('{other_user}')" in attempt for attempt in attempts)
    assert theirs == []
    assert [(t["title"], t["completed"]) for t in kept] == [("mine", False)]


async def test_rest_and_mcp_see_the_same_tasks(tools: Tools, user: str) -> None:
    if tools.rest_url is None:
        pytest.skip("a memory store lives in its process: no `todo serve` shares `todo mcp`'s tasks")
    async with httpx.AsyncClient(timeout=10) as rest:
        made_over_rest = (await rest.post(f"{tools.rest_url}/api/{user}/tasks", json={"title": "from REST"})).json()
    async with tools.client() as client:
        made_over_mcp = await call(client, "add_task", user_id=user, title="from MCP")
        seen_over_mcp = await listed(client, user_id=user)
        await call(client, "complete_task", user_id=user, task_id=made_over_rest["id"])

    seen_over_rest = await rest_tasks(tools.rest_url, user)
    assert [t["title"] for t in seen_over_mcp] == ["from REST", "from MCP"]
    assert [(t["id"], t["completed"]) for t in seen_over_rest] == [
        (made_over_rest["id"], True),
        (made_over_mcp["task_id"], False),
    ]


async def test_every_tool_declares_the_shape_of_its_answer(tools: Tools) -> None:
    async with tools.client() as client:
        announced = {tool.name: tool for tool in (await client.list_tools()).tools}

    listing = announced["list_tasks"].output_schema
    assert listing is not None
    assert set(listing["required"]) == {"tasks", "next_cursor"}
    assert listing["properties"]["tasks"]["items"] == {"$ref": "#/$defs/TaskOutput"}
    assert "TaskOutput" in listing["$defs"]
    for name in TOOL_NAMES - {"list_tasks"}:
        outcome = announced[name].output_schema
        assert outcome is not None
        assert set(outcome["required"]) == {"task_id", "status", "title"}


async def test_list_tasks_filters_by_completed_as_rest_does_and_pages_with_a_cursor(tools: Tools, user: str) -> None:
    async with tools.client() as client:
        made = [await call(client, "add_task", user_id=user, title=f"t{n}", completed=n % 2 == 1) for n in range(5)]
        done = await listed(client, user_id=user, completed=True)
        pages, cursor = [], None
        while True:
            page = await call(client, "list_tasks", user_id=user, limit=2, **({"cursor": cursor} if cursor else {}))
            pages.append([task["title"] for task in page["tasks"]])
            if (cursor := page["next_cursor"]) is None:
                break
        disagreeing = await refused(client, "list_tasks", user_id=user, status="pending", completed=True)
        forged = await refused(client, "list_tasks", user_id=user, limit=2, cursor="not-a-cursor")

    assert [task["title"] for task in done] == ["t1", "t3"]
    assert pages == [["t0", "t1"], ["t2", "t3"], ["t4"]]
    assert len({task["task_id"] for task in made}) == 5
    assert "status" in disagreeing
    assert "cursor" in forged


async def test_add_task_with_an_idempotency_key_adds_once_however_often_an_agent_retries(
    tools: Tools, user: str
) -> None:
    async with tools.client() as client:
        first = await call(client, "add_task", user_id=user, title="once", idempotency_key="agent-call-1")
        retried = await call(client, "add_task", user_id=user, title="once", idempotency_key="agent-call-1")
        other_body = await refused(client, "add_task", user_id=user, title="another", idempotency_key="agent-call-1")
        kept = await listed(client, user_id=user)

    assert retried == first
    assert "idempotency_key" in other_body
    assert [task["title"] for task in kept] == ["once"]


async def test_an_agent_can_say_remind_me_every_monday_at_nine(tools: Tools, user: str) -> None:
    async with tools.client() as client:
        added = await call(
            client,
            "add_task",
            user_id=user,
            title="Plan the week",
            due_at="2026-03-23T09:00:00+01:00",
            recurrence="FREQ=WEEKLY;BYDAY=MO",
            time_zone="Europe/Berlin",
            remind_before="PT15M",
        )
        recurring = await listed(client, user_id=user, recurring=True)
        completed = await call(client, "complete_task", user_id=user, task_id=added["task_id"])
        pending = await listed(client, user_id=user, status="pending")
        too_often = await refused(
            client, "add_task", user_id=user, title="x", due_at="2026-03-23T09:00:00Z", recurrence="FREQ=MINUTELY"
        )

    assert [(t["recurrence"], t["time_zone"], t["remind_at"]) for t in recurring] == [
        ("FREQ=WEEKLY;BYDAY=MO", "Europe/Berlin", "2026-03-23T07:45:00Z")
    ]
    assert [(t["id"], t["previous_id"], t["due_at"], t["remind_at"]) for t in pending] == [
        (completed["next_task_id"], added["task_id"], "2026-03-30T07:00:00Z", "2026-03-30T06:45:00Z")
    ]
    assert "recurrence: FREQ=MINUTELY is more frequent than once an hour" in too_often
