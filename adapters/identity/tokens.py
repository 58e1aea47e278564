"""Bearer tokens (JWTs) verified with a maintained JOSE library (PyJWT, over cryptography).

A token passes when its algorithm is one of those allowed, its signature verifies with the key it
names, `exp` has not passed (give or take the leeway), `nbf` has, and `iss` and `aud` are the
expected ones; the caller is then the user its user claim (`sub`) names. A verified token's caller
is kept per process until the token expires, so a client's next requests cost a dictionary look-up,
not a signature check.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jwt

from adapters.identity.keys import KeysUnavailable, SigningKeys, UnknownKey

__all__ = ["BearerTokens", "Caller", "KeysUnavailable", "TokenRefused"]

MAX_TOKEN_LENGTH = 8 * 1024  # Better Auth's tokens are well under 1 KiB
CACHED_CALLERS = 10_000

EXPIRED = "The bearer token has expired."
NOT_VALID = "The bearer token is not valid."


@dataclass(frozen=True, slots=True)
class Caller:
    subject: str
    expires_at: float  # the token's `exp`, seconds since the epoch


class TokenRefused(Exception):
    """The token proves nothing; the message says why in words that help no attacker."""


class BearerTokens:
    def __init__(
        self,
        keys: SigningKeys,
        *,
        algorithms: Sequence[str],
        issuer: str,
        audience: str,
        leeway: float,
        user_claim: str = "sub",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._algorithms = list(algorithms)
        self._issuer = issuer
        self._audience = audience
        self.leeway = leeway
        self._user_claim = user_claim
        self._clock = clock
        self._required = ["exp", "iss", "aud", user_claim]
        self._callers: dict[str, Caller] = {}

    async def caller(self, token: str) -> Caller:
        """The user the token speaks for. Raises TokenRefused, or KeysUnavailable when the key it
        names cannot be fetched now."""
        known = self._callers.get(token)
        if known is not None and self._clock() < known.expires_at + self.leeway:
            return known
        caller = await self._verified(token)
        if len(self._callers) >= CACHED_CALLERS:
            self._drop_expired()
        self._callers[token] = caller
        return caller

    async def _verified(self, token: str) -> Caller:
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenRefused(NOT_VALID)
        try:
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError, RecursionError):
            raise TokenRefused(NOT_VALID) from None
        key_id = header.get("kid")
        if header.get("alg") not in self._algorithms or not isinstance(key_id, str | None):
            raise TokenRefused(NOT_VALID)
        try:
            key = await self._keys.key_for(key_id)
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self.leeway,
                options={"require": self._required, "enforce_minimum_key_length": True},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused(EXPIRED) from None
        except (UnknownKey, jwt.PyJWTError, ValueError, TypeError):
            raise TokenRefused(NOT_VALID) from None
        subject, expires_at = claims[self._user_claim], claims["exp"]
        if not isinstance(subject, str) or not subject or not isinstance(expires_at, int | float):
            raise TokenRefused(NOT_VALID)
        return Caller(subject, float(expires_at))

    def _drop_expired(self) -> None:
        now = self._clock()
        self._callers = {token: c for token, c in self._callers.items() if now < c.expires_at + self.leeway}
        while len(self._callers) >= CACHED_CALLERS:  # all still valid: the oldest go first
            del self._callers[next(iter(self._callers))]
