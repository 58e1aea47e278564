"""Opaque page cursors: where the previous page ended, bound to the owner and the query that made it.

A cursor is the position (a sort value and a task id) encrypted and authenticated with AES-GCM,
the owner and the query being its associated data: the title a page ended on never shows in a URL,
a log or a proxy, and a cursor altered, forged, or used on another owner's path or another query
fails to open (400). The secret comes from TODO_CURSOR_KEY, or else from the database, which
generates one when it is migrated: every worker and instance on it, and every restart, agree.
"""

import base64
import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from anyio import to_thread
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.query import Position, SortKey, TaskQuery
from domain.task import Priority, text_problem


class InvalidCursor(Exception):
    """The cursor is not one this service made, or was made for a different query."""


NONCE_BYTES = 12


class _State(msgspec.Struct, array_like=True):
    value: str | int | None
    id: UUID


def _bound_to(owner: str, query: TaskQuery) -> bytes:
    wanted = query.filter
    parts = [owner, query.sort, str(query.descending), *(repr(getattr(wanted, name)) for name in wanted.__slots__)]
    return msgspec.json.encode(parts)


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


class PageCursors:
    """Makes and opens the cursors of one secret (of any length: the key is derived from it).

    The secret is read once, when a cursor is first needed, on a worker thread: a database that is
    down when the service starts delays nothing but the first page that needs a cursor. So making
    and opening a cursor are coroutines: each waits for the secret (`StoreUnavailable` while it
    cannot be read).
    """

    def __init__(self, read_secret: Callable[[], bytes]) -> None:
        self._read_secret = read_secret
        self._cipher: AESGCM | None = None

    async def _cipher_of_secret(self) -> AESGCM:
        if self._cipher is None:
            secret = await to_thread.run_sync(self._read_secret)
            self._cipher = AESGCM(hashlib.sha256(b"todo page cursors\0" + secret).digest())
        return self._cipher

    async def encode(self, owner: str, query: TaskQuery, position: Position) -> str:
        cipher = await self._cipher_of_secret()
        value = position.value.isoformat() if isinstance(position.value, datetime) else position.value
        nonce = os.urandom(NONCE_BYTES)
        state = msgspec.json.encode(_State(value, position.id))
        sealed = cipher.encrypt(nonce, state, _bound_to(owner, query))
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    async def decode(self, owner: str, cursor: str, query: TaskQuery) -> Position:
        cipher = await self._cipher_of_secret()
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            opened = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(owner, query))
        except (ValueError, InvalidTag):
            raise InvalidCursor(
                "the cursor was not handed out for this user and query (other filters or another sort)"
            ) from None
        try:
            state = msgspec.json.decode(opened, type=_State)
            return Position(_value(query.sort, state.value), state.id)
        except (ValueError, OverflowError, msgspec.DecodeError) as error:  # made with the key, so not expected
            raise InvalidCursor("the cursor is not one this service made") from error
