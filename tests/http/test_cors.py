"""CORS for browser front ends: off unless TODO_CORS_ORIGINS names origins (or `*`)."""

import json
from collections.abc import Iterator

import httpx
import pytest
from litestar.testing import TestClient

from entrypoints.settings import Settings
from tests.http.clients import create, open_client, tasks_url

APP = "https://app.example.com"
OTHER = "https://evil.example.net"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
REQUEST_HEADERS = {"authorization", "content-type", "if-match", "if-none-match", "idempotency-key", "x-request-id"}
EXPOSED = {"etag", "location", "link", "x-request-id", "retry-after", "www-authenticate"}


def preflight(client: TestClient, origin: str, method: str = "POST", headers: str = "content-type") -> httpx.Response:
    return client.options(
        tasks_url("alice"),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def listed(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


@pytest.fixture
def cors_client() -> Iterator[TestClient]:
    with open_client("memory://", access_log=False, cors_origins=(APP, "https://*.example.org")) as client:
        yield client


def test_cors_is_off_by_default(client: TestClient) -> None:
    assert Settings.from_env({}).cors_origins == ()

    answer = preflight(client, APP)
    simple = client.get(tasks_url("alice"), headers={"Origin": APP})

    for response in (answer, simple):
        assert not any(name.startswith("access-control-") for name in response.headers), response.headers


def test_a_preflight_from_a_configured_origin_is_allowed(cors_client: TestClient) -> None:
    response = preflight(
        cors_client, APP, "PATCH", "Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-ID"
    )

    assert response.status_code == 204
    headers = response.headers
    assert headers["access-control-allow-origin"] == APP
    assert "origin" in listed(headers.get("vary"))
    assert listed(headers["access-control-allow-methods"]) >= {m.lower() for m in METHODS}
    assert listed(headers["access-control-allow-headers"]) >= REQUEST_HEADERS
    assert int(headers["access-control-max-age"]) > 0
    assert headers["x-request-id"]


def test_a_configured_origin_reads_the_answer_and_its_headers(cors_client: TestClient) -> None:
    response = cors_client.post(tasks_url("alice"), json={"title": "x"}, headers={"Origin": APP})

    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == APP
    assert listed(response.headers["access-control-expose-headers"]) == EXPOSED
    assert "access-control-allow-credentials" not in response.headers


def test_an_error_answer_is_readable_by_a_configured_origin(cors_client: TestClient) -> None:
    response = cors_client.get(tasks_url("alice", "no-such-task"), headers={"Origin": APP})

    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == APP


def test_a_wildcard_subdomain_origin_matches_its_subdomains_only(cors_client: TestClient) -> None:
    allowed = preflight(cors_client, "https://web.example.org")
    refused = preflight(cors_client, "https://example.org.evil.net")

    assert allowed.headers["access-control-allow-origin"] == "https://web.example.org"
    assert "access-control-allow-origin" not in refused.headers


def test_a_preflight_from_another_origin_is_refused(cors_client: TestClient) -> None:
    response = preflight(cors_client, OTHER)
    simple = cors_client.get(tasks_url("alice"), headers={"Origin": OTHER})

    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize(
    ("method", "headers"),
    [("TRACE", "content-type"), ("POST", "cookie"), ("POST", "content-type, x-api-key")],
    ids=["method", "cookie", "unknown header"],
)
def test_a_preflight_for_a_method_or_header_not_allowed_is_refused(
    cors_client: TestClient, method: str, headers: str
) -> None:
    response = preflight(cors_client, APP, method, headers)

    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers


def test_star_allows_any_origin() -> None:
    with open_client("memory://", access_log=False, cors_origins=("*",)) as client:
        answer = preflight(client, OTHER, "DELETE", "if-match")
        task = create(client, "alice")
        read = client.get(tasks_url("alice", task["id"]), headers={"Origin": OTHER})

    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert read.headers["access-control-allow-origin"] == "*"
    assert listed(read.headers["access-control-expose-headers"]) == EXPOSED


def test_a_preflight_is_logged_with_its_route_template(capfd: pytest.CaptureFixture[str]) -> None:
    with open_client("memory://", cors_origins=(APP,)) as client:
        capfd.readouterr()
        response = preflight(client, APP)

    [line] = [json.loads(text) for text in capfd.readouterr().out.splitlines()]
    assert (line["method"], line["route"], line["status"]) == ("OPTIONS", "/api/{user_id}/tasks", 204)
    assert line["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("", ()),
        ("*", ("*",)),
        (f"{APP}", (APP,)),
        (f" {APP}/ , https://Admin.Example.com:8443 ,", (APP, "https://admin.example.com:8443")),
        ("https://*.example.org", ("https://*.example.org",)),
    ],
)
def test_origins_come_from_the_environment(value: str, origins: tuple[str, ...]) -> None:
    assert Settings.from_env({"TODO_CORS_ORIGINS": value}).cors_origins == origins


@pytest.mark.parametrize("value", ["app.example.com", "https://app.example.com/path", "https://a b.com"])
def test_a_value_that_is_not_an_origin_is_refused_at_start(value: str) -> None:
    with pytest.raises(ValueError, match="TODO_CORS_ORIGINS"):
        Settings.from_env({"TODO_CORS_ORIGINS": value})
