"""Fixtures for the use case tests: a clock that moves only when told, a recording store, the service over both."""

import pytest

from application.tasks import TaskService
from tests.unit.doubles import Clock, RecordingStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> RecordingStore:
    return RecordingStore()


@pytest.fixture
def service(store: RecordingStore, clock: Clock) -> TaskService:
    return TaskService(store, clock)
