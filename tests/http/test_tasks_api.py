"""The task endpoints on the happy path: what each returns, and what it changes."""

import uuid

import pytest
from litestar.testing import TestClient

from tests.http.clients import assert_problem, create, tasks_url, timestamp

HOSTILE_TEXT = [
    "'; DROP TABLE tasks; --",
    "Robert'); DELETE FROM tasks WHERE ('1'='1",
    "1 OR 1=1 UNION SELECT * FROM tasks",
    "%s %(owner)s {0} $1 :owner ? placeholders",
    "<script>alert('x')</script>",
    "emoji 🎉 family 👩‍👩‍👧‍👦 flag 🇳🇴",
    "\u202eRTL override\u200f and \u200e marks",
    "zero\u200bwidth\ufeffno\u200djoin",
    "line one\nline two\r\nline three",
    "back\\slash \\n \\u0000 not escapes",
    "\"double\" 'single' `back` quotes",
    "tab\there \x07bell \x1bescape",
    "NULL",
    "𝔘" * 200,
]


# --- core paths, on every store ---------------------------------------------------------------


def test_create_returns_the_task_and_a_location_that_reads_it(store_client: TestClient, user: str) -> None:
    response = store_client.post(tasks_url(user), json={"title": "Buy milk", "description": "2 litres"})

    assert response.status_code == 201
    task = response.json()
    assert task["user_id"] == user
    assert (task["title"], task["description"], task["completed"]) == ("Buy milk", "2 litres", False)
    assert timestamp(task["created_at"]) == timestamp(task["updated_at"])
    assert response.headers["location"] == tasks_url(user, task["id"])
    assert store_client.get(response.headers["location"]).json() == task


def test_list_returns_only_the_users_tasks_in_creation_order(
    store_client: TestClient, user: str, other_user: str
) -> None:
    ids = [create(store_client, user, f"task {n}")["id"] for n in range(5)]
    create(store_client, other_user, "not yours")

    response = store_client.get(tasks_url(user))

    assert response.status_code == 200
    assert [task["id"] for task in response.json()] == ids
    assert {task["user_id"] for task in response.json()} == {user}


def test_list_of_a_user_with_no_tasks_is_empty(store_client: TestClient, user: str) -> None:
    response = store_client.get(tasks_url(user))

    assert response.status_code == 200
    assert response.json() == []


def test_put_replaces_the_editable_fields(store_client: TestClient, user: str) -> None:
    task = create(store_client, user, "Old", description="old", completed=False)

    response = store_client.put(
        tasks_url(user, task["id"]), json={"title": "New", "description": "new", "completed": True}
    )

    assert response.status_code == 200
    replaced = response.json()
    assert (replaced["title"], replaced["description"], replaced["completed"]) == ("New", "new", True)
    assert (replaced["id"], replaced["created_at"]) == (task["id"], task["created_at"])
    assert timestamp(replaced["updated_at"]) > timestamp(task["updated_at"])
    assert store_client.get(tasks_url(user, task["id"])).json() == replaced


def test_patch_without_body_toggles_and_with_body_sets(store_client: TestClient, user: str) -> None:
    url = tasks_url(user, create(store_client, user)["id"], "/complete")

    assert store_client.patch(url).json()["completed"] is True
    assert store_client.patch(url).json()["completed"] is False
    first = store_client.patch(url, json={"completed": True}).json()
    again = store_client.patch(url, json={"completed": True}).json()

    assert first["completed"] is again["completed"] is True
    assert again["updated_at"] == first["updated_at"]


def test_delete_answers_204_with_no_body_and_the_task_is_gone(store_client: TestClient, user: str) -> None:
    url = tasks_url(user, create(store_client, user)["id"])

    response = store_client.delete(url)

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(store_client.get(url), 404)
    assert_problem(store_client.delete(url), 404)
    assert store_client.get(tasks_url(user)).json() == []


def test_hostile_text_is_stored_and_returned_verbatim(store_client: TestClient, user: str) -> None:
    for text in HOSTILE_TEXT:
        task = create(store_client, user, text, description=text * (1000 // len(text)))
        stored = store_client.get(tasks_url(user, task["id"])).json()
        assert (stored["title"], stored["description"]) == (text, text * (1000 // len(text)))

    assert [task["title"] for task in store_client.get(tasks_url(user)).json()] == HOSTILE_TEXT


@pytest.mark.parametrize(
    "owner",
    ["o'brien", "用户", "a b+c", "<script>", "x'; DROP TABLE tasks;--", "?#&=%", "é" * 128, "🦄"],
    ids=["apostrophe", "cjk", "space-plus", "html", "sql", "url-reserved", "128-accented", "emoji"],
)
def test_odd_user_ids_work_and_stay_apart(store_client: TestClient, owner: str, user: str) -> None:
    response = store_client.post(tasks_url(owner), json={"title": user})

    assert response.status_code == 201
    assert response.json()["user_id"] == owner
    assert store_client.get(response.headers["location"]).json()["user_id"] == owner
    assert user in [task["title"] for task in store_client.get(tasks_url(owner)).json()]
    assert store_client.get(tasks_url(user)).json() == []


def test_another_user_can_neither_see_nor_change_a_task(store_client: TestClient, user: str, other_user: str) -> None:
    task = create(store_client, user, "Mine", description="private")
    theirs = tasks_url(other_user, task["id"])
    nowhere = assert_problem(store_client.get(tasks_url(other_user, str(uuid.uuid4()))), 404)

    attempts = [
        store_client.get(theirs),
        store_client.put(theirs, json={"title": "Stolen", "completed": True}),
        store_client.patch(theirs + "/complete"),
        store_client.patch(theirs + "/complete", json={"completed": True}),
        store_client.delete(theirs),
    ]

    assert [assert_problem(response, 404) for response in attempts] == [nowhere] * len(attempts)
    assert store_client.get(tasks_url(other_user)).json() == []
    assert store_client.get(tasks_url(user, task["id"])).json() == task
    assert store_client.get(tasks_url(user)).json() == [task]


# --- details, on memory ---------------------------------------------------------------------


def test_a_new_task_has_defaults_and_equal_utc_timestamps(client: TestClient, user: str) -> None:
    task = create(client, user, "Buy milk")

    assert task["description"] is None
    assert task["completed"] is False
    assert uuid.UUID(task["id"])
    assert timestamp(task["created_at"]) == timestamp(task["updated_at"])


def test_create_can_start_completed(client: TestClient, user: str) -> None:
    assert create(client, user, completed=True)["completed"] is True


def test_ids_are_unique_across_users(client: TestClient, user: str, other_user: str) -> None:
    ids = {create(client, owner)["id"] for owner in (user, other_user) for _ in range(10)}

    assert len(ids) == 20


def test_success_responses_are_json(client: TestClient, user: str) -> None:
    task = create(client, user)

    for response in (client.get(tasks_url(user)), client.get(tasks_url(user, task["id"]))):
        assert response.headers["content-type"].startswith("application/json")


def test_title_is_trimmed_on_create_and_replace(client: TestClient, user: str) -> None:
    task = create(client, user, "  \t Buy milk \n ")
    replaced = client.put(tasks_url(user, task["id"]), json={"title": "\n Buy bread  "}).json()

    assert task["title"] == "Buy milk"
    assert replaced["title"] == "Buy bread"


def test_limits_are_inclusive(client: TestClient, user: str) -> None:
    task = create(client, user, "   " + "t" * 200 + "   ", description="d" * 1000)

    assert task["title"] == "t" * 200
    assert task["description"] == "d" * 1000


def test_a_user_id_of_128_characters_is_accepted(client: TestClient) -> None:
    assert create(client, "u" * 128)["user_id"] == "u" * 128


def test_location_percent_encodes_the_user_id(client: TestClient) -> None:
    response = client.post(tasks_url("ann ü?#%"), json={"title": "t"})

    assert response.headers["location"] == f"/api/ann%20%C3%BC%3F%23%25/tasks/{response.json()['id']}"


def test_a_user_id_containing_a_slash_names_no_route(client: TestClient) -> None:
    # A path segment cannot carry "/", even as %2F (servers decode it before routing): a documented limit.
    response = client.post(tasks_url("team/ann"), json={"title": "t"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_put_without_description_or_completed_resets_them(client: TestClient, user: str) -> None:
    task = create(client, user, description="notes", completed=True)

    replaced = client.put(tasks_url(user, task["id"]), json={"title": "Only a title"}).json()

    assert replaced["description"] is None
    assert replaced["completed"] is False


def test_a_client_can_put_back_what_it_got(client: TestClient, user: str) -> None:
    task = create(client, user, description="notes")
    got = client.get(tasks_url(user, task["id"])).json()

    response = client.put(tasks_url(user, task["id"]), json=got | {"title": "Edited"})

    assert response.status_code == 200
    assert response.json() | {"updated_at": None} == got | {"title": "Edited", "updated_at": None}


def test_read_only_fields_in_a_create_are_ignored(client: TestClient, user: str, other_user: str) -> None:
    forced_id = str(uuid.uuid4())
    body = {"title": "t", "id": forced_id, "user_id": other_user, "created_at": "2000-01-01T00:00:00Z"}

    task = client.post(tasks_url(user), json=body).json()

    assert task["id"] != forced_id
    assert task["user_id"] == user
    assert not task["created_at"].startswith("2000")
    assert client.get(tasks_url(other_user)).json() == []


def test_read_only_fields_in_a_replace_are_ignored(client: TestClient, user: str, other_user: str) -> None:
    task = create(client, user)
    body = {"title": "t2", "id": str(uuid.uuid4()), "user_id": other_user, "created_at": "2000-01-01T00:00:00Z"}

    replaced = client.put(tasks_url(user, task["id"]), json=body).json()

    assert (replaced["id"], replaced["user_id"], replaced["created_at"]) == (task["id"], user, task["created_at"])
    assert client.get(tasks_url(user, task["id"])).json()["title"] == "t2"
    assert client.get(tasks_url(other_user)).json() == []


def test_put_moves_updated_at_even_with_the_same_content(client: TestClient, user: str) -> None:
    task = create(client, user, "Same")

    replaced = client.put(tasks_url(user, task["id"]), json={"title": "Same"}).json()

    assert timestamp(replaced["updated_at"]) > timestamp(task["updated_at"])
    assert replaced["created_at"] == task["created_at"]


def test_toggle_moves_updated_at_every_time(client: TestClient, user: str) -> None:
    task = create(client, user)
    url = tasks_url(user, task["id"], "/complete")

    first = client.patch(url).json()
    second = client.patch(url).json()

    assert timestamp(task["updated_at"]) < timestamp(first["updated_at"]) < timestamp(second["updated_at"])
    assert second["created_at"] == task["created_at"]


def test_setting_completion_moves_updated_at_only_when_it_changes(client: TestClient, user: str) -> None:
    task = create(client, user)
    url = tasks_url(user, task["id"], "/complete")

    unchanged = client.patch(url, json={"completed": False}).json()
    changed = client.patch(url, json={"completed": True}).json()

    assert unchanged == task
    assert changed["completed"] is True
    assert timestamp(changed["updated_at"]) > timestamp(task["updated_at"])


def test_patch_with_an_empty_body_toggles(client: TestClient, user: str) -> None:
    url = tasks_url(user, create(client, user)["id"], "/complete")

    response = client.patch(url, content=b"", headers={"content-type": "application/json"})

    assert response.status_code == 200
    assert response.json()["completed"] is True


def test_patch_result_is_what_a_later_get_reads(client: TestClient, user: str) -> None:
    task = create(client, user)

    patched = client.patch(tasks_url(user, task["id"], "/complete")).json()

    assert client.get(tasks_url(user, task["id"])).json() == patched


def test_deleting_one_task_leaves_the_others(client: TestClient, user: str) -> None:
    keep, drop = create(client, user, "keep"), create(client, user, "drop")

    assert client.delete(tasks_url(user, drop["id"])).status_code == 204

    assert client.get(tasks_url(user)).json() == [keep]
