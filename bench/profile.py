"""Where a request's time goes under load, by package: the service and the framework floor (or, with
`--against bare`, the bare reference) side by side.

python -m bench.profile [--scenario get] [--duration 12] [--store postgres|sqlite] [--against floor|bare]

py-spy comes with the test tools: bash scripts/bootstrap.sh requirements-test.lock

Seeds a fresh database as bench.run does, then drives the service and then the other with wrk
(1 thread, 32 connections) while py-spy samples the server process, and splits each one's busy time
per request by the code it was in: a third-party package, one of the project's modules, or the
standard library's. A sample counts where the interpreter was, so the time of a C call (a socket
write, msgspec, psycopg's C parts) counts to the Python code that made it. Sampling slows both
servers, the service more (its stacks are deeper): read the split, not the request rates.
"""

import argparse
import os
import re
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from bench.run import BIN, ROOT, SCENARIOS, database_url, seed, serve_reference, serve_service, stop, warm_up, wrk

RATE = 250  # samples a second
PORT = 8821
_FILE = re.compile(r"\((.*):\d+\)$")
_PROJECT = ("domain", "application", "adapters", "entrypoints", "bench")


def code_of(frame: str) -> str:
    """`litestar`, `adapters/http/answers`, `stdlib asyncio`... for a py-spy frame `name (path:line)`."""
    found = _FILE.search(frame)
    path = found.group(1) if found else ""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    inside = path.removeprefix(f"{ROOT}/")
    if inside.startswith(_PROJECT):
        return inside.removesuffix(".py")
    if "/lib/python3" in path:
        return "stdlib " + path.split("/lib/python3", 1)[1].split("/")[1].removesuffix(".py")
    return path or "(no Python frame)"


def busy_by_code(raw: Path) -> Counter[str]:
    """Samples per code, each sample counted to its innermost frame."""
    samples: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples[code_of(stack.rpartition(";")[2])] += int(count)
    return samples


def profile(
    process: subprocess.Popen[bytes], port: int, args: argparse.Namespace, tasks: Path
) -> tuple[Counter[str], int]:
    raw = Path(tempfile.mkdtemp()) / "samples.txt"
    warm_up(port, 32, tasks)
    options = f"--pid {process.pid} --rate {RATE} --duration {args.duration} --nonblocking --full-filenames"
    command = [str(BIN / "py-spy"), "record", *options.split(), "--format", "raw", "--output", str(raw)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    requests = wrk(port, args.scenario, args.duration, 32, tasks)["requests"]
    if spy.wait() != 0:
        raise SystemExit("py-spy failed; it needs ptrace (run as root, or with CAP_SYS_PTRACE)")
    return busy_by_code(raw), requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=SCENARIOS, default="get")
    parser.add_argument("--duration", type=int, default=12, help="seconds of load per side")
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--rows", type=int, default=20, help="rows to print")
    parser.add_argument(
        "--against", choices=["floor", "bare"], default="floor", help="the Litestar floor or the bare reference"
    )
    args = parser.parse_args()
    env = os.environ | {"DATABASE_URL": database_url(args.store)}
    tasks = Path(tempfile.mkdtemp()) / "tasks.txt"
    service = serve_service(PORT, 1, env)
    try:
        seed(PORT, tasks)
        measured = {"service": profile(service, PORT, args, tasks)}
        reference = serve_reference(PORT + 1, env, args.store, args.against)
        try:
            measured["reference"] = profile(reference, PORT + 1, args, tasks)
        finally:
            stop(reference)
    finally:
        stop(service)
    report(measured, args)


def report(measured: dict[str, tuple[Counter[str], int]], args: argparse.Namespace) -> None:
    per_request = {
        side: {code: n / RATE / requests * 1e6 for code, n in samples.items()}
        for side, (samples, requests) in measured.items()
    }
    service, reference = per_request["service"], per_request["reference"]
    print(f"\n{args.store}, {args.scenario}, {args.duration} s each, wrk -t1 -c32, py-spy at {RATE} Hz\n")
    for side, (_, requests) in measured.items():
        print(
            f"{side}: {requests / args.duration:,.0f} req/s, {sum(per_request[side].values()):.1f} µs busy per request"
        )
    print(f"\n| code | service µs/request | {args.against} µs/request |\n| --- | ---: | ---: |")
    heaviest = sorted(
        service.keys() | reference.keys(), key=lambda code: -max(service.get(code, 0), reference.get(code, 0))
    )
    for code in heaviest[: args.rows]:
        print(f"| {code} | {service.get(code, 0):.1f} | {reference.get(code, 0):.1f} |")


if __name__ == "__main__":
    main()
