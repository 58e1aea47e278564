"""Hypothesis strategies for hostile requests, and the hand-picked hostile values they draw from.

A request starts valid (the attacker's own tasks, a valid body and query) and then has one to three
aspects made hostile, so that the hostile part reaches the code behind the validation of everything
else:

- path parameters: user ids and task ids of any text (NUL, lone surrogates, right-to-left marks,
  valid and broken `%`-escapes, `%2F`, overlong UTF-8, thousands of characters), lookalikes of the
  victims' ids (case, white space, Unicode normal forms, fullwidth), the victims' real task ids
  under other owners, UUIDs in every spelling, numbers that overflow any integer type;
- the method: HEAD, OPTIONS, TRACE, unknown and lower-case methods;
- query strings: every list parameter with arbitrary text, crafted dates and numbers, real,
  tampered and forged cursors (a real cursor's nonce and tag around a hostile position), repeated and
  unknown parameters, broken escapes;
- headers: If-Match, If-None-Match, Idempotency-Key, X-Request-ID, Content-Type, Host, Cookie,
  Content-Encoding with arbitrary values (any octets HTTP allows in a field value), repeated;
- bodies: arbitrary bytes, arbitrary JSON values, near-valid tasks with wrong types and sizes,
  malformed and deeply nested JSON, other encodings, bodies at and over the size limit;
- framing: the body in several chunks, without Content-Length.

A request aims at the attacker's tasks through tokens the world resolves when it sends it (world.py).
"""

import base64
import json
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, quote_plus

from hypothesis import strategies as st

from tests.property.wire import Hostile
from tests.property.world import ATTACKER, POOL_SIZE, SORTS, SPELLINGS, VICTIMS, World

MAX_BODY_BYTES = 64 * 1024  # the default TODO_MAX_BODY_BYTES, which the world's app runs with

# Valid parts first, then the hostile ones.

ANY_CHAR = st.one_of(
    st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\x00\t\n\r /%?#&=+;\\\u202e\ufeff\u200b")
)
ANY_TEXT = st.text(ANY_CHAR, max_size=30)
LONG_TEXT = st.sampled_from([127, 128, 129, 200, 201, 255, 256, 1000, 1001, 5000]).flatmap(
    lambda n: st.sampled_from(["a" * n, "é" * n, "😀" * n, "\x00" * n, " " * n, "%" * n])
)
SAFE_TEXT = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30).filter(str.strip)


def percent_encode(text: str, safe: str = "") -> str:
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
RAW_TEXT = st.lists(st.one_of(st.sampled_from(RAW_PIECES), ANY_TEXT.map(percent_encode)), max_size=6).map("".join)


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
    ANY_TEXT.map(percent_encode),
    ANY_TEXT.map(lambda text: percent_encode(text, safe="!$&'()*+,;=:@~")),
    st.sampled_from(LOOKALIKES).map(percent_encode),
    st.sampled_from(LOOKALIKES).map(lambda text: percent_encode(text, safe="%")),
    RAW_TEXT,
    LONG_TEXT.map(percent_encode),
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
        ANY_TEXT.map(percent_encode),
        RAW_TEXT,
        LONG_TEXT.map(percent_encode),
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


def query_pair(name: str, value: str | None) -> str:
    encoded = quote_plus(name.encode("utf-8", "surrogatepass"))
    return encoded if value is None else f"{encoded}={quote_plus(value.encode('utf-8', 'surrogatepass'))}"


def forged_cursor(cursor: str, position: int, value: Any) -> str:
    """A real cursor's nonce and tag around a chosen state (query, sort value, id) in plain text."""
    sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    state: list[Any] = ["0" * 16, "2026-01-01T00:00:00+00:00", "0b9e8a54-8d0e-4f2a-9a43-2d7f3c1e5b10"]
    state[position] = value
    plain = json.dumps(state, allow_nan=True).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(sealed[:12] + plain + sealed[-16:]).decode().rstrip("=")


@st.composite
def valid_queries(draw: st.DrawFn, world: World) -> list[str]:
    if draw(st.integers(0, 4)) == 0:  # the next page, as the Link header hands it out
        sort = draw(st.sampled_from(SORTS))
        return [f"sort={sort}", f"limit={draw(st.integers(1, 3))}", f"cursor={world.cursors[sort]}"]
    names = draw(st.lists(st.sampled_from(list(VALID_QUERY_VALUES)), max_size=4, unique=True))
    return [query_pair(name, draw(VALID_QUERY_VALUES[name])) for name in names]


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
    return query_pair(name, value)


@st.composite
def hostile_queries(draw: st.DrawFn, world: World) -> list[str]:
    pairs = draw(valid_queries(world))
    choice = draw(st.integers(0, 3))
    if choice == 0:  # a forged cursor, with the sort it was made for
        sort = draw(st.sampled_from(SORTS))
        position = draw(st.sampled_from([1, 1, 1, 2, 0]))
        forged = forged_cursor(world.cursors[sort], position, draw(st.sampled_from(FORGED_VALUES)))
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


def field_value(raw: bytes) -> bytes:
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
    return name, field_value(value)


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


def json_bytes(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


def hostile_bodies(base: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    documents = st.one_of(near_valid(base), near_valid(base), near_valid(base), JSON_VALUES)
    return st.one_of(
        st.tuples(documents, st.booleans()).map(lambda t: json_bytes(*t)),
        st.tuples(documents, st.booleans()).map(lambda t: json_bytes(*t)),
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
    user = draw(USER_SEGMENTS) if "user" in hostile else percent_encode(ATTACKER)
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
        body = json_bytes(draw(base), ascii_only=draw(st.booleans()))

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
