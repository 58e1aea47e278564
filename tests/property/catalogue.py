"""The catalogue: every hand-picked hostile value in every place it fits, once, in an otherwise valid request.

Random generation lands on a given edge (a 4301-digit ETag, a due date in year 9999 with a negative
offset) only now and then, so a run sends the catalogue (about 3,100 requests) before the random ones.
"""

import json
from typing import Any

from tests.property.hostile import (
    BOOL_VALUES,
    CRAFTED_BODIES,
    DATE_VALUES,
    ENUM_VALUES,
    FORGED_VALUES,
    LOOKALIKES,
    ODD_METHODS,
    RAW_PIECES,
    TEXT_VALUES,
    TYPED_HEADERS,
    TYPED_VALUES,
    field_value,
    forged_cursor,
    json_bytes,
    percent_encode,
    query_pair,
)
from tests.property.wire import Hostile
from tests.property.world import SORTS, SPELLINGS, World


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
            add("GET", tasks, query_pair(name, value))
    for sort in SORTS:
        for position, value in [(1, value) for value in FORGED_VALUES] + [(2, "not-a-uuid"), (0, "0" * 16)]:
            add("GET", tasks, f"sort={sort}&limit=1&cursor={forged_cursor(world.cursors[sort], position, value)}")
    for header_name, values in TYPED_HEADERS.items():
        for value in values + (world.victim_etags if b"match" in header_name else []):
            header_ = ((header_name, field_value(value.encode("utf-8"))),)
            if header_name == b"content-type":
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
    fields: dict[str, list[Any]] = {
        "title": TEXT_VALUES, "description": [*TEXT_VALUES, "d" * 1000, "d" * 1001], "due_at": DATE_VALUES,
        "priority": ENUM_VALUES, "completed": BOOL_VALUES, "tags": [[value] for value in TEXT_VALUES],
    }  # fmt: skip
    for name, values in fields.items():
        for value in values:
            document = {"title": "valid", name: value}
            for ascii_only in (True, False):
                body = json_bytes(document, ascii_only)
                add("POST", tasks, body=body)
                add("PUT", task, body=body)
                add("PATCH", task, body=json_bytes({name: value}, ascii_only))
    for body in CRAFTED_BODIES:
        for method, path in (("POST", tasks), ("PUT", task), ("PATCH", task), ("PATCH", complete)):
            add(method, path, body=body)
    for text in TEXT_VALUES + LOOKALIKES + RAW_PIECES:
        segment = percent_encode(text) if text not in RAW_PIECES else text
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
