"""Fixtures of the end-to-end tests: a store shared by a module's servers; `serve` and the rest come
from the plugin tests/e2e/servers.py."""

from collections.abc import Iterator

import pytest

from tests.e2e.servers import Server, servers


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The DATABASE_URL of each store, shared by one module's tests (they isolate by owner)."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_database"))
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'tasks.sqlite3'}"


@pytest.fixture(scope="module")
def two_worker_server(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`todo serve --workers 2`: two processes racing on one store."""
    with servers(tmp_path_factory.mktemp("serve")) as serve:
        yield serve(store_url, workers=2)
