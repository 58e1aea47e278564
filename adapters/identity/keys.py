"""The keys that sign callers' tokens: a JWKS document fetched over HTTP (Better Auth publishes its
keys at `/api/auth/jwks`), or a secret shared with whoever signs (HS256).

The JWKS is fetched on first need, then again in the background once `ttl` has passed, and at once
when a token names a key it does not hold (at most once per `unknown_key_interval`, so a flood of
made-up `kid`s costs one fetch). However many requests wait, one fetch runs at a time. While the
JWKS cannot be fetched, the keys already held keep working.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
import jwt

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 5.0


class KeysUnavailable(Exception):
    """The key a token names cannot be had now (its JWKS cannot be fetched): try again later."""


class UnknownKey(Exception):
    """No key the signer publishes has the `kid` the token names."""


class SigningKeys(Protocol):
    async def key_for(self, key_id: str | None) -> jwt.PyJWK | bytes: ...


class SharedSecret:
    """HS256 and its kin: the one secret verifies every token, whatever `kid` it names."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    async def key_for(self, key_id: str | None) -> bytes:
        return self._secret


class PublishedKeys:
    """The signer's public keys, from its JWKS URL; each key verifies only the algorithm it is for."""

    def __init__(
        self,
        url: str,
        *,
        ttl: float,
        unknown_key_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._ttl = ttl
        self._unknown_key_interval = unknown_key_interval
        self._clock = clock
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched = False  # at least once
        self._failing = False  # the last fetch failed
        self._next_refresh = 0.0
        self._next_unknown_key_refresh = 0.0
        self._fetching: asyncio.Task[bool] | None = None
        self.fetches = 0  # attempts, for the tests

    async def key_for(self, key_id: str | None) -> jwt.PyJWK:
        """The key named `key_id`. Raises UnknownKey when the signer's keys, as last fetched, hold no
        such key, and KeysUnavailable when they cannot be fetched to find out."""
        now = self._clock()
        if not self._fetched:
            if now < self._next_refresh or not await self._refresh():  # failed a moment ago: not again yet
                raise KeysUnavailable
        elif now >= self._next_refresh:
            self._refresh_soon()
        key = self._known(key_id)
        if key is None and self._fetching is not None:  # a refresh under way may bring it
            await asyncio.shield(self._fetching)
            key = self._known(key_id)
        if key is None and now >= self._next_unknown_key_refresh:
            self._next_unknown_key_refresh = now + self._unknown_key_interval
            await self._refresh()
            key = self._known(key_id)
        if key is None:
            raise KeysUnavailable if self._failing else UnknownKey
        return key

    def _known(self, key_id: str | None) -> jwt.PyJWK | None:
        if key_id is None and len(self._keys) == 1:  # a signer with one key may leave `kid` out
            return next(iter(self._keys.values()))
        return self._keys.get(key_id)

    def _refresh_soon(self) -> None:
        if self._fetching is None:
            self._fetching = asyncio.ensure_future(self._fetch())

    async def _refresh(self) -> bool:
        """Fetches the keys (or waits for the fetch already running); False when it failed."""
        self._refresh_soon()
        fetching = self._fetching
        assert fetching is not None
        return await asyncio.shield(fetching)

    async def _fetch(self) -> bool:
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as client:
                answer = await client.get(self.url, headers={"Accept": "application/json"})
            answer.raise_for_status()
            document = answer.json()
            if not isinstance(document, dict):
                raise jwt.PyJWKSetError("the JWKS is not a JSON object")
            keys = jwt.PyJWKSet.from_dict(document).keys
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
            self._failing = True
            self._next_refresh = self._clock() + min(self._ttl, self._unknown_key_interval)
            log.warning("could not fetch the signing keys from %s: %s", self.url, _reason(error))
            return False
        else:
            self._keys = {key.key_id: key for key in keys}
            self._fetched, self._failing = True, False
            self._next_refresh = self._clock() + self._ttl
            return True
        finally:
            self._fetching = None


def _reason(error: Any) -> str:
    return f"{type(error).__name__}: {error}"[:300]
