"""What an ASGI edge needs to ask for a bearer token and to refuse a request without one (RFC 6750):
where the token is found, who it names, and the 400, 401, 403 and 503 answers, each an RFC 9457
problem."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from adapters.identity.tokens import BearerTokens, Caller, KeysUnavailable, TokenRefused
from adapters.wire.problems import RETRY_AFTER_SECONDS, problem_messages

REALM = "todo"

NO_TOKEN = "This route needs a bearer token: send `Authorization: Bearer <token>`."
TWO_TOKENS = "Send the bearer token one way only: in the Authorization header or as access_token."
OTHER_USER = "This token does not act for the user in the path."
NO_KEYS = "The keys that verify this token cannot be fetched right now; try again shortly."


def bearer_token(scope: Any, *, in_query: bool = False) -> str | None:
    """The token in `Authorization: Bearer …`; with `in_query`, also the `access_token` query
    parameter (RFC 6750 section 2.3), for clients that cannot send headers (a browser's EventSource).
    Raises Refusal (400) for a token sent more than once: RFC 6750 allows one."""
    token = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() == "bearer":
                token = credentials.strip()
            break
    if in_query and b"access_token=" in scope.get("query_string", b""):
        query = [v for k, v in parse_qsl(scope["query_string"].decode("latin-1")) if k == "access_token"]
        if token is not None or len(query) > 1:
            raise Refusal(400, TWO_TOKENS, error="invalid_request")
        token = query[0] if query else None
    return token


def _challenge(*parameters: tuple[str, str]) -> tuple[bytes, bytes]:
    said = ", ".join(f'{name}="{value}"' for name, value in parameters)
    return (b"www-authenticate", f"Bearer {said}".encode())


class Refusal(Exception):
    """A request refused at the edge: the two ASGI messages of its answer. A 401 or a 400 carries the
    `WWW-Authenticate: Bearer` challenge, with the RFC 6750 `error` code when a token was sent (none
    when there was none); a 503 carries `Retry-After`."""

    def __init__(
        self, status: int, detail: str, *, error: str | None = None, challenge: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(status)
        start, self.body = problem_messages(status, detail)
        headers = list(start["headers"])
        if status in (400, 401):
            given = [("realm", REALM), *challenge, *([("error", error)] if error else [])]
            headers.append(_challenge(*given))
        if status == 503:
            headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
        self.start = {**start, "headers": headers}

    async def send(self, send: Any) -> None:
        await send(self.start)
        await send(self.body)


async def caller_of(tokens: BearerTokens, token: str | None, *, challenge: Sequence[tuple[str, str]] = ()) -> Caller:
    """The user the token speaks for. Raises Refusal: 401 for no token or one that proves nothing
    (`challenge`: what the 401 adds to `WWW-Authenticate`), 503 when its key cannot be fetched."""
    if not token:
        raise Refusal(401, NO_TOKEN, challenge=challenge)
    try:
        return await tokens.caller(token)
    except TokenRefused as refused:
        raise Refusal(401, str(refused), error="invalid_token", challenge=challenge) from None
    except KeysUnavailable:
        raise Refusal(503, NO_KEYS) from None
