"""How late reminders fire: `python -m bench.reminders`.

The real `todo serve` (Postgres with two workers, and SQLite with one) gets 200 tasks whose reminders
all fall due within the same minute, spread over it, across 10 owners, each owner followed by an SSE
stream. For every reminder it reports, against the time it was due:
- fired: the `time` of its `com.todo.task.reminder` event (when a scheduler claimed it);
- arrived: when the event reached the owner's stream.
It also counts reminders fired twice or never (both must be 0).
"""

import argparse
import asyncio
import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx

from bench.run import database_url, serve_service, stop

OWNERS = 10
REMINDERS = 200
SPREAD = 60.0  # seconds: every reminder falls due within one minute (`--spread 0`: all at one instant)
LEAD = 5.0  # seconds from the last write to the first reminder
PORT = 8831


async def follow(client: httpx.AsyncClient, owner: str, arrivals: dict[str, list[float]]) -> None:
    """Record when each reminder event reaches the owner's stream, by task id."""
    async with client.stream("GET", f"/api/{owner}/events", timeout=httpx.Timeout(10, read=None)) as response:
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                event = json.loads(line.removeprefix("data:"))
                if event["type"] == "com.todo.task.reminder":
                    arrivals.setdefault(event["subject"], []).append(time.time())


async def measure(base_url: str, spread: float) -> dict[str, object]:
    owners = [f"reminded-{n}" for n in range(OWNERS)]
    arrivals: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        streams = [asyncio.create_task(follow(client, owner, arrivals)) for owner in owners]
        await asyncio.sleep(1.0)
        first = datetime.now(UTC) + timedelta(seconds=LEAD + REMINDERS * 0.02)
        due: dict[str, datetime] = {}
        for n in range(REMINDERS):
            at = first + timedelta(seconds=spread * n / REMINDERS)
            answer = await client.post(
                f"/api/{owners[n % OWNERS]}/tasks", json={"title": f"r{n}", "remind_at": at.isoformat()}
            )
            answer.raise_for_status()
            due[answer.json()["id"]] = at
        await asyncio.sleep(max((max(due.values()) - datetime.now(UTC)).total_seconds(), 0) + 3.0)
        fired: dict[str, list[datetime]] = {}
        for owner in owners:
            events = (await client.get(f"/api/{owner}/changes", params={"limit": 500})).json()["events"]
            for event in events:
                if event["type"] == "com.todo.task.reminder":
                    fired.setdefault(event["subject"], []).append(datetime.fromisoformat(event["time"]))
        for stream in streams:
            stream.cancel()
    fired_late = [(fired[task][0] - at).total_seconds() for task, at in due.items() if task in fired]
    arrived_late = [arrivals[task][0] - at.timestamp() for task, at in due.items() if task in arrivals]
    return {
        "fired": _percentiles(fired_late),
        "arrived": _percentiles(arrived_late),
        "twice": sum(len(times) > 1 for times in fired.values()),
        "never": sum(task not in fired for task in due),
        "not on a stream": sum(task not in arrivals for task in due),
    }


def _percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "none"
    cuts = statistics.quantiles(seconds, n=100)
    return f"p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--spread", type=float, default=SPREAD, help="seconds over which the reminders fall due")
    args = parser.parse_args()
    for store, workers in (("postgres", 2), ("sqlite", 1)):
        if args.store not in (store, "both"):
            continue
        service = serve_service(PORT, workers, dict(os.environ) | {"DATABASE_URL": database_url(store)})
        try:
            result = asyncio.run(measure(f"http://127.0.0.1:{PORT}", args.spread))
        finally:
            stop(service)
        print(
            f"{store} ({workers} worker{'s' if workers > 1 else ''}), {REMINDERS} reminders due within {args.spread:.0f} s:"
        )
        for name, value in result.items():
            print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
