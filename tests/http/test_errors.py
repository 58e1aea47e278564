"""Everything a client can get wrong, and the 4xx problem it gets back (never a 500, never a leak)."""

import json
import uuid

import httpx
import pytest
from litestar.testing import TestClient

from tests.http.clients import assert_problem, create, error_fields, tasks_url

JSON = {"content-type": "application/json"}
MAX_BODY = 64 * 1024


class Write:
    """Sends raw bodies to create (POST) or to replace an existing task (PUT): both take the task's fields."""

    def __init__(self, client: TestClient, user: str, method: str) -> None:
        self.client, self.user, self.method = client, user, method
        self.url = tasks_url(user) if method == "POST" else tasks_url(user, create(client, user)["id"])
        self.before = tasks_of(client, user)

    def __call__(self, body: bytes) -> httpx.Response:
        return self.client.request(self.method, self.url, content=body, headers=JSON)

    def changed_nothing(self) -> bool:
        return tasks_of(self.client, self.user) == self.before


def tasks_of(client: TestClient, user: str) -> list[dict]:
    return client.get(tasks_url(user)).json()


@pytest.fixture(params=["POST", "PUT"])
def write(request: pytest.FixtureRequest, client: TestClient, user: str) -> Write:
    return Write(client, user, request.param)


@pytest.fixture
def task(client: TestClient, user: str) -> dict:
    return create(client, user, "Mine", description="keep me")


# --- problem bodies ---------------------------------------------------------------------------


def test_a_problem_has_type_title_status_and_detail_only(client: TestClient, user: str) -> None:
    response = client.get(tasks_url(user, str(uuid.uuid4())))

    assert assert_problem(response, 404).keys() == {"type", "title", "status", "detail"}


def test_a_validation_problem_names_every_offending_field(client: TestClient, user: str) -> None:
    response = client.post(tasks_url(user), json={"title": " ", "description": "d" * 1001})

    assert error_fields(response) == {"title", "description"}


# --- malformed JSON: 400 ----------------------------------------------------------------------

MALFORMED = {
    "truncated": b'{"title": "x"',
    "single quotes": b"{'title': 'x'}",
    "trailing comma": b'{"title": "x",}',
    "not json": b"title=x",
    "trailing garbage": b'{"title": "x"} and more',
    "NaN": b'{"title": "x", "description": NaN}',
    "empty": b"",
    "only white space": b" \n",
    "invalid utf-8 in a string": b'{"title": "caf\xc3"}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_is_400(write: Write, body: bytes) -> None:
    assert_problem(write(body), 400)
    assert write.changed_nothing()


@pytest.mark.parametrize("body", [b'{"completed": tru}', b"{", b'{"completed": true,}', b'{"completed": true'])
def test_malformed_json_on_complete_is_400(client: TestClient, user: str, task: dict, body: bytes) -> None:
    response = client.patch(tasks_url(user, task["id"], "/complete"), content=body, headers=JSON)

    assert_problem(response, 400)
    assert tasks_of(client, user) == [task]


# --- well-formed JSON of the wrong shape or type: 422 naming the field --------------------------

WRONG_SHAPE = [
    ({"title": "x", "completed": 1}, "completed"),
    ({"title": "x", "completed": "true"}, "completed"),
    ({"title": "x", "completed": None}, "completed"),
    ({"title": 123}, "title"),
    ({"title": None}, "title"),
    ({"title": ["x"]}, "title"),
    ({}, "title"),
    ({"description": "no title"}, "title"),
    ({"title": "x", "description": 5}, "description"),
    ({"title": "x", "description": {"text": "d"}}, "description"),
    ([], "body"),
    ([{"title": "x"}], "body"),
    ("x", "body"),
    (None, "body"),
]


@pytest.mark.parametrize(("body", "field"), WRONG_SHAPE, ids=[json.dumps(body) for body, _ in WRONG_SHAPE])
def test_wrong_shape_or_type_is_422_naming_the_field(write: Write, body: object, field: str) -> None:
    assert error_fields(write(json.dumps(body).encode())) == {field}
    assert write.changed_nothing()


WRONG_COMPLETION = [
    ({"completed": 1}, "completed"),
    ({"completed": "true"}, "completed"),
    ({"completed": None}, "completed"),
    ({"completed": [True]}, "completed"),
    ({}, "completed"),
    ([], "body"),
    (True, "body"),
]


def test_a_json_null_completion_body_toggles_like_no_body(client: TestClient) -> None:
    task = client.post("/api/u/tasks", json={"title": "t"}).json()

    response = client.patch(f"/api/u/tasks/{task['id']}/complete", content=b"null")

    assert response.status_code == 200
    assert response.json()["completed"] is True


@pytest.mark.parametrize(("body", "field"), WRONG_COMPLETION, ids=[json.dumps(body) for body, _ in WRONG_COMPLETION])
def test_wrong_completion_body_is_422_naming_the_field(
    client: TestClient, user: str, task: dict, body: object, field: str
) -> None:
    response = client.patch(tasks_url(user, task["id"], "/complete"), content=json.dumps(body), headers=JSON)

    assert error_fields(response) == {field}
    assert tasks_of(client, user) == [task]


# --- the domain's rules: 422 naming the field -------------------------------------------------

RULE_BREAKS = {
    "empty title": ({"title": ""}, "title"),
    "spaces-only title": ({"title": "   "}, "title"),
    "white-space-only title": ({"title": "\t\n\r "}, "title"),
    "unicode-space-only title": ({"title": "\u00a0\u2003\u3000"}, "title"),
    "201-character title": ({"title": "t" * 201}, "title"),
    "201 characters after trimming": ({"title": "  " + "t" * 201 + "  "}, "title"),
    "NUL in title": ({"title": "a\x00b"}, "title"),
    "1001-character description": ({"title": "x", "description": "d" * 1001}, "description"),
    "NUL in description": ({"title": "x", "description": "a\x00b"}, "description"),
}


@pytest.mark.parametrize(("body", "field"), RULE_BREAKS.values(), ids=RULE_BREAKS.keys())
def test_rule_breaks_are_422_naming_the_field(write: Write, body: dict, field: str) -> None:
    assert error_fields(write(json.dumps(body).encode())) == {field}
    assert write.changed_nothing()


# name: (method, path after the task id, or None for the collection, JSON body)
OPERATIONS = {
    "list": ("GET", None, None),
    "create": ("POST", None, {"title": "x"}),
    "read": ("GET", "", None),
    "replace": ("PUT", "", {"title": "x"}),
    "delete": ("DELETE", "", None),
    "toggle": ("PATCH", "/complete", None),
    "set completion": ("PATCH", "/complete", {"completed": True}),
}


def operation_url(name: str, user: str, task_id: str) -> str:
    _, suffix, _ = OPERATIONS[name]
    return tasks_url(user) if suffix is None else tasks_url(user, task_id, suffix)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("bad_user", ["u" * 129, "a\x00b"], ids=["129 characters", "NUL"])
def test_a_bad_user_id_is_422_naming_user_id(client: TestClient, operation: str, bad_user: str) -> None:
    method, _, body = OPERATIONS[operation]

    response = client.request(method, operation_url(operation, bad_user, str(uuid.uuid4())), json=body)

    assert error_fields(response) == {"user_id"}


# --- unknown and odd ids: the same 404 whether the task is elsewhere or nowhere -----------------

ANOTHER_USERS_TASK = "another user's task"
# A random id gets a fixed name: every pytest-xdist worker must collect the same tests.
UNKNOWN_ID = pytest.param(str(uuid.uuid4()), id="unknown uuid")
ODD_IDS = ["abc", "-1", "1" * 25, "%00", "%FF", UNKNOWN_ID, ANOTHER_USERS_TASK]
ON_ONE_TASK = [name for name, (_, suffix, _) in OPERATIONS.items() if suffix is not None]


@pytest.mark.parametrize("operation", ON_ONE_TASK)
@pytest.mark.parametrize("odd_id", ODD_IDS)
def test_odd_and_unknown_ids_are_the_same_404(
    client: TestClient, user: str, other_user: str, task: dict, operation: str, odd_id: str
) -> None:
    task_id = create(client, other_user)["id"] if odd_id == ANOTHER_USERS_TASK else odd_id
    nowhere = client.get(tasks_url(user, str(uuid.uuid4()))).json()
    method, _, body = OPERATIONS[operation]

    response = client.request(method, operation_url(operation, user, task_id), json=body)

    assert assert_problem(response, 404) == nowhere
    assert tasks_of(client, user) == [task]


# --- oversized bodies: 413 --------------------------------------------------------------------

FIVE_MB = json.dumps({"title": "big", "description": "d" * 5_000_000}).encode()


@pytest.mark.parametrize("operation", ["create", "replace", "set completion"])
def test_a_5_mb_body_is_413(client: TestClient, user: str, task: dict, operation: str) -> None:
    method, _, _ = OPERATIONS[operation]

    response = client.request(method, operation_url(operation, user, task["id"]), content=FIVE_MB, headers=JSON)

    assert_problem(response, 413)
    assert tasks_of(client, user) == [task]


def test_a_5_mb_body_without_content_length_is_413(client: TestClient, user: str) -> None:
    chunks = (FIVE_MB[i : i + 65536] for i in range(0, len(FIVE_MB), 65536))

    assert_problem(client.post(tasks_url(user), content=chunks, headers=JSON), 413)
    assert tasks_of(client, user) == []


def padded(size: int) -> bytes:
    """A valid create body of exactly `size` bytes (the padding is a read-only field, so ignored)."""
    skeleton = b'{"title": "x", "id": ""}'
    return skeleton.replace(b'""', b'"' + b"p" * (size - len(skeleton)) + b'"')


def test_a_body_of_exactly_64_kib_is_accepted_and_one_byte_more_is_413(client: TestClient, user: str) -> None:
    assert client.post(tasks_url(user), content=padded(MAX_BODY), headers=JSON).status_code == 201
    assert_problem(client.post(tasks_url(user), content=padded(MAX_BODY + 1), headers=JSON), 413)


# --- routes and methods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/nope", "/api", "/api/u", "/api/u/task", "/api//tasks", "/api/u/tasks/x/done", "/api/u/tasks/x/complete/y"],
)
def test_an_unknown_route_is_a_404_problem(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/u/tasks"),
        ("PATCH", "/api/u/tasks"),
        ("DELETE", "/api/u/tasks"),
        ("POST", "/api/u/tasks/{id}"),
        ("GET", "/api/u/tasks/{id}/complete"),
        ("POST", "/api/u/tasks/{id}/complete"),
        ("PUT", "/api/u/tasks/{id}/complete"),
        ("DELETE", "/api/u/tasks/{id}/complete"),
        ("POST", "/health"),
        ("DELETE", "/ready"),
    ],
)
def test_a_wrong_method_is_a_405_problem_with_allow(client: TestClient, method: str, path: str) -> None:
    task_id = create(client, "u")["id"]

    response = client.request(method, path.format(id=task_id), json={"title": "x", "completed": True})

    assert_problem(response, 405)
    assert method not in response.headers["allow"]
    assert client.get(tasks_url("u", task_id)).json()["title"] == "Buy milk"


# --- media types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "declared",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"],
)
@pytest.mark.parametrize(
    ("method", "suffix"), [("POST", ""), ("PUT", "/one"), ("PATCH", "/one"), ("PATCH", "/complete")]
)
def test_a_body_declared_as_another_media_type_is_415_naming_what_is_accepted(
    client: TestClient, user: str, task: dict, declared: str, method: str, suffix: str
) -> None:
    url = tasks_url(user) if not suffix else tasks_url(user, task["id"], "" if suffix == "/one" else suffix)
    body = b'{"completed": true}' if suffix == "/complete" else b'{"title": "changed"}'
    before = tasks_of(client, user)

    response = client.request(method, url, content=body, headers={"content-type": declared})

    problem = assert_problem(response, 415)
    assert problem["errors"][0]["field"] == "Content-Type"
    assert declared in problem["detail"]
    assert "application/json" in problem["detail"]
    assert tasks_of(client, user) == before


@pytest.mark.parametrize("declared", [None, "application/json; charset=utf-8", "application/merge-patch+json"])
def test_a_body_declared_as_json_or_not_at_all_is_taken(client: TestClient, user: str, declared: str | None) -> None:
    headers = {} if declared is None else {"content-type": declared}

    assert client.post(tasks_url(user), content=b'{"title": "t"}', headers=headers).status_code == 201


# --- refusals that name the field, the value and what is allowed ------------------------------


def test_a_value_outside_a_fields_choices_names_the_value_and_the_choices(client: TestClient, user: str) -> None:
    problem = assert_problem(client.post(tasks_url(user), json={"title": "t", "priority": "urgent"}), 422)

    assert problem["errors"] == [
        {"field": "priority", "message": "'urgent' is not allowed: expected one of none, low, medium, high"}
    ]
    assert "'urgent' is not allowed" in problem["detail"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("completed=yes", "completed", "'yes' is not allowed: expected one of true, false"),
        ("priority=urgent", "priority", "'urgent' is not allowed: expected one of none, low, medium, high"),
    ],
)
def test_a_query_parameter_litestar_cannot_read_names_the_value_and_what_is_allowed(
    client: TestClient, user: str, query: str, field: str, message: str
) -> None:
    problem = assert_problem(client.get(f"{tasks_url(user)}?{query}"), 400)

    assert problem["errors"] == [{"field": field, "message": message}]
    assert message in problem["detail"]
    assert "Validation failed" not in problem["detail"]


def test_a_missing_title_is_named_as_required(client: TestClient, user: str) -> None:
    problem = assert_problem(client.post(tasks_url(user), json={"description": "no title"}), 422)

    assert problem["errors"] == [{"field": "title", "message": "is required"}]


def test_a_body_too_large_names_the_limit(client: TestClient, user: str) -> None:
    problem = assert_problem(client.post(tasks_url(user), content=b"x" * (MAX_BODY + 1), headers=JSON), 413)

    assert f"{MAX_BODY} bytes" in problem["detail"]
