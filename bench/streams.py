"""The live event stream under load: many open streams on one worker, and how soon a write reaches them.

python -m bench.streams [--streams 1000] [--writes 40]   (about a minute; needs the local Postgres)

Starts `todo serve` (one worker, Postgres, access log off), opens `--streams` Server-Sent Events
streams of one owner on raw sockets, and reads the service's resident memory before and after
(the memory each stream costs). Then it creates `--writes` tasks of that owner, one every 0.25 s
(so writes fall anywhere in the poller's cycle), and takes, for each write, the time from its
answer to the arrival of its event on each stream: the p50 and p99 over every (write, stream),
and of the time until the last stream had it.
"""

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime

import httpx

from bench.run import fresh_database, rss_mib, serve_service, stop

OWNER = "streamer"


class Reader:
    """One stream on its own connection; notes when each event id arrived."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.ready = asyncio.Event()

    async def follow(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /api/{OWNER}/events HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        await writer.drain()
        while line := await reader.readline():
            if line.startswith(b"retry:"):
                self.ready.set()
            elif line.startswith(b"id: "):
                self.arrived[int(line[4:])] = time.perf_counter()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(port: int, pid: int, streams: int, writes: int) -> None:
    before = rss_mib(pid)
    readers = [Reader() for _ in range(streams)]
    tasks = [asyncio.create_task(r.follow(port)) for r in readers]
    await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in readers)), 60)
    await asyncio.sleep(1.0)
    after = rss_mib(pid)

    answered: dict[int, float] = {}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for n in range(1, writes + 1):
            response = await client.post(f"/api/{OWNER}/tasks", json={"title": f"write {n}"})
            answered[n] = time.perf_counter()
            response.raise_for_status()
            await asyncio.sleep(0.25)
    await asyncio.sleep(1.0)
    for task in tasks:
        task.cancel()

    missing = sum(1 for r in readers for n in answered if n not in r.arrived)
    each = [(r.arrived[n] - answered[n]) * 1000 for r in readers for n in answered if n in r.arrived]
    last = [max(r.arrived.get(n, float("inf")) for r in readers) - answered[n] for n in answered]
    last_ms = [seconds * 1000 for seconds in last]
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores: {streams} streams on one worker, "
        f"{writes} writes"
    )
    print(
        f"- a write's answer to its event on a stream: p50 {statistics.median(each):.1f} ms, "
        f"p99 {percentile(each, 0.99):.1f} ms"
    )
    print(
        f"- a write's answer to its event on all {streams}: p50 {statistics.median(last_ms):.1f} ms, "
        f"p99 {percentile(last_ms, 0.99):.1f} ms"
    )
    print(f"- events missing: {missing}")
    print(
        f"- resident memory {before:.1f} MiB before the streams, {after:.1f} MiB with them: "
        f"{(after - before) * 1024 / streams:.1f} KiB per stream"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=40)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.streams + 256)), hard))

    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    env = os.environ | {
        "DATABASE_URL": fresh_database(server_url, "todo_bench_streams"),
        "TODO_MAX_STREAMS": str(args.streams),
    }
    port = 8803
    service = serve_service(port, 1, env)
    try:
        asyncio.run(measure(port, service.pid, args.streams, args.writes))
    finally:
        stop(service)


if __name__ == "__main__":
    sys.exit(main())
