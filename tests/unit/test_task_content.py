"""The rules a task's editable fields follow when checked: title, description, completed, priority, due date, tags."""

from datetime import datetime, timedelta, timezone

import pytest

from domain.errors import InvalidInput
from domain.task import MAX_TAG_LENGTH, MAX_TAGS, Priority, TaskDraft, parse_user_id
from tests.unit import fields

HOSTILE = [
    "Robert'); DROP TABLE tasks;--",
    '<script>alert("x")</script>&amp;',
    "🙂👩‍👩‍👧 emoji",
    "\u202eRTL override עברית العربية",
    "line one\nline two\r\n\ttabbed",
    "%s %(title)s {0} \\",
]


# --- title ----------------------------------------------------------------------------------


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


# --- description ----------------------------------------------------------------------------


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


# --- text that cannot be stored, and text that only looks dangerous ------------------------


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


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_accepted_verbatim(text: str) -> None:
    content = TaskDraft(text, text).checked()
    assert (content.title, content.description) == (text.strip(), text)
    as_owner = text.replace("/", "")  # the one character a user id cannot hold (a path segment cannot)
    assert parse_user_id(as_owner) == as_owner


# --- completed ------------------------------------------------------------------------------


def test_completed_defaults_to_false() -> None:
    assert TaskDraft("t").checked().completed is False


# --- priority -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "priority"),
    [("none", Priority.NONE), ("low", Priority.LOW), ("medium", Priority.MEDIUM), ("high", Priority.HIGH)],
)
def test_priority_labels_parse_and_print_both_ways(label: str, priority: Priority) -> None:
    assert Priority.parse(label) is priority
    assert priority.label == label
    assert TaskDraft("t", priority=label).checked().priority is priority


def test_priorities_are_stored_as_0_to_3_and_ordered() -> None:
    assert [int(p) for p in (Priority.NONE, Priority.LOW, Priority.MEDIUM, Priority.HIGH)] == [0, 1, 2, 3]
    assert Priority.NONE < Priority.LOW < Priority.MEDIUM < Priority.HIGH


@pytest.mark.parametrize("label", ["urgent", "", " high", "3", "critical", "nONE "])
def test_an_unknown_priority_names_the_field(label: str) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", priority=label).checked()
    assert fields(error) == {"priority"}
    assert "none, low, medium, high" in error.value.errors[0].message


def test_priority_defaults_to_none() -> None:
    assert TaskDraft("t").checked().priority is Priority.NONE


# --- due date -------------------------------------------------------------------------------


def test_due_at_without_an_offset_is_rejected() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", due_at=datetime(2026, 2, 1, 12, 0)).checked()
    assert fields(error) == {"due_at"}


def test_due_at_with_an_offset_is_kept_as_the_same_instant_in_utc() -> None:
    local = datetime(2026, 2, 1, 14, 30, 0, 1, tzinfo=timezone(timedelta(hours=2, minutes=30)))

    due = TaskDraft("t", due_at=local).checked().due_at

    assert due == local
    assert due is not None
    assert due.utcoffset() == timedelta(0)
    assert (due.hour, due.minute, due.microsecond) == (12, 0, 1)


def test_due_at_is_optional() -> None:
    assert TaskDraft("t").checked().due_at is None


# --- tags -----------------------------------------------------------------------------------


def test_tags_are_trimmed_and_repeats_dropped_in_the_order_given() -> None:
    content = TaskDraft("t", tags=[" work ", "home", "work", "\thome\n", "errand"]).checked()
    assert content.tags == ("work", "home", "errand")


def test_tags_differing_only_in_case_are_distinct() -> None:
    assert TaskDraft("t", tags=["Home", "home"]).checked().tags == ("Home", "home")


def test_twenty_tags_of_forty_characters_are_accepted() -> None:
    tags = [f"{n:02d}" + "x" * (MAX_TAG_LENGTH - 2) for n in range(MAX_TAGS)]
    assert TaskDraft("t", tags=tags).checked().tags == tuple(tags)


def test_twenty_one_tags_are_rejected() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", tags=[f"tag {n}" for n in range(MAX_TAGS + 1)]).checked()
    assert fields(error) == {"tags"}


def test_the_tag_limit_counts_tags_after_repeats_are_dropped() -> None:
    tags = [f"tag {n}" for n in range(MAX_TAGS)] + ["tag 0", " tag 1 "]
    assert len(TaskDraft("t", tags=tags).checked().tags) == MAX_TAGS


def test_a_tag_of_41_characters_is_rejected_but_40_after_trimming_is_fine() -> None:
    assert TaskDraft("t", tags=["  " + "x" * 40 + "  "]).checked().tags == ("x" * 40,)
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", tags=["x" * 41]).checked()
    assert fields(error) == {"tags"}


@pytest.mark.parametrize("tag", ["", "   ", "\t\n", "a\x00b", "\ud800"])
def test_an_empty_blank_or_unstorable_tag_is_rejected(tag: str) -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("t", tags=["fine", tag]).checked()
    assert fields(error) == {"tags"}


# --- several offending fields ---------------------------------------------------------------


def test_every_offending_field_is_listed_at_once() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft("   ", "d" * 1001).checked()
    assert fields(error) == {"title", "description"}
    assert all(e.message for e in error.value.errors)


def test_all_five_offending_fields_are_listed_at_once() -> None:
    with pytest.raises(InvalidInput) as error:
        TaskDraft(" ", "d" * 1001, priority="urgent", due_at=datetime(2026, 1, 1), tags=["x" * 41]).checked()
    assert fields(error) == {"title", "description", "priority", "due_at", "tags"}
