"""Bearer token verification (adapters/identity) against keys published by a real HTTP server: what
passes, what is refused and why, and what it costs the JWKS endpoint."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from adapters.identity.keys import KeysUnavailable, PublishedKeys, SharedSecret, UnknownKey
from adapters.identity.tokens import EXPIRED, NOT_VALID, BearerTokens, TokenRefused
from tests.auth.keys import AUDIENCE, ISSUER, JwksServer, SigningKey, jwks_server

pytestmark = pytest.mark.anyio

ASYMMETRIC = ("EdDSA", "ES256", "RS256")


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.made("key-1")


@pytest.fixture
def published(key: SigningKey) -> Iterator[JwksServer]:
    with jwks_server(key) as server:
        yield server


def verifier(url: str, *, leeway: float = 0, ttl: float = 300, interval: float = 30) -> BearerTokens:
    keys = PublishedKeys(url, ttl=ttl, unknown_key_interval=interval)
    return BearerTokens(keys, algorithms=ASYMMETRIC, issuer=ISSUER, audience=AUDIENCE, leeway=leeway)


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
async def test_a_token_signed_with_a_published_key_names_its_caller(algorithm: str) -> None:
    key = SigningKey.made("k", algorithm)
    with jwks_server(key) as published:
        caller = await verifier(published.url).caller(key.token("user-1", lifetime=60))
    assert caller.subject == "user-1"
    assert caller.expires_at == pytest.approx(time.time() + 60, abs=2)


async def refusal(tokens: BearerTokens, token: str) -> str:
    with pytest.raises(TokenRefused) as refused:
        await tokens.caller(token)
    return str(refused.value)


async def test_expiry_honours_the_leeway_and_not_before_is_honoured_too(key: SigningKey, published: JwksServer) -> None:
    expired = key.token("u", lifetime=-10)
    assert await refusal(verifier(published.url), expired) == EXPIRED
    assert (await verifier(published.url, leeway=30).caller(expired)).subject == "u"
    assert await refusal(verifier(published.url), key.token("u", nbf=int(time.time()) + 60)) == NOT_VALID
    assert (await verifier(published.url, leeway=90).caller(key.token("u", nbf=int(time.time()) + 60))).subject == "u"


@pytest.mark.parametrize(
    "claims",
    [{"aud": "https://other.example"}, {"iss": "https://other.example"}, {"sub": 42}, {"sub": ""}],
    ids=["audience", "issuer", "subject a number", "subject empty"],
)
async def test_a_wrong_claim_is_refused(key: SigningKey, published: JwksServer, claims: dict[str, Any]) -> None:
    assert await refusal(verifier(published.url), key.token("u", **claims)) == NOT_VALID


@pytest.mark.parametrize("missing", ["exp", "iss", "aud", "sub"])
async def test_a_token_without_a_required_claim_is_refused(
    key: SigningKey, published: JwksServer, missing: str
) -> None:
    claims = jwt.decode(key.token("u"), options={"verify_signature": False})
    del claims[missing]
    token = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})
    assert await refusal(verifier(published.url), token) == NOT_VALID


async def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(published: JwksServer) -> None:
    impostor = SigningKey.made("key-1")  # the same kid, another private key
    assert await refusal(verifier(published.url), impostor.token("u")) == NOT_VALID


async def test_an_algorithm_not_allowed_or_not_the_keys_own_is_refused(key: SigningKey, published: JwksServer) -> None:
    tokens = verifier(published.url)
    es256 = SigningKey.made("key-1", "ES256")  # ES256 under the EdDSA key's kid
    assert await refusal(tokens, es256.token("u")) == NOT_VALID
    unsigned = jwt.encode({"sub": "u", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 60}, "", algorithm="none")
    assert await refusal(tokens, unsigned) == NOT_VALID
    public_x = key.public_jwk()["x"].encode()
    hmac_signed = jwt.encode({"sub": "u", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 60}, public_x)
    assert await refusal(tokens, hmac_signed) == NOT_VALID


async def test_a_verified_token_is_not_checked_again_until_it_expires(key: SigningKey, published: JwksServer) -> None:
    now = [time.time()]
    keys = PublishedKeys(published.url, ttl=300)
    tokens = BearerTokens(keys, algorithms=ASYMMETRIC, issuer=ISSUER, audience=AUDIENCE, leeway=0, clock=lambda: now[0])
    token = key.token("u", lifetime=60)
    await tokens.caller(token)
    published.keys.clear()  # nothing could verify it again now
    keys._keys.clear()
    assert (await tokens.caller(token)).subject == "u"
    now[0] += 61
    with pytest.raises((TokenRefused, KeysUnavailable)):
        await tokens.caller(token)


async def test_many_waiting_requests_cause_one_fetch(key: SigningKey, published: JwksServer) -> None:
    published.delay = 0.2
    tokens = verifier(published.url)
    callers = await asyncio.gather(*(tokens.caller(key.token(f"u{n}")) for n in range(50)))
    assert {c.subject for c in callers} == {f"u{n}" for n in range(50)}
    assert published.fetches == 1


async def test_made_up_kids_cost_one_fetch_per_interval(key: SigningKey, published: JwksServer) -> None:
    tokens = verifier(published.url)
    await tokens.caller(key.token("u"))
    for n in range(100):
        assert await refusal(tokens, SigningKey.made(f"made-up-{n}").token("u")) == NOT_VALID
    assert published.fetches == 2


async def test_a_new_key_is_fetched_when_a_token_names_it(key: SigningKey, published: JwksServer) -> None:
    tokens = verifier(published.url)
    await tokens.caller(key.token("u"))
    rotated = SigningKey.made("key-2")
    published.keys.append(rotated)
    assert (await tokens.caller(rotated.token("u"))).subject == "u"


async def test_after_the_ttl_the_keys_are_refreshed_in_the_background(key: SigningKey, published: JwksServer) -> None:
    keys = PublishedKeys(published.url, ttl=0.2, unknown_key_interval=3600)
    await keys.key_for("key-1")
    added = SigningKey.made("key-2")
    published.keys.append(added)
    await asyncio.sleep(0.3)
    await keys.key_for("key-1")  # starts the refresh, answers at once
    await asyncio.sleep(0.2)
    assert (await keys.key_for("key-2")).key_id == "key-2"


async def test_while_the_jwks_is_down_held_keys_work_and_an_unknown_one_is_unavailable(
    key: SigningKey, published: JwksServer
) -> None:
    keys = PublishedKeys(published.url, ttl=0.1, unknown_key_interval=3600)
    await keys.key_for("key-1")
    published.down = True
    await asyncio.sleep(0.2)
    assert (await keys.key_for("key-1")).key_id == "key-1"  # and a refresh starts, which fails
    await asyncio.sleep(0.2)
    assert (await keys.key_for("key-1")).key_id == "key-1"
    with pytest.raises(KeysUnavailable):
        await keys.key_for("key-2")
    published.down = False
    await asyncio.sleep(0.2)
    await keys.key_for("key-1")  # refreshes again
    await asyncio.sleep(0.2)
    with pytest.raises(UnknownKey):
        await keys.key_for("key-2")


async def test_a_jwks_never_reached_makes_keys_unavailable_and_is_not_asked_again_at_once() -> None:
    with jwks_server() as gone:
        url = gone.url
    keys = PublishedKeys(url, ttl=300)
    for _ in range(3):
        with pytest.raises(KeysUnavailable):
            await keys.key_for("key-1")
    assert keys.fetches == 1


async def test_a_shared_secret_verifies_hs256_and_nothing_else() -> None:
    secret = b"s" * 32
    tokens = BearerTokens(SharedSecret(secret), algorithms=["HS256"], issuer=ISSUER, audience=AUDIENCE, leeway=0)
    claims = {"sub": "u", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 60}
    assert (await tokens.caller(jwt.encode(claims, secret, algorithm="HS256"))).subject == "u"
    assert await refusal(tokens, jwt.encode(claims, secret * 2, algorithm="HS512")) == NOT_VALID
    assert await refusal(tokens, jwt.encode(claims, b"t" * 32, algorithm="HS256")) == NOT_VALID


@pytest.mark.parametrize(
    "token",
    ["", "a", "a.b", "a.b.c", "e30.e30.", "W10.e30.x", "x" * 1_000_000, "eyJhbGciOiJFZERTQSJ9." * 3, "🙂.🙂.🙂"],
    ids=["empty", "one part", "two parts", "bad base64", "empty header", "header a list", "1 MB", "dots", "emoji"],
)
async def test_a_malformed_token_is_refused_never_an_error(key: SigningKey, published: JwksServer, token: str) -> None:
    assert await refusal(verifier(published.url), token) == NOT_VALID


async def test_a_user_claim_other_than_sub_names_the_caller(key: SigningKey, published: JwksServer) -> None:
    keys = PublishedKeys(published.url, ttl=300)
    tokens = BearerTokens(keys, algorithms=ASYMMETRIC, issuer=ISSUER, audience=AUDIENCE, leeway=0, user_claim="user_id")
    assert (await tokens.caller(key.token("service-account", user_id="user-7"))).subject == "user-7"
    assert await refusal(tokens, key.token("service-account")) == NOT_VALID


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"keys": "x"}', b"not json", b'{"keys": [{"kty": "nonsense"}]}'])
async def test_a_jwks_that_is_not_one_makes_keys_unavailable_never_an_error(body: bytes) -> None:
    with jwks_server() as published:
        published.body = body
        with pytest.raises(KeysUnavailable):
            await PublishedKeys(published.url, ttl=300).key_for("key-1")
