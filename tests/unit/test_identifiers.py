"""Parsing the identifiers a request carries: user ids, task ids and idempotency keys."""

from uuid import UUID

import pytest

from domain.errors import InvalidInput, TaskNotFound
from domain.task import parse_idempotency_key, parse_task_id, parse_user_id
from tests.unit import fields

# --- user ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("user_id", ["u", "x" * 128, "user@example.com", "a?b#c", "...", "a.b", ".a"])
def test_user_id_of_1_to_128_characters_is_accepted(user_id: str) -> None:
    assert parse_user_id(user_id) == user_id


@pytest.mark.parametrize("user_id", ["", "x" * 129])
def test_user_id_outside_1_to_128_characters_is_rejected(user_id: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_user_id(user_id)
    assert fields(error) == {"user_id"}


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\ud800b", "\udfff"])
def test_nul_and_lone_surrogates_are_rejected_in_user_id(bad: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_user_id(bad)
    assert fields(error) == {"user_id"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [("a/b", "must not contain `/`"), ("/", "must not contain `/`"), (".", "URL resolution"), ("..", "URL resolution")],
)
def test_a_user_id_no_path_segment_can_name_is_rejected(bad: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_user_id(bad)
    assert fields(error) == {"user_id"}
    assert message in error.value.errors[0].message


# --- task ids -------------------------------------------------------------------------------

CANONICAL = "0b8f3c52-4d1e-4a7b-9c3d-2e5f6a7b8c9d"


@pytest.mark.parametrize("raw", [CANONICAL, CANONICAL.upper(), "0B8f3C52-4d1E-4a7b-9C3d-2e5F6a7b8c9D"])
def test_canonical_task_ids_are_accepted_in_any_case(raw: str) -> None:
    assert parse_task_id(raw) == UUID(CANONICAL)


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "-1",
        "1234567890123456789012345",
        "\x00",
        "",
        CANONICAL.replace("-", ""),
        "{" + CANONICAL + "}",
        "urn:uuid:" + CANONICAL,
        " " + CANONICAL,
        CANONICAL + "\n",
    ],
)
def test_non_canonical_task_ids_name_no_task(raw: str) -> None:
    with pytest.raises(TaskNotFound):
        parse_task_id(raw)


# --- idempotency keys -----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k", "x" * 255, "2f8e-uuid-like", "!~{}[]", "a-b_c.d"])
def test_an_idempotency_key_of_1_to_255_visible_ascii_characters_is_accepted(key: str) -> None:
    assert parse_idempotency_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there", "new\nline", "\x00", "🙂"])
def test_other_idempotency_keys_are_rejected_naming_the_header(key: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_idempotency_key(key)
    assert fields(error) == {"Idempotency-Key"}
