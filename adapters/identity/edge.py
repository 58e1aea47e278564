"""What an ASGI edge needs to ask for a bearer token and to refuse a request without one (RFC 6750):
where the token is found, and the 401, 403 and 503 answers, each an RFC 9457 problem."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from adapters.wire.problems import RETRY_AFTER_SECONDS, problem_messages

REALM = "todo"

NO_TOKEN = "This route needs a bearer token: send `Authorization: Bearer <token>`."
TWO_TOKENS = "Send the bearer token one way only: in the Authorization header or as access_token."
OTHER_USER = "This token does not act for the user in the path."
NO_KEYS = "The keys that verify this token cannot be fetched right now; try again shortly."


class TwoTokens(Exception):
    """The request carries a token both in its header and in its query (RFC 6750 allows one)."""


def bearer_token(scope: Any, *, in_query: bool = False) -> str | None:
    """The token in `Authorization: Bearer …`; with `in_query`, also the `access_token` query
    parameter (RFC 6750 section 2.3), for clients that cannot send headers (a browser's EventSource)."""
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
            raise TwoTokens
        token = query[0] if query else None
    return token


def _challenge(*parameters: tuple[str, str]) -> tuple[bytes, bytes]:
    said = ", ".join(f'{name}="{value}"' for name, value in parameters)
    return (b"www-authenticate", f"Bearer {said}".encode())


def refusal(
    status: int, detail: str, *, error: str | None = None, challenge: Sequence[tuple[str, str]] = ()
) -> tuple[Any, Any]:
    """The two ASGI messages of a refusal. A 401 or a 400 carries the `WWW-Authenticate: Bearer`
    challenge, with the RFC 6750 `error` code when a token was sent (none when there was none)."""
    start, body = problem_messages(status, detail)
    headers = list(start["headers"])
    if status in (400, 401):
        given = [("realm", REALM), *challenge, *([("error", error)] if error else [])]
        headers.append(_challenge(*given))
    if status == 503:
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    return {**start, "headers": headers}, body
