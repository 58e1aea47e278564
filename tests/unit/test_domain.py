from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.errors import InvalidInput, TaskNotFound
from domain.task import Task, TaskDraft, parse_task_id, parse_user_id

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
HOSTILE = [
    "Robert'); DROP TABLE tasks;--",
    '<script>alert("x")</script>&amp;',
    "🙂👩‍👩‍👧 emoji",
    "\u202eRTL override עברית العربية",
    "line one\nline two\r\n\ttabbed",
    "%s %(title)s {0} \\",
]


def fields(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e.field for e in error.value.errors}


def test_title_is_trimmed() -> None:
    assert TaskDraft("  buy milk \n\t").checked().title == "buy milk"


@pytest.mark.parametrize("title", ["", " ", "\t\n  \r", "\u3000\u00a0"])
def test_blank_title_is_rejected(title: str) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft(title).checked()
    assert fields(error) == {"title"}


def test_title_of_200_characters_is_accepted() -> None:
    assert TaskDraft("x" * 200).checked().title == "x" * 200


def test_title_of_201_characters_is_rejected() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("x" * 201).checked()
    assert fields(error) == {"title"}


def test_surrounding_whitespace_does_not_count_towards_the_title_limit() -> None:
    assert TaskDraft("   " + "x" * 200 + "   ").checked().title == "x" * 200


def test_description_may_be_none() -> None:
    assert TaskDraft("t").checked().description is None


def test_description_of_1000_characters_is_accepted() -> None:
    assert TaskDraft("t", "d" * 1000).checked().description == "d" * 1000


def test_description_of_1001_characters_is_rejected() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", "d" * 1001).checked()
    assert fields(error) == {"description"}


def test_description_is_kept_verbatim_without_trimming() -> None:
    assert TaskDraft("t", "  spaced  ").checked().description == "  spaced  "


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\ud800b", "\udfff"])
def test_nul_and_lone_surrogates_are_rejected_in_title(bad: str) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft(bad).checked()
    assert fields(error) == {"title"}


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\ud800b", "\udfff"])
def test_nul_and_lone_surrogates_are_rejected_in_description(bad: str) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", bad).checked()
    assert fields(error) == {"description"}


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\ud800b", "\udfff"])
def test_nul_and_lone_surrogates_are_rejected_in_user_id(bad: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_user_id(bad)
    assert fields(error) == {"user_id"}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_accepted_verbatim(text: str) -> None:
    content = TaskDraft(text, text).checked()
    assert (content.title, content.description) == (text.strip(), text)
    assert parse_user_id(text) == text


def test_every_offending_field_is_listed_at_once() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("   ", "d" * 1001).checked()
    assert fields(error) == {"title", "description"}
    assert all(e.message for e in error.value.errors)


def test_completed_defaults_to_false() -> None:
    assert TaskDraft("t").checked().completed is False


@pytest.mark.parametrize("user_id", ["u", "x" * 128, "user@example.com", "a/b?c#d"])
def test_user_id_of_1_to_128_characters_is_accepted(user_id: str) -> None:
    assert parse_user_id(user_id) == user_id


@pytest.mark.parametrize("user_id", ["", "x" * 129])
def test_user_id_outside_1_to_128_characters_is_rejected(user_id: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_user_id(user_id)
    assert fields(error) == {"user_id"}


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


def test_create_gives_a_fresh_id_and_equal_timestamps() -> None:
    content = TaskDraft("t", "d", True).checked()
    first, second = Task.create("u", content, NOW), Task.create("u", content, NOW)
    assert first.id != second.id
    assert first.created_at == first.updated_at == NOW
    assert (first.user_id, first.title, first.description, first.completed) == ("u", "t", "d", True)


def test_with_completion_changes_value_and_updated_at() -> None:
    task = Task.create("u", TaskDraft("t").checked(), NOW)
    later = NOW + timedelta(seconds=1)
    done = task.with_completion(True, later)
    assert (done.completed, done.updated_at, done.created_at) == (True, later, NOW)


@pytest.mark.parametrize("completed", [False, True])
def test_with_completion_to_the_same_value_leaves_the_task_unchanged(completed: bool) -> None:
    task = Task.create("u", TaskDraft("t", completed=completed).checked(), NOW)
    assert task.with_completion(completed, NOW + timedelta(hours=1)) == task


def test_with_content_overwrites_fields_and_keeps_created_at() -> None:
    task = Task.create("u", TaskDraft("t", "d", True).checked(), NOW)
    later = NOW + timedelta(minutes=5)
    changed = task.with_content(TaskDraft("new").checked(), later)
    assert (changed.id, changed.title, changed.description, changed.completed) == (task.id, "new", None, False)
    assert (changed.created_at, changed.updated_at) == (NOW, later)
