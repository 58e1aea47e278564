"""Opaque page cursors: where the previous page ended, bound to the query that made it."""

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.query import Position, SortKey, TaskQuery
from domain.task import Priority, text_problem


class InvalidCursor(Exception):
    """The cursor is not one this service made, or was made for a different query."""


class _State(msgspec.Struct, array_like=True):
    query: str  # which query the cursor belongs to
    value: str | int | None
    id: UUID


def _query_id(query: TaskQuery) -> str:
    wanted = query.filter
    parts = [query.sort, str(query.descending), *(repr(getattr(wanted, name)) for name in wanted.__slots__)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def encode(query: TaskQuery, position: Position) -> str:
    value = position.value.isoformat() if isinstance(position.value, datetime) else position.value
    raw = msgspec.json.encode(_State(_query_id(query), value, position.id))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _value(sort: SortKey, value: Any) -> Any:
    """The sort value as the query needs it; a forged cursor's value of the wrong kind is refused here."""
    if sort is SortKey.DUE and value is None:
        return None
    if sort in (SortKey.CREATED, SortKey.UPDATED, SortKey.DUE) and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
    if sort is SortKey.PRIORITY and isinstance(value, int) and value in tuple(Priority):
        return value
    if sort is SortKey.TITLE and isinstance(value, str) and text_problem(value) is None:
        return value
    raise ValueError(f"not a {sort} value")


def decode(cursor: str, query: TaskQuery) -> Position:
    try:
        state = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), type=_State)
        position = Position(_value(query.sort, state.value), state.id)
    except (ValueError, OverflowError, msgspec.DecodeError) as error:
        raise InvalidCursor("the cursor is not one this service made") from error
    if state.query != _query_id(query):
        raise InvalidCursor("the cursor belongs to a query with other filters or another sort")
    return position
