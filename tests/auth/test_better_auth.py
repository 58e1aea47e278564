"""The real `todo serve` behind a real Better Auth server: each user sees and changes only their own
tasks, over REST, the event stream and MCP; expired tokens, rotated keys and a JWKS that is down.

Better Auth is the npm package (tests/auth/better_auth), run by Node.js with its in-memory adapter
and JWT plugin: EdDSA tokens from `/api/auth/token`, keys at `/api/auth/jwks`.
"""

import asyncio
import base64
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.auth.better_auth import BetterAuth, User, better_auth
from tests.e2e.servers import Server, servers
from tests.e2e.sse import event_stream

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BetterAuth]:
    with better_auth(tmp_path_factory.mktemp("better-auth")) as server:
        yield server


@pytest.fixture(scope="module")
def service(auth_server: BetterAuth, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with servers(tmp_path_factory.mktemp("service")) as serve:
        yield serve(None, env={**auth_server.service_settings(), "TODO_MCP": "true"})


@pytest.fixture(scope="module")
def alice(auth_server: BetterAuth) -> User:
    return auth_server.sign_up("alice")


@pytest.fixture(scope="module")
def bob(auth_server: BetterAuth) -> User:
    return auth_server.sign_up("bob")


def test_better_auth_user_ids_are_32_characters_and_its_tokens_are_eddsa(auth_server: BetterAuth, alice: User) -> None:
    token = auth_server.token(alice)
    assert len(alice.id) == 32
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == alice.id


def test_each_user_sees_and_changes_only_their_own_tasks(
    service: Server, auth_server: BetterAuth, alice: User, bob: User
) -> None:
    as_alice, as_bob = bearer(auth_server.token(alice)), bearer(auth_server.token(bob))
    base = service.base_url
    mine = httpx.post(f"{base}/api/{alice.id}/tasks", json={"title": "alice's"}, headers=as_alice)
    theirs = httpx.post(f"{base}/api/{bob.id}/tasks", json={"title": "bob's"}, headers=as_bob)
    assert (mine.status_code, theirs.status_code) == (201, 201)

    listed = httpx.get(f"{base}/api/{alice.id}/tasks", headers=as_alice).json()
    assert [task["title"] for task in listed] == ["alice's"]

    bobs = f"{base}/api/{bob.id}"
    task = f"{bobs}/tasks/{theirs.json()['id']}"
    attempts = [
        httpx.get(f"{bobs}/tasks", headers=as_alice),
        httpx.get(task, headers=as_alice),
        httpx.patch(task, json={"title": "taken"}, headers=as_alice),
        httpx.put(task, json={"title": "taken"}, headers=as_alice),
        httpx.delete(task, headers=as_alice),
        httpx.post(f"{bobs}/tasks", json={"title": "planted"}, headers=as_alice),
        httpx.get(f"{task}/history", headers=as_alice),
        httpx.get(f"{bobs}/changes", headers=as_alice),
        httpx.get(f"{bobs}/events", headers=as_alice),
        httpx.get(f"{base}/api/nobody-at-all/tasks", headers=as_alice),
    ]
    assert {answer.status_code for answer in attempts} == {403}
    assert {answer.content for answer in attempts} == {attempts[0].content}  # whether the user exists or not
    assert bob.id not in attempts[0].text
    escaped_once = f"{alice.id[:-1]}%{ord(alice.id[-1]):02X}"  # the server decodes it to alice's id
    escaped_twice = f"{alice.id[:-1]}%25{ord(alice.id[-1]):02X}"  # decoded once: not her id
    assert httpx.get(f"{base}/api/{escaped_once}/tasks", headers=as_alice).status_code == 200
    assert httpx.get(f"{base}/api/{escaped_twice}/tasks", headers=as_alice).status_code == 403
    still = httpx.get(f"{bobs}/tasks", headers=as_bob).json()
    assert [(t["title"], t["completed"]) for t in still] == [("bob's", False)]


async def test_the_stream_takes_the_token_as_access_token_and_never_logs_it(
    service: Server, auth_server: BetterAuth
) -> None:
    alice = auth_server.sign_up("alice")
    token = auth_server.token(alice)
    url = f"{service.base_url}/api/{alice.id}/events?access_token={token}"
    async with httpx.AsyncClient() as client, event_stream(client, url) as stream:
        assert stream.response.status_code == 200
        created = await client.post(
            f"{service.base_url}/api/{alice.id}/tasks", json={"title": "streamed"}, headers=bearer(token)
        )
        events = await stream.wait_for_events(1, timeout=2)
    assert [e.cloud_event["data"]["id"] for e in events] == [created.json()["id"]]
    await asyncio.sleep(0.2)  # the access log line of the stream
    log = service.output()
    assert token not in log
    assert token.split(".")[2] not in log
    assert f'"subject":"{alice.id}"' in log


def test_no_token_or_a_token_in_two_places_is_refused_with_the_rfc_6750_challenge(
    service: Server, auth_server: BetterAuth, alice: User
) -> None:
    token = auth_server.token(alice)
    missing = httpx.get(f"{service.base_url}/api/{alice.id}/tasks")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="todo"'
    assert missing.headers["content-type"] == "application/problem+json"
    twice = httpx.get(f"{service.base_url}/api/{alice.id}/events?access_token={token}", headers=bearer(token))
    assert twice.status_code == 400
    assert 'error="invalid_request"' in twice.headers["www-authenticate"]
    not_on_tasks = httpx.get(f"{service.base_url}/api/{alice.id}/tasks?access_token={token}")
    assert not_on_tasks.status_code == 401
    for open_path in ("/health", "/ready", "/docs", "/metrics"):
        assert httpx.get(service.base_url + open_path).status_code == 200, open_path


def mcp_call(base_url: str, token: str | None, tool: str, **arguments: Any) -> httpx.Response:
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    return httpx.post(f"{base_url}/mcp", json=message, headers=headers | (bearer(token) if token else {}))


def test_mcp_over_http_is_a_protected_resource_whose_tools_act_for_the_tokens_user(
    service: Server, auth_server: BetterAuth, alice: User, bob: User
) -> None:
    refused = mcp_call(service.base_url, None, "list_tasks", user_id=alice.id)
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    metadata_url = challenge.split('resource_metadata="')[1].split('"')[0]
    assert metadata_url == f"{service.base_url}/.well-known/oauth-protected-resource/mcp"
    metadata = httpx.get(metadata_url).json()
    assert metadata["resource"] == f"{service.base_url}/mcp"
    assert metadata["authorization_servers"] == [auth_server.base_url]

    token = auth_server.token(alice)
    added = mcp_call(service.base_url, token, "add_task", user_id=alice.id, title="from an agent").json()
    assert added["result"]["structuredContent"]["status"] == "created"
    titles = [t["title"] for t in httpx.get(f"{service.base_url}/api/{alice.id}/tasks", headers=bearer(token)).json()]
    assert "from an agent" in titles

    for tool, arguments in [("list_tasks", {}), ("add_task", {"title": "planted"})]:
        other = mcp_call(service.base_url, token, tool, user_id=bob.id, **arguments).json()["result"]
        assert other["isError"] is True
        assert "nothing was done" in other["content"][0]["text"]
    bobs = httpx.get(f"{service.base_url}/api/{bob.id}/tasks", headers=bearer(auth_server.token(bob))).json()
    assert "planted" not in [t["title"] for t in bobs]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"x" * 64) -> str:
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


def _hmac_signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """Signed by hand: PyJWT itself refuses a public key as an HMAC secret."""
    signing_input = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())])
    return f"{signing_input}.{_b64(hmac.digest(secret, signing_input.encode(), 'sha256'))}"


def hostile_tokens(auth_server: BetterAuth, user: User) -> dict[str, str]:
    real = auth_server.token(user)
    header, claims = jwt.get_unverified_header(real), jwt.decode(real, options={"verify_signature": False})
    jwk = jwt.PyJWK(httpx.get(auth_server.jwks_url).json()["keys"][0])
    public_pem = jwk.key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    public_raw = jwk.key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    hs256 = {"alg": "HS256", "kid": header["kid"]}
    deep = '{"alg":"EdDSA","x":' + "[" * 2000 + "]" * 2000 + "}"  # deeper than Python's recursion limit
    return {
        "alg none": _forged({"alg": "none", "typ": "JWT"}, claims, b""),
        "HS256 signed with the JWKS public key (PEM)": _hmac_signed(hs256, claims, public_pem),
        "HS256 signed with the JWKS public key (raw)": _hmac_signed(hs256, claims, public_raw),
        "wrong audience": jwt.encode({**claims, "aud": "https://elsewhere.example"}, "k" * 32, algorithm="HS256"),
        "wrong issuer": _forged(header, {**claims, "iss": "https://elsewhere.example"}, real.encode()),
        "kid naming a path": _forged({**header, "kid": "../../../../etc/passwd"}, claims),
        "kid naming a URL": _forged({**header, "kid": "http://127.0.0.1:1/jwks"}, claims),
        "payload changed after signing": _forged(header, {**claims, "exp": claims["exp"] + 3600}, b"")
        + real.split(".")[2],
        "bad base64": "@@@." + real.split(".", 1)[1],
        "header nested deep": _b64(deep.encode()) + "." + real.split(".", 1)[1],
        "not a JWT": "hello",
    }


def test_hostile_tokens_are_401_never_500_and_write_nothing(
    service: Server, auth_server: BetterAuth, alice: User
) -> None:
    tasks = f"{service.base_url}/api/{alice.id}/tasks"
    before = httpx.get(tasks, headers=bearer(auth_server.token(alice))).json()
    for name, token in hostile_tokens(auth_server, alice).items():
        answer = httpx.post(tasks, json={"title": name}, headers=bearer(token))
        assert answer.status_code == 401, name
        assert 'error="invalid_token"' in answer.headers["www-authenticate"], name
        assert answer.json()["detail"] == "The bearer token is not valid.", name
    huge = httpx.post(tasks, json={"title": "huge"}, headers=bearer("a" * 1_000_000))
    assert huge.status_code == 431  # refused with the other oversized headers, before anything reads it
    assert httpx.get(tasks, headers=bearer(auth_server.token(alice))).json() == before
    assert "Traceback" not in service.output()


async def test_a_stream_ends_when_its_token_expires_and_resumes_with_a_fresh_one_losing_nothing(
    tmp_path: Path,
) -> None:
    with better_auth(tmp_path, EXPIRATION_TIME="3s") as auth_server, servers(tmp_path) as serve:
        service = serve(None, env={**auth_server.service_settings(), "TODO_JWT_LEEWAY": "0"})
        user = auth_server.sign_up("carol")
        base = f"{service.base_url}/api/{user.id}"
        first = auth_server.token(user)
        async with httpx.AsyncClient() as client:
            async with event_stream(client, f"{base}/events", **bearer(first)) as stream:
                assert stream.response.status_code == 200
                await client.post(f"{base}/tasks", json={"title": "before"}, headers=bearer(first))
                await stream.wait_for_events(1, timeout=2)
                ended_by = time.time() + 5
                while not stream.ended and time.time() < ended_by:
                    await asyncio.sleep(0.1)
                assert stream.ended, "the stream outlived its token"
                seen = [m.id for m in stream.events]
            expired = await client.get(f"{base}/tasks", headers=bearer(first))
            assert expired.status_code == 401
            assert expired.json()["detail"] == "The bearer token has expired."

            fresh = auth_server.token(user)
            for title in ("while away 1", "while away 2"):
                await client.post(f"{base}/tasks", json={"title": title}, headers=bearer(fresh))
            resumed = {"Last-Event-ID": seen[-1], **bearer(fresh)}
            async with event_stream(client, f"{base}/events", **resumed) as stream:
                assert stream.response.status_code == 200
                events = await stream.wait_for_events(2, timeout=2)
        titles = [e.cloud_event["data"]["title"] for e in events]
        assert titles == ["while away 1", "while away 2"]
        assert int(events[0].id) == int(seen[-1]) + 1


def test_a_rotated_key_is_fetched_and_while_the_jwks_is_down_only_an_unknown_key_is_503(tmp_path: Path) -> None:
    with better_auth(tmp_path, ROTATION_SECONDS="1") as auth_server, servers(tmp_path) as serve:
        service = serve(None, env={**auth_server.service_settings(), "TODO_JWT_JWKS_TTL": "1"})
        dave, erin = auth_server.sign_up("dave"), auth_server.sign_up("erin")
        first, erins_first = auth_server.token(dave), auth_server.token(erin)
        assert httpx.get(f"{service.base_url}/api/{dave.id}/tasks", headers=bearer(first)).status_code == 200

        time.sleep(1.5)
        rotated = auth_server.token(dave)
        assert jwt.get_unverified_header(rotated)["kid"] != jwt.get_unverified_header(first)["kid"]
        assert httpx.get(f"{service.base_url}/api/{dave.id}/tasks", headers=bearer(rotated)).status_code == 200

        time.sleep(1.5)
        unseen = auth_server.token(erin)  # signed with a third key the service has not fetched
        assert jwt.get_unverified_header(unseen)["kid"] not in {
            jwt.get_unverified_header(t)["kid"] for t in (first, rotated)
        }
        auth_server.stop()
        time.sleep(1.1)  # the keys' TTL passes: the next request starts a refresh, which fails
        known = httpx.get(f"{service.base_url}/api/{erin.id}/tasks", headers=bearer(erins_first))
        assert known.status_code == 200  # a key it holds, never seen with this token
        unknown = httpx.get(f"{service.base_url}/api/{erin.id}/tasks", headers=bearer(unseen))
        assert unknown.status_code == 503
        assert int(unknown.headers["retry-after"]) > 0
        assert "Traceback" not in service.output()
