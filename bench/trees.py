"""This tree's service against another checkout's, side by side on the same data:
`python -m bench.trees --other ../main-before/.venv/bin/todo [--store sqlite] [--scenarios list mixed]`.

The other tree's `todo serve` migrates and seeds a database (as bench/run.sh seeds); a copy of it,
migrated on to this tree's head, serves this tree's service, so both hold the same tasks under the
same ids, each in its own tree's schema. Then bench.run's scenarios run on each in turn, every round
(wrk, one worker each), and the rates are compared round by round: what a change costs the request
path, schema included, on a machine whose rates drift between runs.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from bench.run import BIN, SCENARIOS, fresh_database, in_turn, round_ratios, seed, start, stop

OTHER_PORT, THIS_PORT = 8841, 8842


def serve(todo: str, port: int, database: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"DATABASE_URL": database}
    return start([todo, "serve", "--port", str(port), "--workers", "1", "--no-access-log"], port, env)


def copy_of(store: str, database: str) -> str:
    """A copy of the seeded database, for this tree (which migrates it on start)."""
    if store == "sqlite":
        source = Path(database.removeprefix("sqlite:///"))
        copy = source.with_name("this-tree.sqlite3")
        shutil.copy(source, copy)
        return f"sqlite:///{copy}"
    server, name = database.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS todo_bench_this WITH (FORCE)"))
        connection.execute(sql.SQL("CREATE DATABASE todo_bench_this TEMPLATE {}").format(sql.Identifier(name)))
    return f"{server}/todo_bench_this"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", required=True, help="the other checkout's `todo` command")
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--scenarios", nargs="+", default=["list", "mixed"], choices=SCENARIOS)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    if args.store == "sqlite":
        database = f"sqlite:///{Path(tempfile.mkdtemp()) / 'other-tree.sqlite3'}"
    else:
        server = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        database = fresh_database(server, "todo_bench_other")
    tasks_file = Path(tempfile.mkdtemp()) / "tasks.txt"
    other = serve(args.other, OTHER_PORT, database)
    seed(OTHER_PORT, tasks_file)
    stop(other)  # the copy is taken from a closed database
    this_database = copy_of(args.store, database)
    other, this = serve(args.other, OTHER_PORT, database), serve(str(BIN / "todo"), THIS_PORT, this_database)
    try:
        results = in_turn({"other": OTHER_PORT, "this": THIS_PORT}, args.scenarios, args, tasks_file, label=args.store)
    finally:
        stop(this)
        stop(other)

    print(f"\n{args.store}, wrk -t1 -c{args.connections}, {args.rounds} x {args.duration} s each, one worker each\n")
    print("| scenario | other tree req/s | this tree req/s | this / other | rounds | non-2xx |")
    print("| --- | ---: | ---: | ---: | --- | ---: |")
    for scenario, measured in results.items():
        before, after = measured["other"], measured["this"]
        rounds = round_ratios(after, before)
        failed = sum(m.non2xx + m.socket_errors for m in (before, after))
        print(
            f"| {scenario} | {before.rps:,.0f} | {after.rps:,.0f} | {statistics.median(rounds):.0%} "
            f"| {', '.join(f'{ratio:.0%}' for ratio in rounds)} | {failed} |"
        )


if __name__ == "__main__":
    main()
