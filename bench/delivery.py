"""What delivering the event log costs, and how fast it goes: `python -m bench.delivery`.

1. The `mixed` load of `bash bench/run.sh` on the service with the NATS sink on and on the service with
   it off, in turn in each round, each on a copy of the same seeded database: the rate of each, and the
   lag of every event delivered during the "on" rounds, from the change (the event's `time`, taken just
   before its transaction commits) to its arrival at a NATS subscriber.
2. The drain: 100,000 events written straight into the database (one INSERT of tasks), then the service
   started with the NATS sink on: the time until the stream holds them all.

It starts its own `nats-server -js` (with a store folder of its own) and uses wrk, as bench/run.sh does.
"""

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import nats
import psycopg
from nats.aio.msg import Msg
from psycopg import sql

from bench.run import BIN, Measured, database_url, in_turn, round_ratios, seed, serve_service, stop

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
NATS_PORT, OFF_PORT, ON_PORT = 4333, 8811, 8812


class Lags:
    """A NATS subscriber on tasks.events.> in a thread of its own: each event's lag while `counting`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.counting = False
        self.seconds: list[float] = []
        self._ready = threading.Event()
        threading.Thread(target=asyncio.run, args=(self._listen(),), daemon=True).start()
        self._ready.wait(10)

    async def _listen(self) -> None:
        client = await nats.connect(self.url)

        async def arrived(message: Msg) -> None:
            if self.counting:
                happened = datetime.fromisoformat(json.loads(message.data)["time"]).timestamp()
                self.seconds.append(time.time() - happened)

        await client.subscribe("tasks.events.>", cb=arrived)
        self._ready.set()
        await asyncio.Event().wait()


def copy_database(url: str, *, name: str) -> str:
    """A copy of the (idle) database under another name, for the other service."""
    if url.startswith("sqlite:///"):
        copy = Path(url.removeprefix("sqlite:///")).with_name(f"{name}.sqlite3")
        shutil.copy(url.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}"
    server, _, original = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(original))
        )
    return f"{server}/{name}"


def under_load(store: str, args: argparse.Namespace, nats_url: str) -> tuple[dict[str, Measured], list[float]]:
    off_url = database_url(store)
    tasks_file = Path(tempfile.mkdtemp()) / "tasks.txt"
    seeding = serve_service(OFF_PORT, 1, os.environ | {"DATABASE_URL": off_url})
    seed(OFF_PORT, tasks_file)
    stop(seeding)
    on_url = copy_database(off_url, name="todo_bench_nats")
    lags = Lags(nats_url)
    off = serve_service(OFF_PORT, 1, os.environ | {"DATABASE_URL": off_url})
    on = serve_service(ON_PORT, 1, os.environ | {"DATABASE_URL": on_url, "TODO_EVENTS_NATS_URL": nats_url})
    try:
        time.sleep(3)  # the seeded events delivered before anything is measured
        lags.counting = True
        results = in_turn({"off": OFF_PORT, "on": ON_PORT}, ["mixed"], args, tasks_file, label=f"{store} NATS")
        time.sleep(2)  # the last events of the last round
        lags.counting = False
    finally:
        stop(off)
        stop(on)
    return results["mixed"], lags.seconds


async def stream_messages(url: str) -> int:
    client = await nats.connect(url)
    try:
        return (await client.jetstream().stream_info("TASKS")).state.messages
    except nats.js.errors.NotFoundError:
        return 0
    finally:
        await client.close()


# The tasks go in as the service would write them; the triggers record one event each.
COLUMNS = "id, user_id, title, completed, created_at, updated_at, priority, tags, version"
POSTGRES_BACKLOG = (
    f"INSERT INTO tasks ({COLUMNS}) SELECT gen_random_uuid(), 'drain-postgres-' || (n %% 100), 'task ' || n, false, now(), "
    "now(), 0, '{}', 1 FROM generate_series(1, %s) AS n"
)
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
SQLITE_BACKLOG = (
    f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?) INSERT INTO tasks ({COLUMNS}) "
    f"SELECT lower(hex(randomblob(16))), 'drain-sqlite-' || (n % 100), 'task ' || n, 0, {_SQLITE_NOW}, {_SQLITE_NOW}, 0, "
    "'[]', 1 FROM g"
)


def drain(store: str, backlog: int, nats_url: str) -> tuple[float, float]:
    """Seconds from the service's start until the stream holds the whole backlog, and the events per second."""
    url = database_url(store)
    subprocess.run([str(BIN / "todo"), "migrate"], env=os.environ | {"DATABASE_URL": url}, check=True)
    if store == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            connection.execute(SQLITE_BACKLOG, (backlog,))
    else:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(POSTGRES_BACKLOG, (backlog,))
    before = asyncio.run(stream_messages(nats_url))
    started = time.monotonic()
    service = serve_service(ON_PORT, 1, os.environ | {"DATABASE_URL": url, "TODO_EVENTS_NATS_URL": nats_url})
    try:
        while asyncio.run(stream_messages(nats_url)) < before + backlog:
            time.sleep(0.2)
        seconds = time.monotonic() - started
    finally:
        stop(service)
    return seconds, backlog / seconds


async def _ignore(error: Exception) -> None:
    return None


async def _refused(url: str) -> bool:
    try:
        await (await nats.connect(url, connect_timeout=1, allow_reconnect=False, error_cb=_ignore)).close()
    except (OSError, nats.errors.Error):
        return True
    return False


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per round and target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backlog", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    server = subprocess.Popen(
        [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(NATS_PORT), "-sd", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nats_url = f"nats://127.0.0.1:{NATS_PORT}"
    while asyncio.run(_refused(nats_url)):
        time.sleep(0.2)
    try:
        for store in ["postgres", "sqlite"] if args.store == "both" else [args.store]:
            measured, lags = under_load(store, args, nats_url)
            seconds, rate = drain(store, args.backlog, nats_url)
            ratios = round_ratios(measured["on"], measured["off"])
            print(
                f"\n{store}, mixed, {args.rounds} x {args.duration} s per target, 1 worker, {args.connections} connections"
            )
            print("| NATS sink | req/s | p50 / p99 ms | non-2xx |")
            print("| --- | ---: | ---: | ---: |")
            for name in ("off", "on"):
                one = measured[name]
                p50, p99 = statistics.median(one.p50_ms), statistics.median(one.p99_ms)
                print(f"| {name} | {one.rps:,.0f} | {p50:.1f} / {p99:.1f} | {one.non2xx} |")
            print(
                f"on / off: {measured['on'].rps / measured['off'].rps:.0%} (rounds: {', '.join(f'{r:.0%}' for r in ratios)})"
            )
            print(
                f"lag, change to NATS subscriber, {len(lags):,} events: p50 {percentile(lags, 0.5) * 1000:.1f} ms, "
                f"p99 {percentile(lags, 0.99) * 1000:.1f} ms, max {max(lags, default=0) * 1000:.1f} ms"
            )
            print(f"drain of {args.backlog:,} events into NATS: {seconds:.1f} s, {rate:,.0f} events/s")
    finally:
        server.terminate()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
