"""Runs statements on an SQLite file with Python's sqlite3: reads on the event loop, writes committed
together by one writer thread.

SQLAlchemy builds and compiles each statement once; its bind and result processors (the same ones
its engine would use, so the file stays what the schema and the migrations made it) convert values,
except that the types every task row holds load through faster equivalents (`_loader`).

- Reads run on the event loop's own thread, on a connection of their own: in WAL mode a read never
  waits for the writer, and a read from a warm cache costs less than handing it to a thread.
- Writes go to one writer thread. It takes every write waiting, runs them in one transaction (a
  write that fails is undone alone), and commits once: one fsync for all of them (group commit).
  Each request is answered only after the commit that holds its write, so an answer always means
  the write is on disk, at the durability `synchronous` states. The thread only runs statements:
  arguments are bound and rows loaded on the event loop.
- Several processes on one file (`--workers`) share SQLite's write lock: the writer tries for it
  every millisecond up to the busy timeout. Within a process no request ever waits on that lock.
- A store that cannot answer (a locked, missing, unreadable or full file) is `StoreUnavailable`.
"""

import asyncio
import functools
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import JSON, Boolean, Uuid
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql import ClauseElement, Executable, Select, TextClause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

from adapters.sql.schema import PackedColumns, UtcDateTime
from adapters.sql.store import Row
from domain.errors import StoreFull, StoreUnavailable

log = logging.getLogger(__name__)

_dialect = sqlite_dialect.dialect()
Processor = Callable[[Any], Any] | None

BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another process's write lock
LOCK_RETRY_SECONDS = 0.001
MAX_BATCH = 256  # writes committed together at most


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order of the statement's placeholders
    defaults: dict[str, Any]
    binds: Mapping[str, Processor]
    load_rows: Callable[[list[Row]], list[Row]] | None  # None: the rows need no loading
    is_read: bool

    def arguments(self, params: dict[str, Any]) -> tuple[Any, ...]:
        values = self.defaults | params
        return tuple(
            value if (bind := self.binds[name]) is None or value is None else bind(value)
            for name in self.names
            for value in (values[name],)
        )

    def converted(self, rows: list[Row]) -> list[Row]:
        return rows if self.load_rows is None else self.load_rows(rows)


def _utc_time(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")  # SQLite keeps UTC times, without the zone


def _loader(column_type: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    """How to load a value of the type: SQLAlchemy's own result processor, or for the types every task
    row holds, a faster function that gives the same values (tests/contract/test_sqlite_values.py);
    `python -m bench.sqlite_rows` measures both."""
    if isinstance(column_type, UtcDateTime):
        return _utc_time
    if isinstance(column_type, PackedColumns):
        return _unpacked(column_type)
    if isinstance(column_type, Uuid):
        return functools.partial(msgspec.convert, type=UUID)
    if isinstance(column_type, Boolean):
        return bool
    implementation = column_type.dialect_impl(_dialect)
    if isinstance(implementation, JSON):
        return msgspec.json.decode
    return implementation.result_processor(_dialect, None)


def _compile(statement: Executable) -> _Compiled:
    assert isinstance(statement, ClauseElement)  # every statement the store runs is one
    compiled = statement.compile(dialect=_dialect)
    assert isinstance(compiled, SQLCompiler)
    binds = {name: bind.type.dialect_impl(_dialect).bind_processor(_dialect) for name, bind in compiled.binds.items()}
    columns = getattr(statement, "exported_columns", ())
    is_read = isinstance(statement, Select) or (
        isinstance(statement, TextClause) and statement.text.lstrip()[:6].upper() == "SELECT"
    )
    return _Compiled(
        str(compiled),
        tuple(compiled.positiontup or ()),
        dict(compiled.construct_params(_check=False)),
        binds,
        _rows_loader(list(columns)),
        is_read,
    )


def _rows_loader(columns: list[Any]) -> Callable[[list[Row]], list[Row]] | None:
    """A function that loads every row of a statement with these columns: one comprehension, written
    for the statement once, as `collections.namedtuple` writes its class. A loop over each row's
    columns costs a third more (`python -m bench.sqlite_rows`), and a listing loads every row. A
    column of packed columns (`PackedColumns`) gives their values in their places."""
    loaders = {number: load for number, column in enumerate(columns) if (load := _loader(column.type)) is not None}
    if not loaders:
        return None
    names: dict[str, Any] = {f"load_{number}": load for number, load in loaders.items()}
    values = []
    for number, column in enumerate(columns):
        if isinstance(column.type, PackedColumns):
            names[f"defaults_{number}"] = column.type.defaults
            values.append(f"*(defaults_{number} if row[{number}] is None else load_{number}(row[{number}]))")
        elif number in loaders:
            values.append(f"(None if row[{number}] is None else load_{number}(row[{number}]))")
        else:
            values.append(f"row[{number}]")
    source = f"lambda rows: [({', '.join(values)},) for row in rows]"
    return eval(source, names)  # type: ignore[no-any-return]


def _unpacked(packed: PackedColumns) -> Callable[[str], tuple[Any, ...]]:
    """How to load the JSON array of packed columns: each value as its column loads."""
    loaders = [_loader(column.type) for column in packed.columns]

    def load(text: str) -> tuple[Any, ...]:
        values = msgspec.json.decode(text)
        return tuple(
            value if convert is None or value is None else convert(value)
            for convert, value in zip(loaders, values, strict=True)
        )

    return load


def _connect(path: str, synchronous: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    return connection


Step = tuple[str, tuple[Any, ...]]  # a statement's SQL and its arguments, ready for sqlite3


@dataclass(slots=True)
class _Write:
    """Statements to run in order as one write; its future gets each one's rows."""

    steps: tuple[Step, ...]
    future: asyncio.Future[list[list[Row]]]


class SqliteDatabase:
    def __init__(self, path: str, *, synchronous: str = "FULL") -> None:
        self.path = path
        self.synchronous = synchronous
        self._compiled: dict[Executable, _Compiled] = {}
        self._reader: sqlite3.Connection | None = None
        self._writes: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    async def open(self) -> None:
        # Connections are made when first needed: a file that cannot be opened yet makes requests
        # answer 503 (and /ready too), as a database that is down does, instead of failing start-up.
        loop = asyncio.get_running_loop()
        self._writer = threading.Thread(target=self._write_batches, args=(loop,), name="sqlite-writer", daemon=True)
        self._writer.start()

    async def close(self) -> None:
        if self._writer is not None:
            self._writes.put(None)
            await asyncio.to_thread(self._writer.join)
            self._writer = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    async def fetch_all(self, statement: Executable, params: dict[str, Any]) -> list[Row]:
        compiled = self._compiled_of(statement)
        if compiled.is_read:
            return self._read(compiled, params)
        (rows,) = await self._write((compiled.sql, compiled.arguments(params)))
        return compiled.converted(rows)

    async def fetch_one(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None

    async def execute(self, statement: Executable, params: dict[str, Any]) -> None:
        compiled = self._compiled_of(statement)
        await self._write((compiled.sql, compiled.arguments(params)))

    async def fetch_all_after(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> list[Row]:
        return (await self.fetch_each(steps))[-1]

    async def fetch_each(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> list[list[Row]]:
        prepared = [(self._compiled_of(statement), params) for statement, params in steps]
        each = await self._write(*((compiled.sql, compiled.arguments(params)) for compiled, params in prepared))
        return [compiled.converted(rows) for (compiled, _), rows in zip(prepared, each, strict=True)]

    def _compiled_of(self, statement: Executable) -> _Compiled:
        if (compiled := self._compiled.get(statement)) is None:
            compiled = self._compiled[statement] = _compile(statement)
        return compiled

    def _read(self, compiled: _Compiled, params: dict[str, Any]) -> list[Row]:
        try:
            if self._reader is None:
                self._reader = _connect(self.path, self.synchronous)
            return compiled.converted(self._reader.execute(compiled.sql, compiled.arguments(params)).fetchall())
        except sqlite3.Error as error:
            raise _unavailable(error) from error

    async def _write(self, *steps: Step) -> list[list[Row]]:
        """Each step's rows, once the transaction that holds the write has committed.

        Arguments are bound and rows converted here, on the event loop: the writer thread only runs
        statements, so a batch takes the interpreter's lock as few times as it can."""
        if self._writer is None:
            raise StoreUnavailable("the SQLite store is not open")
        future: asyncio.Future[list[list[Row]]] = asyncio.get_running_loop().create_future()
        self._writes.put(_Write(steps, future))
        return await future

    # The writer thread

    def _write_batches(self, loop: asyncio.AbstractEventLoop) -> None:
        connection: sqlite3.Connection | None = None
        while (batch := self._next_batch()) is not None:
            try:
                if connection is None:
                    connection = _connect(self.path, self.synchronous, busy_timeout_ms=0)
                outcomes = _committed(connection, batch)
            except sqlite3.Error as error:  # the file cannot be opened
                outcomes = [(None, _unavailable(error))] * len(batch)
            loop.call_soon_threadsafe(_answer, batch, outcomes)
        if connection is not None:
            connection.close()

    def _next_batch(self) -> list[_Write] | None:
        """Every write waiting (at least one, waited for), or None when the store is closing."""
        if (first := self._writes.get()) is None:
            return None
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                following = self._writes.get_nowait()
            except queue.Empty:
                break
            if following is None:
                self._writes.put(None)  # stop after this batch
                break
            batch.append(following)
        return batch


def _committed(connection: sqlite3.Connection, batch: list[_Write]) -> list[tuple[Any, BaseException | None]]:
    """Run the batch in one transaction; what each write gave, once committed.

    A write that fails is undone alone: a single statement by SQLite itself (a failing statement
    changes nothing), several in a savepoint. An error that ends the transaction fails the batch."""
    outcomes: list[tuple[Any, BaseException | None]] = []
    try:
        _begin(connection)
        for write in batch:
            try:
                outcomes.append((_run(connection, write.steps), None))
            except sqlite3.Error as error:
                if not connection.in_transaction:
                    raise  # SQLite rolled the whole transaction back: every write of the batch fails
                outcomes.append((None, _unavailable(error)))
            except Exception as error:  # noqa: BLE001  # undone alone all the same; a bug stays a bug (a 500)
                outcomes.append((None, error))
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        return [(None, _unavailable(error))] * len(batch)
    return outcomes


def _begin(connection: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, trying again every millisecond while another process holds the write lock:
    SQLite's own busy handler sleeps ever longer between tries (up to 100 ms)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorname", "") != "SQLITE_BUSY" or time.monotonic() > deadline:
                raise
            time.sleep(LOCK_RETRY_SECONDS)


def _run(connection: sqlite3.Connection, steps: tuple[Step, ...]) -> list[list[Row]]:
    if len(steps) == 1:
        sql, arguments = steps[0]
        return [connection.execute(sql, arguments).fetchall()]
    connection.execute("SAVEPOINT write")
    try:
        each = [connection.execute(sql, arguments).fetchall() for sql, arguments in steps]
    except Exception:
        if connection.in_transaction:
            connection.execute("ROLLBACK TO write")
            connection.execute("RELEASE write")
        raise
    connection.execute("RELEASE write")
    return each


def _unavailable(error: sqlite3.Error) -> BaseException:
    # A locked, read-only, corrupt or full file: the store cannot take the write now. Anything
    # else (a constraint, a misuse) is a bug, and stays what it is.
    if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL":
        return StoreFull(str(error))
    if isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError) and not isinstance(
        error, sqlite3.IntegrityError | sqlite3.ProgrammingError
    ):
        return StoreUnavailable(str(error))
    return error


def _answer(batch: list[_Write], outcomes: list[tuple[Any, BaseException | None]]) -> None:
    for write, (result, error) in zip(batch, outcomes, strict=True):
        if write.future.done():  # the request was cancelled; its write is committed all the same
            continue
        if error is None:
            write.future.set_result(result)
        else:
            write.future.set_exception(error)
