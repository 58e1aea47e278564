"""Clients for the HTTP tests: an app per test on `memory://`, or on each store kind for smoke tests.

Every response any test receives is also checked for the promises that hold everywhere: never a 500,
and no error body that leaks a stack trace, SQL or driver name.
"""

import logging
from collections.abc import Iterator

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from application.events import TaskEvents
from domain.store import TaskEventLog
from entrypoints.container import Container
from tests.http.clients import open_client


@pytest.fixture
def capfd(capfd: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """pytest's capfd, and afterwards none of the root log handlers the test added.

    An app made during the test has Litestar give the root logger a handler on sys.stderr as it is
    then, capfd's, which closes with the test. A later test in the same process that makes no app of
    its own (an e2e test's httpx requests) would log into the closed stream: "--- Logging error ---".
    pytest's own handlers were there before the test and stay.
    """
    root = logging.getLogger()
    before = set(root.handlers)
    yield capfd
    for handler in set(root.handlers) - before:
        root.removeHandler(handler)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with open_client("memory://") as client:
        yield client


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The app on each kind of store: for the core paths that must behave the same everywhere."""
    url = "memory://" if request.param == "memory" else request.getfixturevalue(f"{request.param}_url")
    with open_client(url) as client:
        yield client


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client_and_store(request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, TaskEventLog]]:
    """The app on each kind of store, and the store it serves from: for a test that must reach behind
    the API, such as one that runs retention (`prune_events`) on its owner's feed."""
    url = "memory://" if request.param == "memory" else request.getfixturevalue(f"{request.param}_url")
    served: list[TaskEventLog] = []

    def events(log: TaskEventLog) -> TaskEvents:
        served.append(log)
        return TaskEvents(log)

    with Container.events.override(providers.Singleton(events, log=Container.store)), open_client(url) as client:
        yield client, served[0]
