"""Configuration, read from the environment once, in one place.

Each setting is one field of `Settings`, declared with `setting(...)`: its environment variable, its
default, what values are allowed and what it means. Parsing, the refusal of a bad value and the
`todo serve --help` text are all made from these declarations.
"""

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from dotenv import dotenv_values

DEFAULT_DATABASE_URL = "sqlite:///todo.sqlite3"
STORE_KINDS = {"memory": "memory", "sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres"}


class ConfigurationError(ValueError):
    """A setting's value is not one it allows; the message is one line naming the variable and the value."""


@dataclass(frozen=True)
class Kind:
    """What values a setting allows (`allowed`, as the operator reads it) and how to read one."""

    allowed: str
    parse: Callable[[str], Any]
    show: Callable[[str], str] = repr  # how a refused value is quoted in the error


def setting(env: str, default: Any, kind: Kind, doc: str) -> Any:
    return field(default=default, metadata={"env": env, "kind": kind, "doc": doc})


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")  # no `inf`, `nan`, `1e9` or `1_000`


def integer(minimum: int, maximum: int | None = None) -> Kind:
    def parse(text: str) -> int:
        if not _INTEGER.fullmatch(text.strip()):
            raise ValueError(text)
        number = int(text)
        if number < minimum or (maximum is not None and number > maximum):
            raise ValueError(text)
        return number

    return Kind(f"an integer from {minimum} to {maximum}" if maximum else f"an integer >= {minimum}", parse)


def seconds(*, zero_allowed: bool = False) -> Kind:
    def parse(text: str) -> float:
        if not _DECIMAL.fullmatch(text.strip()) or float(text) < 0 or (float(text) == 0 and not zero_allowed):
            raise ValueError(text)
        return float(text)

    return Kind("a number of seconds >= 0" if zero_allowed else "a number of seconds > 0", parse)


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(text: str) -> bool:
    word = text.strip().lower()
    if word not in _TRUE | _FALSE:
        raise ValueError(text)
    return word in _TRUE


FLAG = Kind("true/false, 1/0, yes/no or on/off", _flag)

_ORIGIN = re.compile(r"\*|[a-z][a-z0-9+.-]*://[^/\s,]+")


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/").lower() for origin in text.split(",") if origin.strip())
    if not all(_ORIGIN.fullmatch(origin) for origin in origins):
        raise ValueError(text)
    return origins


ORIGINS = Kind("comma-separated origins like https://app.example.com or https://*.example.com, or *", _origins)


def _database_url(text: str) -> str:
    scheme, separator, rest = text.partition("://")
    kind = STORE_KINDS.get(scheme.split("+", 1)[0].lower()) if separator else None
    # SQLite names a file after a third slash; `sqlite://` alone (an in-memory database each
    # connection sees apart) and `sqlite://host/...` name none the service can keep tasks in.
    if kind is None or (kind == "sqlite" and (not rest.startswith("/") or not rest.strip("/"))):
        raise ValueError(text)
    return text


def _without_password(text: str) -> str:
    return repr(re.sub(r"(://[^/@:]*:)[^/]*@", r"\1***@", text))


DATABASE = Kind(
    "a URL starting postgresql://, postgres://, memory://, or sqlite:/// and a file (sqlite:///relative.db, "
    "sqlite:////absolute.db)",
    _database_url,
    _without_password,
)

_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def _host(text: str) -> str:
    host = text.strip()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST_NAME.fullmatch(host):
            raise
    return host


HOST = Kind("an IP address or a host name", _host)


def _matching(pattern: str) -> Callable[[str], str]:
    """A parser of values that match the pattern whole (blanks around them aside)."""
    compiled = re.compile(pattern)

    def parse(text: str) -> str:
        if not compiled.fullmatch(text.strip()):
            raise ValueError(text)
        return text.strip()

    return parse


def _each(parse: Callable[[str], str]) -> Callable[[str], str]:
    """A parser of comma-separated values, each one read by `parse`; they come back joined by commas."""
    return lambda text: ",".join(parse(value) for value in text.split(","))


PATH = Kind("a path like /metrics (letters, digits and . _ ~ - between slashes)", _matching(r"(/[A-Za-z0-9._~-]+)+"))


def _shown(default: Any) -> str:
    if isinstance(default, tuple | str) and not default:
        return "unset"
    if isinstance(default, tuple):
        return ",".join(default)
    if isinstance(default, bool):
        return str(default).lower()
    return f"{default:g}" if isinstance(default, float) else str(default)


def _secret(text: str) -> str:
    if len(text.strip()) < 32:
        raise ValueError(text)
    return text.strip()


SECRET = Kind("a secret of at least 32 characters", _secret, lambda text: f"<{len(text.strip())} characters>")


def choice(*words: str) -> Kind:
    def parse(text: str) -> str:
        if text.strip().lower() not in words:
            raise ValueError(text)
        return text.strip().lower()

    return Kind(" or ".join(words), parse)


def _text(text: str) -> str:
    return text.strip()


TEXT = Kind("any text", _text)

_url = _matching(r"https?://[^/\s]+(/\S*)?")
URL = Kind("an http:// or https:// URL", _url)


def _urls(text: str) -> tuple[str, ...]:
    return tuple(_url(url) for url in text.split(","))


URLS = Kind("comma-separated http:// or https:// URLs", _urls, lambda text: f"<{len(text.split(','))} URL(s)>")

NATS_URLS = Kind(
    "nats:// or tls:// URLs (host:port), comma-separated", _each(_matching(r"(nats|tls)://[^/\s]+")), _without_password
)
BROKERS = Kind("comma-separated host:port pairs", _each(_matching(r"[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}")))
NAME = Kind("1 to 64 letters, digits, _ or -", _matching(r"[A-Za-z0-9_-]{1,64}"))


def _webhook_secret(text: str) -> str:
    try:
        key = base64.b64decode(text.strip().removeprefix("whsec_"), validate=True)
    except binascii.Error:
        raise ValueError(text) from None
    if len(key) < 24:
        raise ValueError(text)
    return text.strip()


WEBHOOK_SECRET = Kind(
    "whsec_ and the base64 of 24 to 64 random bytes (`todo events webhook-secret` makes one)",
    _webhook_secret,
    lambda text: f"<{len(text.strip())} characters>",
)


ASYMMETRIC_ALGORITHMS = ("EdDSA", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512")
SECRET_ALGORITHMS = ("HS256", "HS384", "HS512")


def _algorithms(text: str) -> tuple[str, ...]:
    named = tuple(name.strip() for name in text.split(",") if name.strip())
    if not named or not set(named) <= {*ASYMMETRIC_ALGORITHMS, *SECRET_ALGORITHMS}:
        raise ValueError(text)
    return named


ALGORITHMS = Kind(
    f"comma-separated JWS algorithms: with a JWKS {', '.join(ASYMMETRIC_ALGORITHMS)}; with a secret "
    f"{', '.join(SECRET_ALGORITHMS)}",
    _algorithms,
)


@dataclass(frozen=True)
class Settings:
    database_url: str = setting(
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        DATABASE,
        "where tasks live: Postgres (local or hosted, as given), an SQLite file, or memory:// (one worker only)",
    )
    pool_size: int = setting("TODO_DB_POOL_SIZE", 10, integer(1), "Postgres connections each worker process keeps")
    db_timeout: float = setting(
        "TODO_DB_TIMEOUT", 5.0, seconds(), "seconds a request waits for a database connection before a 503"
    )
    prepared_statements: bool = setting(
        "TODO_DB_PREPARED_STATEMENTS", True, FLAG, "false for a transaction-mode pooler without prepared statements"
    )
    max_body_bytes: int = setting("TODO_MAX_BODY_BYTES", 64 * 1024, integer(1), "larger request bodies get 413")
    cors_origins: tuple[str, ...] = setting(
        "TODO_CORS_ORIGINS", (), ORIGINS, "origins whose browser front ends may call the API (unset: CORS off)"
    )
    access_log: bool = setting("TODO_ACCESS_LOG", True, FLAG, "one JSON line per request on stdout")
    db_startup_timeout: float = setting(
        "TODO_DB_STARTUP_TIMEOUT", 30.0, seconds(), "seconds start-up retries an unreachable database (then exit 69)"
    )
    shutdown_timeout: float = setting(
        "TODO_SHUTDOWN_TIMEOUT", 10.0, seconds(), "seconds requests in flight get to finish after SIGTERM"
    )
    max_header_bytes: int = setting(
        "TODO_MAX_HEADER_BYTES",
        16 * 1024,
        integer(1024),
        "largest request line and headers together, in bytes: a longer target gets 414, larger headers 431",
    )
    max_headers: int = setting("TODO_MAX_HEADERS", 100, integer(1), "more request headers than this get 431")
    header_timeout: float = setting(
        "TODO_HEADER_TIMEOUT", 10.0, seconds(), "seconds a request line and its headers may take to arrive (408)"
    )
    body_timeout: float = setting(
        "TODO_BODY_TIMEOUT", 30.0, seconds(), "seconds a request body may take to arrive after its headers (408)"
    )
    cursor_key: str = setting(
        "TODO_CURSOR_KEY",
        "",
        SECRET,
        "secret that encrypts and authenticates page cursors (unset: the database's own, made when it was migrated)",
    )
    host: str = setting("TODO_HOST", "127.0.0.1", HOST, "the address `todo serve` listens on (--host)")
    port: int = setting("TODO_PORT", 8000, integer(1, 65535), "the port `todo serve` listens on (--port)")
    workers: int = setting("TODO_WORKERS", 1, integer(1), "server processes `todo serve` runs (--workers)")
    event_retention_days: int = setting(
        "TODO_EVENT_RETENTION_DAYS", 30, integer(1), "days task events are kept (each live task's latest: always)"
    )
    max_streams: int = setting(
        "TODO_MAX_STREAMS", 2000, integer(1), "open event streams per worker process; beyond it, 503"
    )
    stream_heartbeat: float = setting(
        "TODO_STREAM_HEARTBEAT", 15.0, seconds(), "seconds of silence before an event stream sends a comment line"
    )
    mcp: bool = setting(
        "TODO_MCP",
        False,
        FLAG,
        "serve the task tools to AI agents over MCP streamable HTTP at /mcp (`todo mcp` serves them over stdio)",
    )
    metrics_path: str = setting(
        "TODO_METRICS_PATH", "/metrics", PATH, "where Prometheus scrapes the metrics (kept off the access log)"
    )
    auth: str = setting(
        "TODO_AUTH",
        "off",
        choice("off", "jwt"),
        "jwt: every route under /api/{user_id}/ and /mcp needs a bearer token (JWT) whose user is the path's",
    )
    jwt_jwks_url: str = setting(
        "TODO_JWT_JWKS_URL",
        "",
        URL,
        "where the signer publishes its public keys (Better Auth: https://<front end>/api/auth/jwks)",
    )
    jwt_jwks_ttl: float = setting("TODO_JWT_JWKS_TTL", 300.0, seconds(), "seconds before the keys are fetched again")
    jwt_secret: str = setting(
        "TODO_JWT_SECRET", "", SECRET, "instead of a JWKS: the secret shared with a signer of HS256 tokens"
    )
    jwt_algorithms: tuple[str, ...] = setting(
        "TODO_JWT_ALGORITHMS",
        (),
        ALGORITHMS,
        "the algorithms a token may be signed with (unset: EdDSA,ES256,RS256 with a JWKS, HS256 with a secret)",
    )
    jwt_issuer: str = setting(
        "TODO_JWT_ISSUER", "", TEXT, "the `iss` every token must carry (Better Auth: its base URL)"
    )
    jwt_audience: str = setting(
        "TODO_JWT_AUDIENCE", "", TEXT, "the `aud` every token must carry (Better Auth: its base URL)"
    )
    jwt_leeway: float = setting(
        "TODO_JWT_LEEWAY", 30.0, seconds(zero_allowed=True), "seconds of clock difference allowed on `exp` and `nbf`"
    )
    jwt_user_claim: str = setting("TODO_JWT_USER_CLAIM", "sub", TEXT, "the claim that names the token's user")
    jwt_authorization_server: str = setting(
        "TODO_JWT_AUTHORIZATION_SERVER",
        "",
        URL,
        "the authorization server MCP clients are sent to (unset: TODO_JWT_ISSUER)",
    )

    events_nats_url: str = setting(
        "TODO_EVENTS_NATS_URL", "", NATS_URLS, "deliver every task event to NATS JetStream there (unset: not to NATS)"
    )
    events_nats_stream: str = setting(
        "TODO_EVENTS_NATS_STREAM", "TASKS", NAME, "the JetStream stream of tasks.events.>, made if missing"
    )
    events_kafka_brokers: str = setting(
        "TODO_EVENTS_KAFKA_BROKERS",
        "",
        BROKERS,
        "deliver every task event to these Kafka brokers (unset: not to Kafka)",
    )
    events_kafka_topic: str = setting("TODO_EVENTS_KAFKA_TOPIC", "task-events", NAME, "the Kafka topic of task events")
    events_webhook_urls: tuple[str, ...] = setting(
        "TODO_EVENTS_WEBHOOK_URLS", (), URLS, "POST every task event, signed, to each of these URLs (unset: none)"
    )
    events_webhook_secret: str = setting(
        "TODO_EVENTS_WEBHOOK_SECRET", "", WEBHOOK_SECRET, "the key webhooks are signed with (Standard Webhooks)"
    )
    events_dapr_url: str = setting(
        "TODO_EVENTS_DAPR_URL", "", URL, "publish every task event through this Dapr sidecar (http://localhost:3500)"
    )
    events_dapr_pubsub: str = setting("TODO_EVENTS_DAPR_PUBSUB", "pubsub", NAME, "the Dapr pub/sub component's name")
    events_dapr_topic: str = setting("TODO_EVENTS_DAPR_TOPIC", "task-events", NAME, "the topic Dapr publishes to")
    events_retry_max: float = setting(
        "TODO_EVENTS_RETRY_MAX", 30.0, seconds(), "longest wait, in seconds, between attempts to deliver to a sink"
    )
    events_backlog_warning: int = setting(
        "TODO_EVENTS_BACKLOG_WARNING", 10_000, integer(1), "undelivered events of a sink that make a warning line"
    )

    def __post_init__(self) -> None:
        if self.auth == "jwt":
            check_token_settings(self)
        if bool(self.events_webhook_urls) != bool(self.events_webhook_secret):
            raise ConfigurationError(
                "TODO_EVENTS_WEBHOOK_URLS and TODO_EVENTS_WEBHOOK_SECRET go together: set both or neither"
            )

    @property
    def token_algorithms(self) -> tuple[str, ...]:
        if self.jwt_algorithms:
            return self.jwt_algorithms
        return SECRET_ALGORITHMS[:1] if self.jwt_secret else ("EdDSA", "ES256", "RS256")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """The settings in `env`; by default the process's environment, over a `.env` file in the working
        folder when there is one (the environment wins). An empty variable counts as unset.

        Raises ConfigurationError for the first value a setting does not allow.
        """
        if env is None:
            env = {**{name: value or "" for name, value in dotenv_values(".env").items()}, **os.environ}
        values = {}
        for one in fields(cls):
            name, kind = one.metadata["env"], one.metadata["kind"]
            text = env.get(name, "")
            if not text.strip():
                continue
            try:
                values[one.name] = kind.parse(text)
            except ValueError:
                raise ConfigurationError(f"{name}={kind.show(text)} is not allowed: expected {kind.allowed}") from None
        return cls(**values)

    @classmethod
    def help(cls) -> str:
        """Every environment variable with its default and meaning, for `todo serve --help`."""
        lines = ["environment variables (an empty one counts as unset):"]
        for one in fields(cls):
            lines.append(f"  {one.metadata['env']:<28} {one.metadata['doc']}")
            lines.append(f"  {'':<28} default {_shown(one.default)}; {one.metadata['kind'].allowed}")
        return "\n".join(lines)

    @classmethod
    def table(cls) -> str:
        """Every environment variable as a Markdown table, for docs/configuration.md
        (`python -m entrypoints.settings` prints it; a test checks that the page holds it)."""
        rows = ["| variable | default | allowed | meaning |", "| --- | --- | --- | --- |"]
        for one in fields(cls):
            allowed = one.metadata["kind"].allowed.replace("|", "\\|")
            default = "unset" if (shown := _shown(one.default)) == "unset" else f"`{shown}`"
            rows.append(f"| `{one.metadata['env']}` | {default} | {allowed} | {one.metadata['doc']} |")
        return "\n".join(rows) + "\n"

    @property
    def store_kind(self) -> str:
        scheme = self.database_url.split(":", 1)[0].split("+", 1)[0].lower()
        if scheme not in STORE_KINDS:
            raise ValueError(f"DATABASE_URL must start with postgresql://, sqlite:// or memory://, not {scheme}://")
        return STORE_KINDS[scheme]

    @property
    def sqlite_path(self) -> str:
        """The SQLite file `DATABASE_URL` names (`sqlite:///relative.db`, `sqlite:////absolute.db`)."""
        return self.database_url.removeprefix("sqlite:///")

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for SQLAlchemy (migrations, SQLite): Postgres always through psycopg 3."""
        if self.store_kind != "postgres":
            return self.database_url
        return "postgresql+psycopg://" + self.database_url.split("://", 1)[1]

    @property
    def libpq_url(self) -> str:
        """The URL as libpq reads it: `sslmode`, `channel_binding` and the rest pass through unchanged."""
        return "postgresql://" + self.database_url.split("://", 1)[1]


def check_token_settings(settings: Settings) -> None:
    """With TODO_AUTH=jwt: one source of keys, the claims every token is checked against, and only
    algorithms that source can verify (never an HMAC with a public key, never `none`)."""
    if bool(settings.jwt_jwks_url) == bool(settings.jwt_secret):
        raise ConfigurationError("TODO_AUTH=jwt needs one of TODO_JWT_JWKS_URL or TODO_JWT_SECRET, not both or neither")
    for name, value in (("TODO_JWT_ISSUER", settings.jwt_issuer), ("TODO_JWT_AUDIENCE", settings.jwt_audience)):
        if not value:
            raise ConfigurationError(f"TODO_AUTH=jwt needs {name} (for Better Auth: its base URL)")
    allowed = SECRET_ALGORITHMS if settings.jwt_secret else ASYMMETRIC_ALGORITHMS
    wrong = [name for name in settings.token_algorithms if name not in allowed]
    if wrong:
        source = "TODO_JWT_SECRET" if settings.jwt_secret else "TODO_JWT_JWKS_URL"
        raise ConfigurationError(
            f"TODO_JWT_ALGORITHMS={','.join(settings.jwt_algorithms)!r} is not allowed with {source}: "
            f"expected some of {', '.join(allowed)}"
        )
    for name in settings.token_algorithms if settings.jwt_secret else ():
        if len(settings.jwt_secret.encode()) * 8 < int(name[2:]):  # RFC 7518: a key as long as the hash
            raise ConfigurationError(f"TODO_JWT_SECRET is too short for {name}: it needs {int(name[2:]) // 8} bytes")


if __name__ == "__main__":
    print(Settings.table(), end="")
