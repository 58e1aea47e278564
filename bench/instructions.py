"""Instructions per request, counted by valgrind's callgrind: the service against the bare reference.

python -m bench.instructions [--store postgres|sqlite|both] [--requests 400] [--todo PATH]

Wall-clock rates on this shared machine move 10 to 20 points between runs of the same tree; an
instruction count hardly moves (the same tree and requests count the same within about 0.5%,
whatever else the machine runs). Each party runs under callgrind, counting off until it is seeded
and warmed up: per scenario 50 requests warm it up, the counters are zeroed, `--requests` requests go one
after another on one keep-alive connection, and the counters are read: every instruction the
server process ran for them, in all its threads (not the database server's, not the client's).
`share` is the reference's count over the service's, as bench.run's share is the service's rate
over the reference's.

One request at a time on one connection is not wrk's 32: the event loop's cost per request is
higher here than under load, for both parties alike. Use this to compare trees (`--todo` names
another checkout's `todo` command) and to see what a change costs; use bench.run for rates.
"""

import argparse
import os
import random
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.run import BIN, SCENARIOS, database_url, reference_command, seed, service_command, start, stop

WARM_UP = 50
JSON = {"content-type": "application/json"}
CREATE_BODY = b'{"title": "benchmark task", "description": "created under load"}'
Request = tuple[str, str, bytes | None]


def scenario_requests(scenario: str, tasks: list[list[str]], count: int) -> list[Request]:
    """`count` requests of bench/scenario.lua's scenario, in an order fixed by the scenario's name."""
    chosen = random.Random(scenario)

    def one(kind: str) -> Request:
        user, task = chosen.choice(tasks)
        if kind == "list":
            return "GET", f"/api/{user}/tasks", None
        if kind == "get":
            return "GET", f"/api/{user}/tasks/{task}", None
        if kind == "toggle":
            return "PATCH", f"/api/{user}/tasks/{task}/complete", None
        return "POST", f"/api/writer-{chosen.randint(1, 50)}/tasks", CREATE_BODY

    def mixed() -> str:
        roll = chosen.randint(1, 100)
        return "list" if roll <= 70 else "get" if roll <= 85 else "toggle" if roll <= 95 else "create"

    return [one(mixed() if scenario == "mixed" else scenario) for _ in range(count)]


@contextmanager
def under_callgrind(command: list[str], port: int, env: dict[str, str]) -> Iterator[Callable[[], int]]:
    """Serve `command` under callgrind; yields a function giving the instructions run since its last call."""
    folder = Path(tempfile.mkdtemp(prefix="callgrind-"))
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={folder}/out"]
    process = start([*valgrind, *command], port, env, timeout=180)
    pid = str(process.pid)

    def since_last() -> int:
        """Dump the counters (which zeroes them) and read the dump's total."""
        subprocess.run(["callgrind_control", "--instr=on", pid], check=True, capture_output=True)
        for old in folder.iterdir():
            old.unlink()
        subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
        text = "".join(dump.read_text() for dump in folder.iterdir())
        return sum(int(line.split()[1]) for line in text.splitlines() if line.startswith("summary:"))

    try:
        yield since_last
    finally:
        stop(process)


def instructions_per_request(port: int, since_last: Callable[[], int], requests: list[Request]) -> float:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=JSON, timeout=60) as client:
        for number, (method, path, body) in enumerate(requests):
            if number == WARM_UP:
                since_last()
            answer = client.request(method, path, content=body)
            if not answer.is_success:  # a failed request is cheap: it must not pass for a fast one
                raise SystemExit(f"{method} {path} answered {answer.status_code}")
    return since_last() / (len(requests) - WARM_UP)


def run_store(store: str, args: argparse.Namespace) -> None:
    env = os.environ | {"DATABASE_URL": database_url(store)}
    service_port, reference_port = 8811, 8812
    tasks_file = Path(tempfile.mkdtemp()) / "tasks.txt"
    counts: dict[str, dict[str, float]] = {}
    with under_callgrind(service_command(service_port, todo=args.todo), service_port, env) as service_count:
        seed(service_port, tasks_file)  # the service migrates the database; the reference then shares it
        tasks = [line.split() for line in tasks_file.read_text().splitlines()]
        with under_callgrind(reference_command(reference_port, store), reference_port, env) as reference_count:
            for scenario in args.scenarios:
                requests = scenario_requests(scenario, tasks, WARM_UP + args.requests)
                counts[scenario] = {
                    "service": instructions_per_request(service_port, service_count, requests),
                    "reference": instructions_per_request(reference_port, reference_count, requests),
                }
    print(f"\n{store}: instructions per request, {args.requests} requests per scenario, `{args.todo}`\n")
    print("| scenario | service | reference | share |")
    print("| --- | ---: | ---: | ---: |")
    for scenario, count in counts.items():
        service, reference = count["service"], count["reference"]
        print(f"| {scenario} | {service / 1000:,.0f}k | {reference / 1000:,.0f}k | {reference / service:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests counted per scenario and party")
    parser.add_argument("--scenarios", nargs="+", default=SCENARIOS, choices=SCENARIOS)
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="postgres")
    parser.add_argument("--todo", default=str(BIN / "todo"), help="the `todo` command to measure")
    args = parser.parse_args()
    for store in ("postgres", "sqlite") if args.store == "both" else (args.store,):
        run_store(store, args)


if __name__ == "__main__":
    main()
