"""TODO_AUTH=jwt through the real app: which routes need a token, what each refusal says, that a
refused request changes nothing, and that the OpenAPI document declares the scheme. The tokens here
are HS256 with a shared secret (a deployment that signs its own); tests/auth runs Better Auth's."""

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from litestar.testing import TestClient

from tests.auth.keys import AUDIENCE, ISSUER, SigningKey, jwks_server
from tests.http.clients import open_client, tasks_url

SECRET = "a-secret-of-at-least-32-bytes-for-hs256"
SIGNED_BY_SECRET = {"jwt_secret": SECRET, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}


def token(subject: str, *, lifetime: float = 600, secret: str = SECRET) -> str:
    claims = {"sub": subject, "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time() + lifetime)}
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(subject: str, **options: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(subject, **options)}"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with open_client("memory://", auth="jwt", cors_origins=("https://app.example",), **SIGNED_BY_SECRET) as client:
        yield client


def owner_operations(client: TestClient) -> list[tuple[str, str]]:
    """Every operation under /api/{user_id}/ in the OpenAPI document, as (method, path for alice)."""
    paths = client.get("/docs/openapi.json").json()["paths"]
    task = "0b9e8a54-8d0e-4f2a-9a43-2d7f3c1e5b10"
    return [
        (method.upper(), path.replace("{user_id}", "alice").replace("{task_id}", task))
        for path, item in paths.items()
        if path.startswith("/api/")
        for method in item
    ]


def test_every_route_of_an_owner_needs_a_token_and_says_so_as_rfc_6750_asks(client: TestClient) -> None:
    operations = owner_operations(client)
    assert len(operations) >= 10
    for method, path in operations:
        answer = client.request(method, path, json={"title": "x"})
        assert answer.status_code == 401, (method, path)
        assert answer.headers["www-authenticate"] == 'Bearer realm="todo"'
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == 401


def test_the_open_routes_stay_open(client: TestClient) -> None:
    for path in ("/health", "/ready", "/docs", "/docs/openapi.json", "/metrics"):
        assert client.get(path).status_code == 200, path


def test_a_cors_preflight_needs_no_token(client: TestClient) -> None:
    preflight = client.options(
        tasks_url("alice"),
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 204
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


def test_the_owner_is_served_and_another_user_gets_403_whether_they_exist_or_not(client: TestClient) -> None:
    created = client.post(tasks_url("alice"), json={"title": "mine"}, headers=bearer("alice"))
    assert created.status_code == 201
    client.post(tasks_url("bob"), json={"title": "bob's"}, headers=bearer("bob"))

    to_bob = client.get(tasks_url("bob"), headers=bearer("alice"))
    to_nobody = client.get(tasks_url("nobody"), headers=bearer("alice"))
    assert (to_bob.status_code, to_nobody.status_code) == (403, 403)
    assert to_bob.content == to_nobody.content
    assert "www-authenticate" not in to_bob.headers


@pytest.mark.parametrize(
    ("path_user", "subject", "status"),
    [
        ("alice", "alice", 200),
        ("%C3%A9", "\u00e9", 200),
        ("Alice", "alice", 403),
        ("alice ", "alice", 403),
        ("%C3%A9", "e\u0301", 403),  # the same letter, composed otherwise: other bytes
    ],
)
def test_the_path_user_must_equal_the_subject_byte_for_byte(
    client: TestClient, path_user: str, subject: str, status: int
) -> None:
    assert client.get(tasks_url(path_user), headers=bearer(subject)).status_code == status


def test_the_mcp_resource_metadata_is_served_only_with_authentication_on() -> None:
    with open_client("memory://", mcp=True, auth="jwt", **SIGNED_BY_SECRET) as client:
        metadata = client.get("/.well-known/oauth-protected-resource")
    with open_client("memory://", mcp=True) as client:
        absent = client.get("/.well-known/oauth-protected-resource")
    assert metadata.json()["authorization_servers"] == [ISSUER]
    assert absent.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {token('alice', lifetime=-60)}",
        f"Bearer {token('alice', secret='another-secret-of-32-bytes-or-more')}",
        "Bearer not.a.token",
        f"Bearer {'x' * 1_000_000}",
    ],
    ids=["expired", "wrong signature", "malformed", "1 MB"],
)
def test_a_refused_write_changes_nothing_and_its_answer_holds_no_token(client: TestClient, authorization: str) -> None:
    answer = client.post(tasks_url("alice"), json={"title": "sneaked in"}, headers={"Authorization": authorization})
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    given = authorization.removeprefix("Bearer ")
    assert given[:40] not in answer.text
    assert client.get(tasks_url("alice"), headers=bearer("alice")).json() == []
    assert client.get("/api/alice/changes", headers=bearer("alice")).json()["events"] == []


def test_the_stream_alone_takes_the_token_in_its_query_and_only_once(client: TestClient) -> None:
    alices = token("alice")
    assert client.get(f"{tasks_url('alice')}?access_token={alices}").status_code == 401
    both = client.get(f"/api/alice/events?access_token={alices}", headers={"Authorization": f"Bearer {alices}"})
    assert both.status_code == 400
    assert both.headers["www-authenticate"] == 'Bearer realm="todo", error="invalid_request"'
    twice = client.get(f"/api/alice/events?access_token={alices}&access_token={alices}")
    assert twice.status_code == 400
    other = client.get(f"/api/bob/events?access_token={alices}")
    assert other.status_code == 403


def test_the_document_declares_the_bearer_scheme_on_every_owner_route(client: TestClient) -> None:
    document = client.get("/docs/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for path, item in document["paths"].items():
        for operation in item.values():
            if path.startswith("/api/"):
                assert operation["security"] == [{"bearerAuth": []}]
                assert {"401", "403"} <= set(operation["responses"])
            else:
                assert "security" not in operation


def test_with_authentication_off_the_document_and_the_service_are_as_before() -> None:
    with open_client("memory://") as client:
        document = client.get("/docs/openapi.json").json()
        answer = client.get(tasks_url("alice"), headers={"Authorization": "Bearer whatever"})
    assert "securitySchemes" not in document.get("components", {})
    assert answer.status_code == 200


def test_a_key_that_cannot_be_fetched_is_503_with_retry_after() -> None:
    key = SigningKey.made("key-1")
    with jwks_server() as gone:
        url = gone.url
    settings = {"jwt_jwks_url": url, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}
    with open_client("memory://", auth="jwt", **settings) as client:
        answer = client.post(
            tasks_url("alice"), json={"title": "x"}, headers={"Authorization": f"Bearer {key.token('alice')}"}
        )
    assert answer.status_code == 503
    assert int(answer.headers["retry-after"]) > 0


def test_a_refused_request_is_counted_under_its_route_in_the_metrics(client: TestClient) -> None:
    client.get(tasks_url("alice"))
    client.get(tasks_url("bob"), headers=bearer("alice"))
    metrics = client.get("/metrics").text
    assert 'path="/api/{user_id}/tasks",status_code="401"' in metrics
    assert 'path="/api/{user_id}/tasks",status_code="403"' in metrics
    assert "alice" not in metrics
