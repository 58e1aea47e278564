"""Hostile input at volume, with Hypothesis: nothing a client sends makes a 5xx, and no one else's data moves.

Each request is built as a client on the wire could send it, and reaches the app as an ASGI server
(uvicorn) hands it over: the path percent-decoded as UTF-8 with replacement characters, the query
string and the header octets untouched, the body in one message (with `Content-Length`) or in
several (chunked). A request starts valid (the attacker's own tasks, a valid body and query) and
then has one to three aspects made hostile, so that the hostile part reaches the code behind the
validation of everything else:

- path parameters: user ids and task ids of any text (NUL, lone surrogates, right-to-left marks,
  valid and broken `%`-escapes, `%2F`, overlong UTF-8, thousands of characters), lookalikes of the
  victims' ids (case, white space, Unicode normal forms, fullwidth), the victims' real task ids
  under other owners, UUIDs in every spelling, numbers that overflow any integer type;
- the method: HEAD, OPTIONS, TRACE, unknown and lower-case methods;
- query strings: every list parameter with arbitrary text, crafted dates and numbers, real,
  tampered and forged cursors (a real cursor's JSON with a hostile sort value), repeated and
  unknown parameters, broken escapes;
- headers: If-Match, If-None-Match, Idempotency-Key, X-Request-ID, Content-Type, Host, Cookie,
  Content-Encoding with arbitrary values (any octets HTTP allows in a field value), repeated;
- bodies: arbitrary bytes, arbitrary JSON values, near-valid tasks with wrong types and sizes,
  malformed and deeply nested JSON, other encodings, bodies at and over the size limit;
- framing: the body in several chunks, without Content-Length.

Random generation lands on a given edge (a 4301-digit ETag, a due date in year 9999 with a negative
offset) only now and then, so before the random requests a catalogue sends every hand-picked hostile
value once at every place it fits, in an otherwise valid request (about 3,100 requests).

Each answer must be below 500; a 4xx an RFC 9457 problem (`status` = the HTTP status) that leaks
nothing; `X-Request-ID` must follow its rule; an answer below 400 holds only the path owner's tasks,
and never answers for a victim's task id. Around the run, the victims' tasks (created through the
API) are read back, list and each task with its ETag, and must be identical; replaying their
creation with the same Idempotency-Key must still answer the very task it created.

Findings are collected over the whole run (not stopped at the first), grouped, and reported with
the shortest request of each group and the exception the service logged for it. Runs on
`memory://`, SQLite and (a smaller budget) Postgres, so driver errors (NUL, bad encodings,
overflowing integers and dates) show as 5xx. Derandomized: every run sends the same requests.
"""

import base64
import json
import logging
import posixpath
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, quote_plus, unquote

import anyio
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from entrypoints.app import create_app
from entrypoints.settings import Settings
from tests.property.conftest import STATUSES, count_cases, header, problem_violations

# Random requests per run, on top of the catalogue (about 3,100 hand-picked ones, sent on every store).
MEMORY_EXAMPLES = 3000
SQLITE_EXAMPLES = 1000
POSTGRES_EXAMPLES = 1000
MAX_BODY_BYTES = 64 * 1024  # the default TODO_MAX_BODY_BYTES, which these apps run with

VICTIMS = ("victim-7f3a", "vïctim ✓ 名前")
ATTACKER = "mallory"
POOL_SIZE = 8  # the attacker's own tasks that requests aim at; one deleted is replaced
VICTIM_TASKS = [
    {"title": "Pay rent", "description": "before the 5th", "priority": "high", "tags": ["home", "money"]},
    {"title": "  Call mum  ", "due_at": "2026-12-24T18:00:00+01:00", "completed": True},
    {"title": "Ünïcödé ✓ \u202etxt.exe", "description": "quotes \" ' <b>markup</b> 😀\nnew line", "tags": ["ü"]},
    {"title": "x" * 200, "description": "d" * 1000, "priority": "low", "tags": [f"t{i}" for i in range(20)]},
]
SORTS = ["created", "-created", "updated", "-updated", "due", "-due", "priority", "-priority", "title", "-title"]

# ------------------------------------------------------------------------------------------------
# Talking to the app as an ASGI server would.


@dataclass(frozen=True)
class Hostile:
    """One request as it arrives: method, raw (percent-encoded, ASCII) path and query, header octets, body."""

    method: str
    raw_path: str
    query: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    chunks: int = 1  # 1: one message with Content-Length; more: chunked, without Content-Length

    @property
    def path(self) -> str:
        """What uvicorn puts in scope["path"]: the raw path percent-decoded as UTF-8, errors replaced."""
        return unquote(self.raw_path)

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.headers if key == name), None)

    def describe(self) -> str:
        query = f"?{self.query.decode('latin-1')}" if self.query else ""

        def shown(value: bytes) -> bytes:
            return value if len(value) <= 80 else value[:40] + b"...(%d bytes)" % len(value)

        headers = " ".join(repr((k + b": " + shown(v)).decode("latin-1")) for k, v in self.headers)
        body = (
            f" body={self.body[:300]!r}{'...' if len(self.body) > 300 else ''} ({len(self.body)} B)"
            if self.body
            else ""
        )
        chunked = f" [in {self.chunks} chunks]" if self.chunks > 1 else ""
        return f"{self.method} {self.raw_path[:300]}{query[:400]} headers=[{headers[:600]}]{body}{chunked}"

    def as_text(self) -> str:
        return f"{self.path} {unquote(self.query.decode('latin-1'))} {self.headers!r} {self.body!r}"


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    escaped: str | None = None  # an exception that left the app: a real server answers 500

    def header(self, name: str) -> str | None:
        return header({k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(self.headers)}, name)


async def _exchange(app: Litestar, request: Hostile) -> Answer:
    headers = [(b"host", b"testserver")] if request.header(b"host") is None else []
    headers += list(request.headers)
    if request.chunks == 1:
        headers.append((b"content-length", str(len(request.body)).encode()))
        pieces = [request.body]
    else:
        headers.append((b"transfer-encoding", b"chunked"))
        size = -(-len(request.body) // request.chunks) or 1
        pieces = [request.body[i : i + size] for i in range(0, len(request.body), size)] or [b""]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.raw_path.encode("ascii"),
        "query_string": request.query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 51000),
        "server": ("testserver", 80),
        "state": {},
    }
    messages = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1} for i, piece in enumerate(pieces)
    ]
    answer = Answer(status=0, headers=[], body=b"")
    done = anyio.Event()

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")
            if not message.get("more_body", False):
                done.set()

    try:
        with anyio.fail_after(30):
            await app(scope, receive, send)  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 (anything that leaves the app is a finding)
        answer.escaped = f"{type(error).__name__}: {error}"
    if answer.status == 0:
        answer.escaped = answer.escaped or "no response was started"
    return answer


def _first_line(error: BaseException) -> str:
    return str(error).strip().split("\n", 1)[0][:200]


class ServerLog(logging.Handler):
    """Collects the exceptions the service logs, so that a 5xx is reported with its cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> str | None:
        records, self.records = self.records, []
        for record in records:
            if record.exc_info and record.exc_info[1] is not None:
                error, frames, traceback = record.exc_info[1], [], record.exc_info[2]
                while traceback is not None:
                    filename = traceback.tb_frame.f_code.co_filename
                    if "/site-packages/" not in filename:
                        frames.append("/".join(filename.rsplit("/", 2)[-2:]) + f":{traceback.tb_lineno}")
                    traceback = traceback.tb_next
                cause = error.__cause__ or error.__context__
                caused = f" (from {type(cause).__name__}: {_first_line(cause)})" if cause else ""
                where = " > ".join(frames[-3:]) or "the framework (no frame of the service's own)"
                return f"{type(error).__name__}: {_first_line(error)}{caused} at {where}"
        return None


# ------------------------------------------------------------------------------------------------
# The world around the run: victims, an attacker with tasks of its own, cursors, snapshots.

# A request aims at the attacker's own tasks through tokens resolved when it is sent (the pool
# changes as tasks are deleted): \x01<pool index>:<spelling>\x01 in the path, \x01etag<i>\x01 in a header.
POOL_TOKEN = re.compile("\x01(\\d+):(\\d+)\x01")
ETAG_TOKEN = re.compile(b"\x01etag(\\d+)\x01")
SPELLINGS: list[Callable[[str], str]] = [
    lambda i: i,
    lambda i: i.upper(),
    lambda i: "{" + i + "}",
    lambda i: "urn:uuid:" + i,
    lambda i: i.replace("-", ""),
    lambda i: i + "%00",
    lambda i: i + "%20",
    lambda i: "%20" + i,
    lambda i: "".join(f"%{ord(c):02X}" for c in i),
    lambda i: i[:-1],
    lambda i: i + "0",
    lambda i: i + "%2F",
    lambda i: i + "%2F..",
    lambda i: i.replace("-", "%2D"),
    lambda i: i.replace("-", "%E2%80%90"),
]


@dataclass
class World:
    client: TestClient
    victim_tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # owner -> tasks as created
    victim_ids: list[str] = field(default_factory=list)
    victim_etags: list[str] = field(default_factory=list)
    pool: list[str] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)  # sort -> a real cursor of `?sort=<sort>&limit=1`

    def _owner_url(self, owner: str) -> str:
        return f"/api/{quote(owner, safe='')}/tasks"

    def resolve(self, plan: Hostile) -> tuple[Hostile, int | None]:
        """The request with its tokens replaced, and the pool index its path aims at (if any)."""
        aimed = POOL_TOKEN.search(plan.raw_path)
        raw_path = POOL_TOKEN.sub(lambda m: SPELLINGS[int(m[2])](self.pool[int(m[1])]), plan.raw_path)
        headers = []
        for name, value in plan.headers:
            if ETAG_TOKEN.search(value):
                task_id = self.pool[int(ETAG_TOKEN.search(value)[1])]  # type: ignore[index]
                current = self.client.get(f"{self._owner_url(ATTACKER)}/{task_id}").headers.get("etag", '"0"')
                value = ETAG_TOKEN.sub(current.encode(), value)
            headers.append((name, value))
        return replace(plan, raw_path=raw_path, headers=tuple(headers)), int(aimed[1]) if aimed else None

    def send(self, plan: Hostile) -> tuple[Hostile, Answer]:
        request, aimed = self.resolve(plan)
        answer = self.client.blocking_portal.call(_exchange, self.client.app, request)
        if aimed is not None and request.method.upper() == "DELETE" and answer.status == 204:
            self.pool[aimed] = _created(self.client, ATTACKER, {"title": "replacement"})["id"]
        return request, answer

    def snapshot(self) -> dict[str, Any]:
        """Everything a victim can read: the list, and each task with its ETag."""
        state: dict[str, Any] = {}
        for owner in VICTIMS:
            listing = self.client.get(self._owner_url(owner), params={"limit": 500})
            state[f"GET {owner} list"] = (listing.status_code, listing.json())
            for task in self.victim_tasks[owner]:
                answer = self.client.get(f"{self._owner_url(owner)}/{task['id']}")
                state[f"GET {owner} {task['id']}"] = (answer.status_code, answer.headers.get("etag"), answer.json())
        return state


def _created(client: TestClient, owner: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    answer = client.post(f"/api/{quote(owner, safe='')}/tasks", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


@contextmanager
def world_on(database_url: str) -> Iterator[World]:
    with TestClient(create_app(Settings(database_url=database_url, access_log=False))) as client:
        world = World(client)
        for owner in VICTIMS:
            tasks = [_created(client, owner, body, f"victim-key-{i}") for i, body in enumerate(VICTIM_TASKS)]
            world.victim_tasks[owner] = tasks
            world.victim_ids += [task["id"] for task in tasks]
            answer = client.patch(f"{world._owner_url(owner)}/{tasks[0]['id']}", json={"priority": "medium"})
            assert answer.status_code == 200, answer.text  # one more write, so that not every ETag is "1"
        world.victim_etags = sorted(
            client.get(f"{world._owner_url(o)}/{t['id']}").headers["etag"]
            for o in VICTIMS
            for t in world.victim_tasks[o]
        )
        # The attacker's tasks, created with the victims' idempotency keys (keys belong to their owner).
        world.pool = [
            _created(client, ATTACKER, {**VICTIM_TASKS[i % 4], "title": f"mine {i}"}, f"victim-key-{i}")["id"]
            for i in range(POOL_SIZE)
        ]
        for sort in SORTS:
            link = client.get(world._owner_url(ATTACKER), params={"sort": sort, "limit": 1}).headers.get("link", "")
            found = re.search(r"cursor=([^&>]+)", link)
            assert found, f"no cursor handed out for sort={sort}: {link!r}"
            world.cursors[sort] = found[1]
        yield world


# ------------------------------------------------------------------------------------------------
# Strategies: valid parts first, then the hostile ones.

ANY_CHAR = st.one_of(
    st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\x00\t\n\r /%?#&=+;\\\u202e\ufeff\u200b")
)
ANY_TEXT = st.text(ANY_CHAR, max_size=30)
LONG_TEXT = st.sampled_from([127, 128, 129, 200, 201, 255, 256, 1000, 1001, 5000]).flatmap(
    lambda n: st.sampled_from(["a" * n, "é" * n, "😀" * n, "\x00" * n, " " * n, "%" * n])
)
SAFE_TEXT = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30).filter(str.strip)


def _encode(text: str, safe: str = "") -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def _moment(offset_minutes: int, start: datetime, end: datetime) -> st.SearchStrategy[str]:
    return st.datetimes(min_value=start, max_value=end).map(
        lambda d: d.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).isoformat()
    )


VALID_MOMENTS = st.integers(-1439, 1439).flatmap(lambda m: _moment(m, datetime(1970, 1, 2), datetime(2100, 1, 1)))
ANY_MOMENTS = st.integers(-1439, 1439).flatmap(lambda m: _moment(m, datetime.min, datetime.max))
PRIORITIES = ["none", "low", "medium", "high"]
VALID_TAGS = st.lists(st.sampled_from(["a", "home", "money", "ü", "x" * 40, " padded "]), max_size=5)
VALID_TASKS = st.fixed_dictionaries(
    {"title": SAFE_TEXT},
    optional={
        "description": st.one_of(st.none(), SAFE_TEXT),
        "completed": st.booleans(),
        "priority": st.sampled_from(PRIORITIES),
        "due_at": st.one_of(st.none(), VALID_MOMENTS),
        "tags": VALID_TAGS,
    },
)
VALID_PATCHES = st.fixed_dictionaries(
    {},
    optional={
        "title": SAFE_TEXT,
        "description": st.one_of(st.none(), SAFE_TEXT),
        "completed": st.booleans(),
        "priority": st.one_of(st.none(), st.sampled_from(PRIORITIES)),
        "due_at": st.one_of(st.none(), VALID_MOMENTS),
        "tags": st.one_of(st.none(), VALID_TAGS),
    },
)

# Pieces a hostile client writes into a path or query by hand: broken, overlong, NUL, separators.
RAW_PIECES = [
    "%00", "%2F", "%2f", "%5C", "%25", "%", "%z", "%zz", "%G0", "%ED%A0%80", "%ED%BF%BF", "%C0%AF", "%C0%80",
    "%FF", "%FE%FF", "%E2%80%AE", "%EF%BB%BF", "%F4%90%80%80", "..", ".", "%2E%2E", "%u0041", "+", "%20", "%09",
    "%0D%0A", ";", ",", "'", "\"", "*", "~", "$", "(", ")", "@", ":", "=", "&", "!", "a",
]  # fmt: skip
RAW_TEXT = st.lists(st.one_of(st.sampled_from(RAW_PIECES), ANY_TEXT.map(_encode)), max_size=6).map("".join)


def _lookalikes(owner: str) -> list[str]:
    """Ids that are not `owner` but that a careless store could take for it: they must stay strangers."""
    forms = {
        owner.upper(), owner.title(), owner.casefold(), f" {owner}", f"{owner} ", f"{owner}\t", f"{owner}\x00",
        f"{owner}\x00x", f"\x00{owner}", f"{owner}%", f"{owner}_", f"{owner[:-1]}_", f"{owner[:-1]}%",
        unicodedata.normalize("NFD", owner), unicodedata.normalize("NFKD", owner), f"{owner}\u200b",
        "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in owner),  # fullwidth forms
        f"{owner}\ufeff", f"{owner}\u202e", owner[:-1], owner + owner, f"{owner}*", f"'{owner}'", f"{owner}'--",
    }  # fmt: skip
    return sorted(form for form in forms if form != owner)


LOOKALIKES = [form for owner in VICTIMS for form in _lookalikes(owner)]

USER_SEGMENTS = st.one_of(
    ANY_TEXT.map(_encode),
    ANY_TEXT.map(lambda text: _encode(text, safe="!$&'()*+,;=:@~")),
    st.sampled_from(LOOKALIKES).map(_encode),
    st.sampled_from(LOOKALIKES).map(lambda text: _encode(text, safe="%")),
    RAW_TEXT,
    LONG_TEXT.map(_encode),
    st.sampled_from(["", "%00", "%2F", "..", ".", "%2E", "%252F", "%C0%AF", "%ED%A0%80", "a%2Fb", "%20"]),
)


ODD_TASK_IDS = [
    "0", "-1", "1e309", "NaN", "9" * 26, "9" * 400, "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff", "", "%00", "..", ".", "null", "true", "%5B%5D", "%7B%7D",
]  # fmt: skip


def task_segments(world: World) -> st.SearchStrategy[str]:
    pool = st.integers(0, POOL_SIZE - 1)
    return st.one_of(
        st.tuples(pool, st.integers(1, len(SPELLINGS) - 1)).map(lambda t: f"\x01{t[0]}:{t[1]}\x01"),
        st.sampled_from(world.victim_ids),
        st.tuples(st.sampled_from(world.victim_ids), st.sampled_from(SPELLINGS)).map(lambda t: t[1](t[0])),
        st.uuids().map(str),
        st.sampled_from(ODD_TASK_IDS),
        ANY_TEXT.map(_encode),
        RAW_TEXT,
        LONG_TEXT.map(_encode),
    )


OTHER_PATHS = st.one_of(
    st.sampled_from(["/", "/api", "/api/", "/api//tasks", "/api/mallory", "/api/mallory/tasks/", "/docs", "/health/"]),
    st.tuples(USER_SEGMENTS, RAW_TEXT).map(lambda p: f"/api/{p[0]}/tasks/{p[1]}/{p[1]}"),
    st.tuples(RAW_TEXT).map(lambda p: f"//api/mallory/tasks{p[0]}"),
    RAW_TEXT.map(lambda p: f"/{p}"),
)
ODD_METHODS = ["HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get", "Post", "FOO", "GET", "PUT", "PATCH", "DELETE"]

LIST_PARAMETERS = ["completed", "priority", "tag", "due_before", "due_after", "q", "sort", "limit", "cursor"]
# Hand-picked hostile values, by type: the edges a generator rarely lands on by chance.
DATE_VALUES = [
    "2026-11-25T12:00:00Z", "2026-11-25T12:00:00", "2026-11-25", "2026-11-25T12:00:00+25:00", "2026-02-30T00:00:00Z",
    "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00-00:01",
    "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59+00:01", "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T23:59:60Z", "2026-11-25T12:00:00.1234567890Z",
    "2026-11-25 12:00:00Z", "2026-11-25t12:00:00z", "2026-W48-3", "0.5", "-0.5", "0", "253402300800",
    "253402300799", "-62135596800", "-62135596801", "1e20", "-1e300", "1764072000", "NaN", "inf", "", "now", "\x00",
]  # fmt: skip
NUMBER_VALUES = [
    "0", "1", "-1", "500", "501", "1.0", "1.5", "1e3", "01", "+1", " 1", "0x10", "NaN", "inf", "9" * 19, "9" * 30,
    "-" + "9" * 30, "9" * 5000, "١٢", "²", "1_0", "", "true", "null",
]  # fmt: skip
BOOL_VALUES = ["true", "false", "True", "FALSE", "1", "0", "yes", "no", "on", "", "null", "t", "truee"]
ENUM_VALUES = [
    "none", "low", "medium", "high", "HIGH", "urgent", "", "created", "-created", "-due", "--title", "title-", "+title",
    "-", "random", "id", "user_id", "priority;DROP", "title\x00",
]  # fmt: skip
TEXT_VALUES = [
    "", " ", "%", "_", "%_%", "\\", "'", "' OR '1'='1", '"; DROP TABLE tasks; --', "\x00", "a\x00b", "\ud800", "\udfff",
    "😀", "\u202e", "e\u0301", "x" * 200, "x" * 201, "x" * 5000, "\\%", "[", "*", "a" * 40, "a" * 41,
]  # fmt: skip
TYPED_VALUES: dict[str, list[str]] = {
    "completed": BOOL_VALUES,
    "priority": ENUM_VALUES,
    "tag": TEXT_VALUES,
    "due_before": DATE_VALUES,
    "due_after": DATE_VALUES,
    "q": TEXT_VALUES,
    "sort": ENUM_VALUES,
    "limit": NUMBER_VALUES,
    "cursor": TEXT_VALUES,
}
VALID_QUERY_VALUES: dict[str, st.SearchStrategy[str]] = {
    "completed": st.sampled_from(["true", "false"]),
    "priority": st.sampled_from(PRIORITIES),
    "tag": st.sampled_from(["a", "home", "ü"]),
    "due_before": VALID_MOMENTS,
    "due_after": VALID_MOMENTS,
    "q": SAFE_TEXT,
    "sort": st.sampled_from(SORTS),
    "limit": st.integers(1, 500).map(str),
}
# Values a forged cursor may carry in place of the sort value (or the id) of a real one.
FORGED_VALUES: list[Any] = [
    None, True, 0, -1, 3, 4, 2**31, 2**63, 2**64, -(2**63) - 1, 10**30, 1.5, "", "x", "\x00", "a\x00b", "\ud800",
    "x" * 5000, [], {}, "2026-01-01T00:00:00", "2026-01-01T00:00:00Z", "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00-00:01", "9999-12-31T23:59:59.999999+00:00", "10000-01-01T00:00:00Z",
]  # fmt: skip


def _pair(name: str, value: str | None) -> str:
    encoded = quote_plus(name.encode("utf-8", "surrogatepass"))
    return encoded if value is None else f"{encoded}={quote_plus(value.encode('utf-8', 'surrogatepass'))}"


def _forge(cursor: str, position: int, value: Any) -> str:
    state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    state[position] = value
    raw = json.dumps(state, allow_nan=True).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@st.composite
def valid_queries(draw: st.DrawFn, world: World) -> list[str]:
    if draw(st.integers(0, 4)) == 0:  # the next page, as the Link header hands it out
        sort = draw(st.sampled_from(SORTS))
        return [f"sort={sort}", f"limit={draw(st.integers(1, 3))}", f"cursor={world.cursors[sort]}"]
    names = draw(st.lists(st.sampled_from(list(VALID_QUERY_VALUES)), max_size=4, unique=True))
    return [_pair(name, draw(VALID_QUERY_VALUES[name])) for name in names]


@st.composite
def hostile_parameter(draw: st.DrawFn, world: World) -> str:
    name = draw(
        st.one_of(
            st.sampled_from(LIST_PARAMETERS),
            st.sampled_from(LIST_PARAMETERS),
            st.sampled_from(LIST_PARAMETERS),
            st.sampled_from(["", "user_id", "id", "limit[]", "Limit", "q ", "__proto__", "offset", "cursor[]"]),
            ANY_TEXT,
        )
    )
    typed = TYPED_VALUES.get(name, TEXT_VALUES)
    cursors = sorted(world.cursors.values())
    value = draw(
        st.one_of(
            st.sampled_from(typed),
            st.sampled_from(typed),
            st.sampled_from(typed),
            ANY_TEXT,
            LONG_TEXT,
            st.none(),
            st.sampled_from(cursors),
            st.tuples(st.sampled_from(cursors), st.integers(0, 60), ANY_CHAR).map(
                lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]  # a tampered cursor
            ),
        )
    )
    return _pair(name, value)


@st.composite
def hostile_queries(draw: st.DrawFn, world: World) -> list[str]:
    pairs = draw(valid_queries(world))
    choice = draw(st.integers(0, 3))
    if choice == 0:  # a forged cursor, with the sort it was made for
        sort = draw(st.sampled_from(SORTS))
        position = draw(st.sampled_from([1, 1, 1, 2, 0]))
        forged = _forge(world.cursors[sort], position, draw(st.sampled_from(FORGED_VALUES)))
        return [
            f"sort={sort}",
            f"cursor={forged}",
            *([f"limit={draw(st.integers(1, 3))}"] if draw(st.booleans()) else []),
        ]
    extra = draw(st.lists(hostile_parameter(world), min_size=1, max_size=3))
    junk = draw(st.lists(st.sampled_from([*RAW_PIECES, "&&", "a=1=2", "=", "&=&", "limit=1&limit=2"]), max_size=2))
    if choice == 1:
        junk.append(draw(RAW_TEXT))
    return draw(st.permutations(pairs + extra + junk))


# Octets HTTP allows in a field value: HTAB, SP, visible ASCII and obs-text (0x80 to 0xFF). Servers
# refuse the rest (CR, LF, NUL, other controls) before the app sees them, and strip white space around.
FIELD_OCTETS = st.sampled_from([9, *range(0x20, 0x7F), *range(0x80, 0x100)])


def _field_value(raw: bytes) -> bytes:
    return bytes(b for b in raw if b == 9 or 0x20 <= b < 0x7F or b >= 0x80).strip(b" \t")


ETAG_VALUES = [
    '"1"', '"2"', '"3"', "*", " * ", 'W/"1"', 'W/"2"', '"1", "2"', '"1",,,"2"', '"', '""', "1", '"-1"', '"0"', '"1.0"',
    '"01"', '"+1"', '" 1"', '"1_0"', '"1e3"', '"9223372036854775807"', '"9223372036854775808"', '"18446744073709551616"',
    '"' + "9" * 50 + '"', '"' + "9" * 4300 + '"', '"' + "9" * 4301 + '"', '"\u00b2"', '"\u0661"', "W/", "W/*", '*, "1"',
    '"abc"', "null", ", ,", '"1" "2"', 'W/"' + "9" * 30 + '"',
]  # fmt: skip
KEY_VALUES = [
    "victim-key-0", "victim-key-1", "victim-key-3", "x" * 255, "x" * 256, "x" * 5000, "0b9e8a548d0e4f2a9a432d7f3c1e5b10",
    "a" * 200, "a" * 201, "ünïcödé", "\x7f", "null", "a b", "\t", "key-1",
]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "application/merge-patch+json", "application/json; charset=utf-8",
    "application/json; charset=latin-1", "application/json; charset=utf-16", "text/plain", "text/html",
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data",
    "application/xml", "application/problem+json", "*/*", "application/", "/", ";", "application/json;;;",
    'application/json; boundary="', "application/json; charset=\u00ff", "",
]  # fmt: skip
OTHER_HEADER_VALUES = ["gzip", "br, deflate", "a=b; c", "=;=", "testserver:99999999", "[::1", "", "bytes=0-1", "null"]
TYPED_HEADERS: dict[bytes, list[str]] = {
    b"if-match": ETAG_VALUES,
    b"if-none-match": ETAG_VALUES,
    b"idempotency-key": KEY_VALUES,
    b"x-request-id": KEY_VALUES,
    b"content-type": CONTENT_TYPES,
}


@st.composite
def hostile_header(draw: st.DrawFn, world: World) -> tuple[bytes, bytes]:
    name = draw(
        st.sampled_from([b"if-match", b"if-none-match", b"idempotency-key", b"x-request-id", b"content-type", b"other"])
    )
    if name == b"other":
        name = draw(st.sampled_from([b"host", b"cookie", b"content-encoding", b"accept", b"origin", b"range"]))
    typed = TYPED_HEADERS.get(name, OTHER_HEADER_VALUES) + (world.victim_etags if b"match" in name else [])
    value = draw(
        st.one_of(
            st.sampled_from(typed).map(lambda s: s.encode("utf-8")),
            st.sampled_from(typed).map(lambda s: s.encode("utf-8")),
            st.sampled_from(typed).map(lambda s: s.encode("latin-1", "replace")),
            st.lists(FIELD_OCTETS, max_size=60).map(bytes),
            ANY_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
        )
    )
    return name, _field_value(value)


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    ANY_TEXT,
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**400, -0.0, 1e308]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4), max_leaves=8
)


def _hostile_text(limit: int) -> st.SearchStrategy[Any]:
    sized = [
        "x" * limit,
        " " + "x" * limit + " ",
        "x" * (limit + 1),
        "😀" * limit,
        "😀" * (limit + 1),
        "e\u0301" * limit,
    ]
    return st.one_of(
        ANY_TEXT,
        st.sampled_from(HOSTILE_TEXTS + sized),
        JSON_SCALARS,
        st.lists(ANY_TEXT, max_size=2),
    )


HOSTILE_TEXTS = ["", " ", "\t\n", "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202e", "\ufeff", "'); DROP TABLE tasks;--"]

HOSTILE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "title": _hostile_text(200),
    "description": _hostile_text(1000),
    "completed": st.one_of(st.sampled_from(["true", "false", 1, 0, None, [], {}, "", 1.0]), JSON_SCALARS),
    "priority": st.one_of(st.sampled_from(["HIGH", "urgent", "", None, 1, 3, " low", "none\x00"]), JSON_SCALARS),
    "due_at": st.one_of(
        st.sampled_from(DATE_VALUES),
        st.sampled_from(DATE_VALUES),
        ANY_MOMENTS,
        st.datetimes().map(datetime.isoformat),
        JSON_SCALARS,
    ),
    "tags": st.one_of(
        st.lists(_hostile_text(40), max_size=25),
        st.lists(st.sampled_from(["a", "a ", " a", "b", "x" * 40, "x" * 41, "", "\x00", "\ud800"]), max_size=25),
        JSON_SCALARS,
    ),
    "id": st.one_of(st.uuids().map(str), JSON_SCALARS),
    "user_id": st.sampled_from([*VICTIMS, ATTACKER, "", None, 1]),
    "created_at": st.one_of(st.sampled_from(DATE_VALUES), JSON_SCALARS),
    "version": st.one_of(st.integers(), JSON_SCALARS),
    "\x00": JSON_SCALARS,
    "": JSON_SCALARS,
}


@st.composite
def near_valid(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    document = draw(base)
    for name in draw(st.lists(st.sampled_from(sorted(HOSTILE_FIELDS)), min_size=1, max_size=3, unique=True)):
        if name in document and draw(st.integers(0, 4)) == 0:
            del document[name]
        else:
            document[name] = draw(HOSTILE_FIELDS[name])
    return document


CRAFTED_BODIES = [
    b"", b" ", b"null", b"true", b"0", b'""', b"[]", b"{}", b"{", b"}", b'{"title": "x"', b'{"title": "x",}',
    b'{"title": "x"}x', b'{"title": "a", "title": "b"}', b'{"title": NaN}', b'{"title": "x", "completed": Infinity}',
    b'{"title": 1e400}', b'\xef\xbb\xbf{"title": "bom"}', b'{"title": "\\u0000"}', b'{"title": "\\ud800"}',
    b'{"title": "\\udfff\\ud800"}', b'{"title": "\xed\xa0\x80"}', b'{"title": "\xc0\xaf"}', b'{"title": "\xff"}',
    b'{"title": "x", "tags": [' + b'"t",' * 5000 + b'"t"]}', '{"title": "x"}'.encode("utf-16"),
    '{"title": "é"}'.encode("latin-1"), b"[" * 100_000, b'{"a":' * 50_000, b"[" * 1000 + b"]" * 1000,
    b'{"completed": true}', b'{"completed": "true"}', b'{"completed": null}', b'{"completed": 1}', b"title=x",
    b'--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--xyz--\r\n', b"\x00" * 64,
    b'{"title": "' + b"x" * (MAX_BODY_BYTES - 14) + b'"}', b'{"title": "' + b"x" * MAX_BODY_BYTES + b'"}',
]  # fmt: skip


def _json_bytes(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


def hostile_bodies(base: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    documents = st.one_of(near_valid(base), near_valid(base), near_valid(base), JSON_VALUES)
    return st.one_of(
        st.tuples(documents, st.booleans()).map(lambda t: _json_bytes(*t)),
        st.tuples(documents, st.booleans()).map(lambda t: _json_bytes(*t)),
        st.sampled_from(CRAFTED_BODIES),
        st.binary(max_size=200),
    )


KINDS = [
    ("list", "GET"), ("list", "GET"), ("list", "POST"), ("list", "POST"), ("task", "GET"), ("task", "PUT"),
    ("task", "PATCH"), ("task", "DELETE"), ("complete", "PATCH"), ("operations", "GET"), ("other", "GET"),
]  # fmt: skip
ASPECTS = ["user", "task", "method", "query", "headers", "body", "body", "framing"]
COMPLETIONS = st.sampled_from([b"", b'{"completed": true}', b'{"completed": false}'])


@st.composite
def hostile_requests(draw: st.DrawFn, world: World) -> Hostile:
    kind, method = draw(st.sampled_from(KINDS))
    hostile = set(draw(st.lists(st.sampled_from(ASPECTS), min_size=1, max_size=3)))
    user = draw(USER_SEGMENTS) if "user" in hostile else _encode(ATTACKER)
    pool_index = draw(st.integers(0, POOL_SIZE - 1))
    task = draw(task_segments(world)) if "task" in hostile else f"\x01{pool_index}:0\x01"
    raw_path = {
        "list": f"/api/{user}/tasks",
        "task": f"/api/{user}/tasks/{task}",
        "complete": f"/api/{user}/tasks/{task}/complete",
        "operations": draw(st.sampled_from(["/health", "/ready"])),
        "other": draw(OTHER_PATHS),
    }[kind]
    if "method" in hostile:
        method = draw(st.sampled_from(ODD_METHODS))

    query: list[str] = []
    if "query" in hostile:
        query = draw(hostile_queries(world))
    elif kind == "list" and method == "GET":
        query = draw(valid_queries(world))

    base = VALID_PATCHES if (kind, method) == ("task", "PATCH") else VALID_TASKS
    if "body" in hostile:
        body = draw(COMPLETIONS) if kind == "complete" and draw(st.integers(0, 3)) == 0 else draw(hostile_bodies(base))
    elif method.upper() not in ("POST", "PUT", "PATCH"):
        body = b""
    elif kind == "complete":
        body = draw(COMPLETIONS)
    else:
        body = _json_bytes(draw(base), ascii_only=draw(st.booleans()))

    headers: list[tuple[bytes, bytes]] = []
    if body:
        headers.append((b"content-type", draw(st.sampled_from([b"application/json", b"application/merge-patch+json"]))))
    if draw(st.integers(0, 3)) == 0:  # the valid optional headers a careful client sends
        if method == "POST":
            headers.append((b"idempotency-key", f"key-{draw(st.integers(0, 20))}".encode()))
        elif method in ("PUT", "PATCH", "DELETE"):
            headers.append((b"if-match", f"\x01etag{pool_index}\x01".encode()))
        elif method == "GET" and kind == "task":
            headers.append((b"if-none-match", f"\x01etag{pool_index}\x01".encode()))
        headers.append((b"x-request-id", f"req-{draw(st.integers(0, 99))}".encode()))
    if "headers" in hostile:
        extra = draw(st.lists(hostile_header(world), min_size=1, max_size=3))
        if any(name == b"content-type" for name, _ in extra):
            headers = [(name, value) for name, value in headers if name != b"content-type"]
        headers = draw(st.permutations(headers + extra))
    chunks = draw(st.sampled_from([2, 3, 7])) if "framing" in hostile and body else 1
    return Hostile(method, raw_path, "&".join(query).encode("ascii"), tuple(headers), body, chunks)


def catalogue(world: World) -> list[Hostile]:
    """Every hand-picked hostile value in every place it fits, once, in an otherwise valid request.

    Random generation lands on a given edge (a 4301-digit ETag, a due date in year 9999 with a
    negative offset) only now and then; this sweep makes sure each is tried at every place.
    """
    json_type = ((b"content-type", b"application/json"),)
    task, complete, tasks = (
        "/api/mallory/tasks/\x010:0\x01",
        "/api/mallory/tasks/\x011:0\x01/complete",
        "/api/mallory/tasks",
    )
    valid = json.dumps({"title": "valid"}).encode()
    plans: list[Hostile] = []

    def add(
        method: str, path: str, query: str = "", headers: tuple[tuple[bytes, bytes], ...] = (), body: bytes = b""
    ) -> None:
        plans.append(Hostile(method, path, query.encode("ascii"), (json_type if body else ()) + headers, body))

    for name, values in TYPED_VALUES.items():
        for value in values:
            add("GET", tasks, _pair(name, value))
    for sort in SORTS:
        for position, value in [(1, value) for value in FORGED_VALUES] + [(2, "not-a-uuid"), (0, "0" * 16)]:
            add("GET", tasks, f"sort={sort}&limit=1&cursor={_forge(world.cursors[sort], position, value)}")
    for name, values in TYPED_HEADERS.items():
        for value in values + (world.victim_etags if b"match" in name else []):
            header_ = ((name, _field_value(value.encode("utf-8"))),)
            if name == b"content-type":
                add("POST", tasks, headers=header_, body=valid)
                add("PATCH", task, headers=header_, body=b'{"priority": "low"}')
                continue
            add("POST", tasks, headers=header_, body=valid)
            add("PUT", task, headers=header_, body=valid)
            add("PATCH", task, headers=header_, body=b'{"priority": "low"}')
            add("PATCH", complete, headers=header_)
            add("PATCH", complete, headers=header_, body=b'{"completed": true}')
            add("GET", task, headers=header_)
            add("DELETE", "/api/mallory/tasks/\x017:0\x01", headers=header_)
    fields = {
        "title": TEXT_VALUES, "description": TEXT_VALUES + ["d" * 1000, "d" * 1001], "due_at": DATE_VALUES,
        "priority": ENUM_VALUES, "completed": BOOL_VALUES, "tags": [[value] for value in TEXT_VALUES],
    }  # fmt: skip
    for name, values in fields.items():
        for value in values:
            document = {"title": "valid", name: value}
            for ascii_only in (True, False):
                body = _json_bytes(document, ascii_only)
                add("POST", tasks, body=body)
                add("PUT", task, body=body)
                add("PATCH", task, body=_json_bytes({name: value}, ascii_only))
    for body in CRAFTED_BODIES:
        for method, path in (("POST", tasks), ("PUT", task), ("PATCH", task), ("PATCH", complete)):
            add(method, path, body=body)
    for text in TEXT_VALUES + LOOKALIKES + RAW_PIECES:
        segment = _encode(text) if text not in RAW_PIECES else text
        add("GET", f"/api/{segment}/tasks")
        add("POST", f"/api/{segment}/tasks", body=valid)
        add("GET", f"/api/mallory/tasks/{segment}")
        add("DELETE", f"/api/mallory/tasks/{segment}")
    for victim_id in world.victim_ids:
        for spelling in SPELLINGS:
            add("GET", f"/api/mallory/tasks/{spelling(victim_id)}")
        for method, path, body in (
            ("PUT", f"/api/mallory/tasks/{victim_id}", valid),
            ("PATCH", f"/api/mallory/tasks/{victim_id}", b'{"title": "mine now"}'),
            ("PATCH", f"/api/mallory/tasks/{victim_id}/complete", b""),
            ("DELETE", f"/api/mallory/tasks/{victim_id}", b""),
        ):
            add(method, path, body=body)
            add(method, path, headers=((b"if-match", b"*"),), body=body)
            for victim_etag in world.victim_etags[:2]:
                add(method, path, headers=((b"if-match", victim_etag.encode()),), body=body)
        add("GET", f"/api/mallory/tasks/{victim_id}", headers=((b"if-none-match", b"*"),))
    for method in ODD_METHODS:
        for path in (tasks, task, complete, "/health"):
            add(method, path)
    return plans


# ------------------------------------------------------------------------------------------------
# What every answer must be.

TASK_PATH = re.compile(r"^/api/([^/]*)/tasks(?:/([^/]*))?")
REASONABLE_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,200}")


def _aims_at_a_victim(request: Hostile) -> bool:
    """Whether the path, as a router could see it (dot segments and doubled slashes resolved), names a victim."""
    path = posixpath.normpath("/" + request.path.lstrip("/"))
    return any(path == f"/api/{owner}" or path.startswith(f"/api/{owner}/") for owner in VICTIMS)


def _canonical_task_id(text: str | None) -> str | None:
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None


def _objects(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        yield document
        for value in document.values():
            yield from _objects(value)
    elif isinstance(document, list):
        for value in document:
            yield from _objects(value)


def violations(request: Hostile, answer: Answer, world: World) -> list[str]:
    if answer.escaped:
        return [f"an exception left the app (a server answers 500): {answer.escaped[:200]}"]
    found = []
    if answer.status >= 500:
        found.append("a 5xx answer")
    content_type = answer.header("content-type")
    if request.method == "HEAD":  # no body to look at
        if answer.status >= 400 and (content_type or "").split(";")[0].strip() != "application/problem+json":
            found.append(f"HEAD {answer.status} with content type {content_type!r}")
    else:
        found += problem_violations(answer.status, content_type, answer.body, request.as_text())

    request_id = answer.header("x-request-id")
    sent_id = request.header(b"x-request-id")
    if request_id is None:
        found.append("no X-Request-ID")
    elif sent_id is not None and REASONABLE_REQUEST_ID.fullmatch(sent_id):
        if request_id.encode("latin-1") != sent_id:
            found.append("X-Request-ID: a reasonable id was not echoed")
    elif not re.fullmatch(r"[0-9a-f]{32}", request_id):
        found.append(f"X-Request-ID: an unreasonable id was not replaced by a new one ({request_id[:40]!r})")

    if answer.status < 400:
        match = TASK_PATH.match(request.path)
        # (OPTIONS is answered by the framework alike for every id, existing or not: it reveals nothing.)
        if match and _canonical_task_id(match.group(2)) in world.victim_ids and request.method != "OPTIONS":
            found.append(f"{answer.status} for another owner's task id")
        try:
            document = json.loads(answer.body) if answer.body else None
        except ValueError:
            document = None
        for item in _objects(document):
            if item.get("id") in world.victim_ids or item.get("user_id") in VICTIMS:
                found.append("a victim's task in the answer")
            elif match and "user_id" in item and item["user_id"] != match.group(1):
                found.append("a task of an owner other than the path's in the answer")
    return found


@dataclass
class Findings:
    """Violations grouped by what and where, each with a count and its shortest request."""

    groups: dict[tuple[str, ...], tuple[int, Hostile, Answer, str | None]] = field(default_factory=dict)

    def add(self, request: Hostile, answer: Answer, problems: list[str], cause: str | None) -> None:
        match = TASK_PATH.match(request.path)
        route = request.path[:40]
        if match:
            route = "/api/{user_id}/tasks" + ("/{task_id}" if match.group(2) is not None else "")
        for problem in problems:
            headline = re.sub(r"\d{4,}", "N", problem)[:120]
            where = re.sub(r"\d{4,}", "N", cause or "")[:160]
            key = (request.method, route, str(answer.status), headline, where)
            count, shortest, shortest_answer, shortest_cause = self.groups.get(key, (0, request, answer, cause))
            if len(request.describe()) < len(shortest.describe()):
                shortest, shortest_answer, shortest_cause = request, answer, cause
            self.groups[key] = (count + 1, shortest, shortest_answer, shortest_cause)

    def report(self) -> str:
        lines = [f"{len(self.groups)} kinds of violation:"]
        for (method, route, status, headline, _), (count, request, answer, cause) in sorted(
            self.groups.items(), key=lambda item: -item[1][0]
        ):
            lines.append(f"\n- {count}x {method} {route} -> {status}: {headline}")
            if cause:
                lines.append(f"  server log: {cause}")
            lines.append(f"  shortest: {request.describe()}")
            lines.append(f"  answer: {answer.status} {answer.body[:300]!r}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# The runs.


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    return "\n".join(f"{key}:\n  before {before.get(key)!r:.500}\n  after  {after.get(key)!r:.500}" for key in changed)


def fuzz(database_url: str, examples: int, name: str, record_property: Any) -> None:
    log = ServerLog()
    quiet = logging.getLogger("httpx")  # the set-up's own requests through the TestClient: one INFO line each
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        with world_on(database_url) as world, count_cases(name, record_property) as count:
            logging.getLogger().addHandler(log)  # after the app is built: building it configures logging
            before = world.snapshot()
            findings = Findings()

            def check(plan: Hostile) -> None:
                if _aims_at_a_victim(plan):
                    return  # the victims' own paths are theirs to use; the run is about everyone else
                log.take()
                request, answer = world.send(plan)
                count()
                STATUSES[name][answer.status] += 1
                problems = violations(request, answer, world)
                if problems:
                    findings.add(request, answer, problems, log.take())

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(plan=hostile_requests(world))
            def one_request(plan: Hostile) -> None:
                check(plan)

            for plan in catalogue(world):
                check(plan)
            one_request()
            after = world.snapshot()
            replays = []
            for owner in VICTIMS:
                for i, (body, task) in enumerate(zip(VICTIM_TASKS, world.victim_tasks[owner], strict=True)):
                    again = _created(world.client, owner, body, f"victim-key-{i}")
                    if again != task:
                        replays.append(f"{owner} victim-key-{i}: first {task!r:.300}, replay {again!r:.300}")
            unchanged = world.snapshot()
        failures = []
        if before != after:
            failures.append("The victims' data changed during the run:\n" + _diff(before, after))
        if replays:
            failures.append("Replaying a victim's creation no longer answers its task:\n" + "\n".join(replays))
        if after != unchanged:
            failures.append("Replaying the victims' creations changed their data:\n" + _diff(after, unchanged))
        if findings.groups:
            failures.append(findings.report())
        if failures:
            pytest.fail("\n\n".join(failures), pytrace=False)
    finally:
        logging.getLogger().removeHandler(log)
        quiet.setLevel(level)


def test_hostile_input_in_memory(record_property: Any) -> None:
    fuzz("memory://", MEMORY_EXAMPLES, "fuzz memory://", record_property)


def test_hostile_input_on_sqlite(sqlite_url: str, record_property: Any) -> None:
    fuzz(sqlite_url, SQLITE_EXAMPLES, "fuzz sqlite", record_property)


@pytest.mark.postgres
def test_hostile_input_on_postgres(postgres_url: str, record_property: Any) -> None:
    fuzz(postgres_url, POSTGRES_EXAMPLES, "fuzz postgres", record_property)
