"""The operational endpoints: liveness, readiness, and the interactive OpenAPI documentation."""

from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.http.routes.docs import CONTENT_SECURITY_POLICY
from tests.databases import create_database, drop_database
from tests.http.clients import assert_problem, open_client, tasks_url

UNREACHABLE_STORES = {
    "sqlite in a missing directory": "sqlite:////nonexistent-dir/tasks.sqlite3",
    "postgres on a closed port": "postgresql://postgres@127.0.0.1:1/todo",
}


def test_health_is_200(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_200_with_a_working_store(store_client: TestClient) -> None:
    response = store_client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.parametrize("url", UNREACHABLE_STORES.values(), ids=UNREACHABLE_STORES.keys())
def test_an_unreachable_store_is_a_503_problem_but_health_stays_up(url: str) -> None:
    with open_client(url, db_timeout=0.5, pool_size=1) as client:
        assert client.get("/health").status_code == 200
        for response in (
            client.get("/ready"),
            client.get(tasks_url("u")),
            client.post(tasks_url("u"), json={"title": "x"}),
            client.post(tasks_url("u"), json={"title": "x"}, headers={"Idempotency-Key": "retry-safe"}),
        ):
            assert_problem(response, 503)
            assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_store_not_migrated_is_not_ready_and_answers_503_not_500(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = create_database(server, migrate=False)
        request.addfinalizer(lambda: drop_database(server, url))
    with open_client(url, db_timeout=1, pool_size=1) as client:
        assert client.get("/health").status_code == 200
        for response in (
            client.get("/ready"),
            client.get(tasks_url("u")),
            client.post(tasks_url("u"), json={"title": "x"}),
            client.post(tasks_url("u"), json={"title": "x"}, headers={"Idempotency-Key": "retry-safe"}),
        ):
            assert_problem(response, 503)


def test_docs_serve_an_interactive_html_page(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui-bundle.js" in response.text
    assert 'data-url="/docs/openapi.json"' in response.text
    assert "https://" not in response.text  # everything it loads, the service serves


@pytest.mark.parametrize(
    "path",
    ["/docs", "/docs/swagger-ui-start.js", "/docs/swagger-ui/swagger-ui.css", "/docs/swagger-ui/swagger-ui-bundle.js"],
)
def test_every_answer_under_docs_carries_the_content_security_policy(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_swagger_ui_asks_no_validator_elsewhere_to_check_the_document(client: TestClient) -> None:
    start = client.get("/docs/swagger-ui-start.js").text

    assert "validatorUrl: null" in start


def test_the_openapi_document_describes_every_task_operation(client: TestClient) -> None:
    response = client.get("/docs/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/{user_id}/tasks"]) >= {"get", "post"}
    assert set(paths["/api/{user_id}/tasks/{task_id}"]) >= {"get", "put", "delete"}
    assert "patch" in paths["/api/{user_id}/tasks/{task_id}/complete"]
    assert {"/health", "/ready"} <= set(paths)


def test_the_document_names_operations_and_bodies_as_client_generators_want_them(client: TestClient) -> None:
    document = client.get("/docs/openapi.json").json()
    operations = [op for path in document["paths"].values() for op in path.values() if isinstance(op, dict)]

    assert [op["operationId"] for op in operations] == [
        "listTasks",
        "createTask",
        "getTask",
        "replaceTask",
        "deleteTask",
        "updateTask",
        "setTaskCompletion",
        "getTaskHistory",
        "listChanges",
        "followEvents",
        "getHealth",
        "getReadiness",
    ]
    assert {"TaskInput", "TaskPatch", "CompletionInput"} <= set(document["components"]["schemas"])
    assert not [name for name in document["components"]["schemas"] if name.endswith("RequestBody")]
    assert all("`" not in op["summary"] for op in operations)
