"""Instructions per request, counted by valgrind's callgrind: the service, the framework floor
(bench/reference_litestar.py) and the bare reference.

python -m bench.instructions [--store postgres|sqlite|both] [--requests 400] [--todo PATH]
python -m bench.instructions --store both --write-budget bench/instruction-budget.json
python -m bench.instructions --store sqlite --check bench/instruction-budget.json   (what CI runs)

Wall-clock rates on this shared machine move 10 to 20 points between runs of the same tree; an
instruction count hardly moves (the same tree and requests count the same within about 0.5%,
whatever else the machine runs). Each party runs under callgrind, counting off until it is seeded
and warmed up: per scenario 50 requests warm it up, the counters are zeroed, `--requests` requests go one
after another on one keep-alive connection, and the counters are read: every instruction the
server process ran for them, in all its threads (not the database server's, not the client's).
`floor / service` is the floor's count over the service's, as bench.run's `service / floor` is the
service's rate over the floor's. `--check` fails when the service's or the floor's count of a
scenario is more than 3% over the budget file's; a commit that raises a budget says why.

One request at a time on one connection is not wrk's 32: the event loop's cost per request is
higher here than under load, for both parties alike. Use this to compare trees (`--todo` names
another checkout's `todo` command) and to see what a change costs; use bench.run for rates.
"""

import argparse
import json
import os
import random
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


PARTIES = ("service", "floor", "reference")
Counts = dict[str, dict[str, float]]  # scenario -> party -> instructions per request


def run_store(store: str, args: argparse.Namespace, parties: tuple[str, ...] = PARTIES) -> Counts:
    env = os.environ | {"DATABASE_URL": database_url(store)}
    ports = {"service": 8811, "floor": 8813, "reference": 8812}
    tasks_file = Path(tempfile.mkdtemp()) / "tasks.txt"
    counts: Counts = {scenario: {} for scenario in args.scenarios}
    with under_callgrind(service_command(ports["service"], todo=args.todo), ports["service"], env) as service_count:
        seed(ports["service"], tasks_file)  # the service migrates the database; the references then share it
        tasks = [line.split() for line in tasks_file.read_text().splitlines()]
        requests = {s: scenario_requests(s, tasks, WARM_UP + args.requests) for s in args.scenarios}
        for scenario in args.scenarios:
            counts[scenario]["service"] = instructions_per_request(ports["service"], service_count, requests[scenario])
    for party in parties[1:]:
        command = reference_command(ports[party], store, "floor" if party == "floor" else "bare")
        with under_callgrind(command, ports[party], env) as party_count:
            for scenario in args.scenarios:
                counts[scenario][party] = instructions_per_request(ports[party], party_count, requests[scenario])
    return counts


def report(store: str, counts: Counts, args: argparse.Namespace) -> None:
    print(f"\n{store}: instructions per request (thousands), {args.requests} requests per scenario, `{args.todo}`\n")
    print("| scenario | service | floor | reference | service - floor | floor / service | reference / service |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for scenario, count in counts.items():
        service, floor, reference = count["service"], count["floor"], count["reference"]
        print(
            f"| {scenario} | {service / 1000:,.0f} | {floor / 1000:,.0f} | {reference / 1000:,.0f} "
            f"| {(service - floor) / 1000:,.0f} | {floor / service:.0%} | {reference / service:.0%} |"
        )


def write_budget(path: Path, stores: dict[str, Counts], requests: int) -> None:
    budget = {
        "requests": requests,
        "stores": {
            store: {s: {p: round(c[p]) for p in BUDGETED} for s, c in counts.items()}
            for store, counts in stores.items()
        },
    }
    path.write_text(json.dumps(budget, indent=2) + "\n")


BUDGETED = ("service", "floor")
TOLERANCE = 0.03


def over_budget(budget: dict[str, Any], store: str, counts: Counts) -> list[str]:
    """Each count more than 3% over its budget, as a line; the table of all on stdout."""
    print(f"\n{store}: instructions per request (thousands) against bench/instruction-budget.json\n")
    print("| scenario | party | budget | now | change |\n| --- | --- | ---: | ---: | ---: |")
    over = []
    for scenario, count in counts.items():
        for party in BUDGETED:
            allowed, now = budget["stores"][store][scenario][party], count[party]
            print(f"| {scenario} | {party} | {allowed / 1000:,.0f} | {now / 1000:,.0f} | {now / allowed - 1:+.1%} |")
            if now > allowed * (1 + TOLERANCE):
                over.append(
                    f"{store} {scenario} {party}: {now:,.0f} instructions, {now / allowed - 1:+.1%} over its budget"
                )
    return over


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests counted per scenario and party")
    parser.add_argument("--scenarios", nargs="+", default=SCENARIOS, choices=SCENARIOS)
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="postgres")
    parser.add_argument("--todo", default=str(BIN / "todo"), help="the `todo` command to measure")
    parser.add_argument("--write-budget", type=Path, help="record the service's and the floor's counts there")
    parser.add_argument("--check", type=Path, help="fail when a count is more than 3%% over this budget")
    args = parser.parse_args()
    stores = ("postgres", "sqlite") if args.store == "both" else (args.store,)
    if args.check:
        budget = json.loads(args.check.read_text())
        args.requests = budget["requests"]
        over = [line for store in stores for line in over_budget(budget, store, run_store(store, args, BUDGETED))]
        if over:
            raise SystemExit("\n".join(["Instructions per request over budget:", *over]))
        return
    measured = {store: run_store(store, args) for store in stores}
    for store, counts in measured.items():
        report(store, counts, args)
    if args.write_budget:
        write_budget(args.write_budget, measured, args.requests)


if __name__ == "__main__":
    main()
