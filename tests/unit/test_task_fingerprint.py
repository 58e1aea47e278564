"""A task content's fingerprint: equal for content that checks alike, different for any other content."""

from datetime import timedelta, timezone
from typing import Any

import pytest

from domain.task import TaskDraft
from tests.unit import DUE

BASE: dict[str, Any] = {
    "title": "t",
    "description": "d",
    "completed": False,
    "priority": "low",
    "due_at": DUE,
    "tags": ["a", "b"],
}


def test_the_same_content_has_the_same_fingerprint() -> None:
    assert TaskDraft(**BASE).checked().fingerprint() == TaskDraft(**BASE).checked().fingerprint()
    assert len(TaskDraft(**BASE).checked().fingerprint()) == 64


def test_content_that_parses_alike_has_the_same_fingerprint() -> None:
    same = BASE | {"title": "  t ", "tags": ["a", " b", "a"], "due_at": DUE.astimezone(timezone(timedelta(hours=-7)))}
    assert TaskDraft(**same).checked().fingerprint() == TaskDraft(**BASE).checked().fingerprint()


DIFFERENT: dict[str, dict[str, Any]] = {
    "title": {"title": "u"},
    "description": {"description": "e"},
    "description removed": {"description": None},
    "description empty instead of absent": {"description": ""},
    "completed": {"completed": True},
    "priority": {"priority": "high"},
    "due": {"due_at": DUE + timedelta(microseconds=1)},
    "no due": {"due_at": None},
    "tag order": {"tags": ["b", "a"]},
    "one tag fewer": {"tags": ["a"]},
    "tags joined": {"tags": ["a b"]},
    "a tag more": {"tags": ["a", "b", "c"]},
}


@pytest.mark.parametrize("change", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_different_content_has_a_different_fingerprint(change: dict[str, Any]) -> None:
    base = TaskDraft(**BASE).checked()
    other = TaskDraft(**BASE | change).checked()
    assert other != base
    assert other.fingerprint() != base.fingerprint()


def test_a_null_description_and_an_empty_one_are_different_requests() -> None:
    """Idempotency: a replay with `"description": ""` after `null` is another body, so it must not match."""
    absent = TaskDraft("t", None).checked()
    empty = TaskDraft("t", "").checked()
    assert absent != empty
    assert absent.fingerprint() != empty.fingerprint()
