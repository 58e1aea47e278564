"""Unit tests of the domain and the use cases, with no I/O; here, helpers for the domain tests."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.task import Task, TaskDraft

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
DUE = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def fields(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    """The fields an `InvalidInput` names."""
    return {e.field for e in error.value.errors}


def task_with(**content: Any) -> Task:
    """A task of user "u" created at NOW, titled "t" unless `content` says otherwise."""
    return Task.create("u", TaskDraft(**{"title": "t"} | content).checked(), NOW)
