"""CPU to load a task row read from SQLite: SQLAlchemy's result processors, the adapter's loaders in a
loop over each row's columns, and the same loaders in the one comprehension the adapter writes per statement.

python -m bench.sqlite_rows   (a few seconds)

Reads a listing of 20 tasks from a fresh file once, then loads those rows again and again, each
way, in turn, and prints the best of 5 timings per row. A listing loads 20 rows, so this is
the part of `GET /api/{user}/tasks` on SQLite that the loaders change.
"""

import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from adapters.sql import statements as sql
from adapters.sql.migrate import upgrade
from adapters.sql.sqlite_database import _compile, _dialect, _loader
from adapters.sql.store import _columns
from domain.task import Priority, Task

ROWS = 20


def _listing(path: str) -> tuple[Any, list[Any]]:
    upgrade(f"sqlite:///{path}")
    insert = _compile(sql.INSERT)
    now = datetime.now(UTC)
    with sqlite3.connect(path) as connection:
        for number in range(ROWS):
            task = Task(uuid4(), "user-1", f"task {number}", "seeded", number % 3 == 0, now, now, Priority.LOW)
            task.tags = ["home"]
            connection.execute(insert.sql, insert.arguments(_columns(task)))
    statement = sql.list_tasks("sqlite", frozenset(), "created", False, None)
    compiled = _compile(statement)
    with sqlite3.connect(path) as connection:
        rows = connection.execute(compiled.sql, compiled.arguments({"owner": "user-1", "limit": 100})).fetchall()
    return statement, rows


def _by_sqlalchemy(statement: Any) -> Callable[[list[Any]], list[Any]]:
    processors = [
        column.type.dialect_impl(_dialect).result_processor(_dialect, None) for column in statement.exported_columns
    ]

    def load(rows: list[Any]) -> list[Any]:
        return [
            tuple(value if process is None else process(value) for process, value in zip(processors, row, strict=True))
            for row in rows
        ]

    return load


def _by_loop(statement: Any) -> Callable[[list[Any]], list[Any]]:
    columns = enumerate(statement.exported_columns)
    loaders = [(number, loader) for number, column in columns if (loader := _loader(column.type)) is not None]

    def load_each(rows: list[Any]) -> list[Any]:
        loaded = []
        for row in rows:
            values = list(row)
            for column, convert in loaders:
                if (value := values[column]) is not None:
                    values[column] = convert(value)
            loaded.append(values)
        return loaded

    return load_each


def _best_microseconds_per_row(load: Callable[[list[Any]], list[Any]], rows: list[Any]) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(2000):
            load(rows)
        best = min(best, (time.process_time() - started) / 2000 / len(rows) * 1e6)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        statement, rows = _listing(str(Path(folder) / "rows.db"))
    ways = {
        "SQLAlchemy's result processors": _by_sqlalchemy(statement),
        "the loaders, a loop per row": _by_loop(statement),
        "the loaders, one comprehension": _compile(statement).converted,
    }
    assert len(rows) == ROWS
    best = {name: float("inf") for name in ways}
    for _ in range(3):
        for name, load in ways.items():
            best[name] = min(best[name], _best_microseconds_per_row(load, rows))
    for name, microseconds in best.items():
        print(f"{name:32} {microseconds:5.2f} us per task row")


if __name__ == "__main__":
    main()
