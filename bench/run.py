"""Drive the real service, the framework floor and the bare reference with wrk, in turn, and print
what was measured.

python -m bench.run --help (or bash bench/run.sh, which installs what it needs first).
"""

import argparse
import contextlib
import json
import os
import platform
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCENARIOS = ["list", "get", "toggle", "create", "mixed"]
USERS, TASKS_PER_USER = 50, 20


@dataclass
class Measured:
    requests: int = 0
    seconds: float = 0.0
    non2xx: int = 0
    socket_errors: int = 0
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    round_rps: list[float] = field(default_factory=list)

    def add(self, result: dict[str, int]) -> None:
        self.requests += result["requests"]
        self.seconds += result["duration_us"] / 1e6
        self.non2xx += result["non2xx"]
        self.socket_errors += result["socket_errors"]
        self.p50_ms.append(result["p50_us"] / 1000)
        self.p99_ms.append(result["p99_us"] / 1000)
        self.round_rps.append(result["requests"] / (result["duration_us"] / 1e6))

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def round_ratios(one: Measured, other: Measured) -> list[float]:
    """Each round's rate of `one` over `other`'s in the same round."""
    return [a / b if b else 0.0 for a, b in zip(one.round_rps, other.round_rps, strict=True)]


def round_shares(one: Measured, other: Measured) -> str:
    """The lowest and highest of the rounds' ratios: how far the machine moved them during this run."""
    ratios = round_ratios(one, other)
    return f"{min(ratios):.0%} to {max(ratios):.0%}" if ratios else "-"


def fresh_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{server_url.rpartition('/')[0]}/{name}"


def start(command: list[str], port: int, env: dict[str, str], timeout: float = 30) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/nobody/tasks", timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit(
                    f"{command[0]} exited: {process.stderr.read().decode() if process.stderr else ''}"
                ) from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{' '.join(command)} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def service_command(port: int, workers: int = 1, todo: str = str(BIN / "todo")) -> list[str]:
    return [todo, "serve", "--port", str(port), "--workers", str(workers), "--no-access-log"]


def serve_service(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return start(service_command(port, workers), port, env)


# The bare reference per store, and the framework floor (Litestar, either store).
REFERENCES = {
    ("bare", "postgres"): "bench.reference:app",
    ("bare", "sqlite"): "bench.reference_sqlite:app",
    ("floor", "postgres"): "bench.reference_litestar:app",
    ("floor", "sqlite"): "bench.reference_litestar:app",
}


def reference_command(port: int, store: str = "postgres", kind: str = "bare") -> list[str]:
    app = REFERENCES[kind, store]
    return [str(BIN / "uvicorn"), app, "--port", str(port), "--no-access-log", "--log-level", "warning"]


def serve_reference(
    port: int, env: dict[str, str], store: str = "postgres", kind: str = "bare"
) -> subprocess.Popen[bytes]:
    return start(reference_command(port, store, kind), port, env)


def seed(port: int, tasks_file: Path) -> None:
    lines = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for user in range(USERS):
            for number in range(TASKS_PER_USER):
                body = {"title": f"task {number} of user {user}", "description": "seeded", "completed": number % 3 == 0}
                response = client.post(f"/api/user-{user}/tasks", json=body)
                response.raise_for_status()
                lines.append(f"user-{user} {response.json()['id']}")
    tasks_file.write_text("\n".join(lines) + "\n")


def wrk(
    port: int, scenario: str, seconds: int, connections: int, tasks_file: Path, tokens_file: Path | None = None
) -> dict[str, int]:
    env = os.environ | {"SCENARIO": scenario, "TASKS_FILE": str(tasks_file)}
    if tokens_file is not None:
        env["TOKENS_FILE"] = str(tokens_file)
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(ROOT / "bench" / "scenario.lua"),
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result_line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(result_line.removeprefix("RESULT "))


def warm_up(port: int, connections: int, tasks_file: Path, tokens_file: Path | None = None) -> None:
    """A few seconds of `mixed`: the pools filled and the statements prepared before anything is measured."""
    wrk(port, "mixed", 3, connections, tasks_file, tokens_file)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        found.append((int(stat.parent.name), int(text.rpartition(")")[2].split()[1]), name))
    return found


def cpu_by_role(service_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the service (with its worker processes) and by Postgres."""
    processes = _processes()
    tree, grew = {service_pid}, True
    while grew:
        children = {pid for pid, parent, _ in processes if parent in tree} - tree
        tree |= children
        grew = bool(children)
    totals = {"service": 0.0, "postgres": 0.0}
    for pid, _, name in processes:
        role = "service" if pid in tree else "postgres" if name == "postgres" else None
        if role:
            with contextlib.suppress(OSError):  # the process is gone
                totals[role] += _cpu_seconds(pid)
    return totals


def _waited_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished wrk runs; the servers still run
    return usage.ru_utime + usage.ru_stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="A B rounds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--scenarios", nargs="+", default=SCENARIOS, choices=SCENARIOS)
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--skip-workers", action="store_true", help="skip the 1 vs 2 worker comparison")
    parser.add_argument("--skip-auth", action="store_true", help="skip TODO_AUTH=jwt against off")
    args = parser.parse_args()
    for store in ("postgres", "sqlite") if args.store == "both" else (args.store,):
        run_store(store, args)


def database_url(store: str) -> str:
    """A fresh, empty database of that store for this run."""
    if store == "sqlite":
        return f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    return fresh_database(server_url, "todo_bench")


def in_turn(
    targets: dict[str, int],
    scenarios: list[str],
    args: argparse.Namespace,
    tasks_file: Path,
    tokens_file: Path | None = None,
    *,
    label: str,
) -> dict[str, dict[str, Measured]]:
    """Each scenario on each target (name: port), the targets in turn in every round, after a warm-up."""
    for port in targets.values():
        warm_up(port, args.connections, tasks_file, tokens_file)
    results: dict[str, dict[str, Measured]] = {}
    for scenario in scenarios:
        results[scenario] = {name: Measured() for name in targets}
        for _ in range(args.rounds):
            for name, port in targets.items():
                measured = wrk(port, scenario, args.duration, args.connections, tasks_file, tokens_file)
                results[scenario][name].add(measured)
                print(
                    f"  {label} {scenario:7} {name:9} {results[scenario][name].rps:8.0f} req/s so far", file=sys.stderr
                )
    return results


def run_store(store: str, args: argparse.Namespace) -> None:
    env = os.environ | {"DATABASE_URL": database_url(store)}
    service_port, floor_port, bare_port = 8801, 8804, 8802
    tasks_file = Path(tempfile.mkdtemp()) / "tasks.txt"

    service = serve_service(service_port, 1, env)
    try:
        seed(service_port, tasks_file)  # the service migrates the database; the references then share it
        others = [
            serve_reference(port, env, store, kind) for kind, port in (("floor", floor_port), ("bare", bare_port))
        ]
        try:
            targets = {"service": service_port, "floor": floor_port, "reference": bare_port}
            results = in_turn(targets, args.scenarios, args, tasks_file, label=store)
            memory = rss_mib(service.pid)
        finally:
            for other in others:
                stop(other)
    finally:
        stop(service)

    workers: dict[int, dict[str, Measured]] = {}
    busy: dict[int, dict[str, float]] = {}
    if not args.skip_workers:
        for count in (1, 2):
            service = serve_service(service_port, count, env)
            try:
                warm_up(service_port, args.connections, tasks_file)
                workers[count] = {"mixed": Measured(), "create": Measured()}
                before, wrk_before, started = cpu_by_role(service.pid), _waited_children_cpu(), time.monotonic()
                workers[count]["mixed"].add(wrk(service_port, "mixed", args.duration, args.connections, tasks_file))
                after, elapsed = cpu_by_role(service.pid), time.monotonic() - started
                busy[count] = {role: (after[role] - before[role]) / elapsed for role in after}
                busy[count]["wrk"] = (_waited_children_cpu() - wrk_before) / elapsed
                # Writes alone: with several workers they share one SQLite file's write lock.
                workers[count]["create"].add(wrk(service_port, "create", args.duration, args.connections, tasks_file))
            finally:
                stop(service)

    report(store, results, workers, busy, memory, args)
    if not args.skip_auth:
        report_auth(store, compare_auth(env, args, tasks_file), args)


AUTH_SCENARIOS = ["get", "list", "mixed"]


def compare_auth(env: dict[str, str], args: argparse.Namespace, tasks_file: Path) -> dict[str, dict[str, Measured]]:
    """The service with TODO_AUTH=jwt against itself with it off, alternately, each user sending a
    token of their own (HS256 from a shared secret; the service verifies each token once, then
    answers from its cache of verified tokens, so the algorithm only counts on a token's first use)."""
    secret = secrets.token_urlsafe(32)
    issuer = "https://auth.bench.example"
    on_env = env | {
        "TODO_AUTH": "jwt",
        "TODO_JWT_SECRET": secret,
        "TODO_JWT_ISSUER": issuer,
        "TODO_JWT_AUDIENCE": issuer,
    }
    expires = int(time.time()) + 24 * 3600
    users = [f"user-{n}" for n in range(USERS)] + [f"writer-{n}" for n in range(1, 51)]
    tokens_file = tasks_file.with_name("tokens.txt")
    tokens_file.write_text(
        "".join(
            f"{user} {jwt.encode({'sub': user, 'iss': issuer, 'aud': issuer, 'exp': expires}, secret)}\n"
            for user in users
        )
    )
    off_port, on_port = 8801, 8803
    off, on = serve_service(off_port, 1, env), serve_service(on_port, 1, on_env)
    try:
        scenarios = [s for s in args.scenarios if s in AUTH_SCENARIOS]
        return in_turn({"off": off_port, "on": on_port}, scenarios, args, tasks_file, tokens_file, label="auth")
    finally:
        stop(off)
        stop(on)


def report_auth(store: str, results: dict[str, dict[str, Measured]], args: argparse.Namespace) -> None:
    print(f"\n{store}: TODO_AUTH=jwt against off, alternately, {args.rounds} x {args.duration} s each, one worker\n")
    print(
        "| scenario | off req/s | jwt req/s | jwt / off | rounds' ratios | off p50 / p99 ms | jwt p50 / p99 ms | non-2xx |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for scenario, measured in results.items():
        off, on = measured["off"], measured["on"]
        print(
            f"| {scenario} | {off.rps:,.0f} | {on.rps:,.0f} | {on.rps / off.rps:.0%} | {round_shares(on, off)} "
            f"| {max(off.p50_ms):.1f} / {max(off.p99_ms):.1f} | {max(on.p50_ms):.1f} / {max(on.p99_ms):.1f} "
            f"| {off.non2xx + off.socket_errors}, {on.non2xx + on.socket_errors} |"
        )


def report(
    store: str,
    results: dict[str, dict[str, Measured]],
    workers: dict[int, dict[str, Measured]],
    busy: dict[int, dict[str, float]],
    memory: float,
    args: argparse.Namespace,
) -> None:
    print(
        f"\n{store}: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {platform.machine()}, "
        f"wrk -t1 -c{args.connections}, {args.rounds} x {args.duration} s per target and scenario, one worker\n"
    )
    print(
        "| scenario | service req/s | floor req/s | reference req/s | service / floor | floor / reference "
        "| service / reference | rounds' service / floor | p99 ms: service, floor, reference | non-2xx |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for scenario, measured in results.items():
        s, f, r = measured["service"], measured["floor"], measured["reference"]
        rounds = round_ratios(s, f)
        failed = sum(m.non2xx + m.socket_errors for m in (s, f, r))
        print(
            f"| {scenario} | {s.rps:,.0f} | {f.rps:,.0f} | {r.rps:,.0f} | {statistics.median(rounds):.0%} "
            f"| {statistics.median(round_ratios(f, r)):.0%} | {statistics.median(round_ratios(s, r)):.0%} "
            f"| {', '.join(f'{ratio:.0%}' for ratio in rounds)} "
            f"| {max(s.p99_ms):.1f}, {max(f.p99_ms):.1f}, {max(r.p99_ms):.1f} | {failed} |"
        )
    if workers:
        database = "Postgres" if store == "postgres" else "(SQLite runs in the service)"
        print(
            "\n| `todo serve --workers` | mixed req/s | p99 ms | create req/s | p99 ms | non-2xx "
            f"| mixed, CPU busy: service / {database} / wrk (cores) |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for count, runs in workers.items():
            mixed, create, cpu = runs["mixed"], runs["create"], busy[count]
            failed = sum(run.non2xx + run.socket_errors for run in runs.values())
            print(
                f"| {count} | {mixed.rps:,.0f} | {max(mixed.p99_ms):.1f} | {create.rps:,.0f} | {max(create.p99_ms):.1f} "
                f"| {failed} | {cpu['service']:.2f} / {cpu['postgres']:.2f} / {cpu['wrk']:.2f} |"
            )
    print(f"\nService resident memory after the run (one worker): {memory:.0f} MiB")


if __name__ == "__main__":
    main()
