"""Configuration, read from the environment once, in one place."""

import os
import re
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///todo.sqlite3"


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


_ORIGIN = re.compile(r"\*|[a-z][a-z0-9+.-]*://[^/\s,]+")


def _origins(value: str) -> tuple[str, ...]:
    """`TODO_CORS_ORIGINS`: comma-separated origins (`https://app.example.com`, `https://*.example.com`) or `*`."""
    origins = tuple(origin.strip().rstrip("/").lower() for origin in value.split(",") if origin.strip())
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(f"TODO_CORS_ORIGINS: {origin!r} is not an origin like https://app.example.com, nor `*`")
    return origins


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    pool_size: int = 10
    db_timeout: float = 5.0
    prepared_statements: bool = True
    max_body_bytes: int = 64 * 1024
    cors_origins: tuple[str, ...] = ()
    access_log: bool = True
    db_startup_timeout: float = 30.0
    shutdown_timeout: float = 10.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            pool_size=int(env.get("TODO_DB_POOL_SIZE", cls.pool_size)),
            db_timeout=float(env.get("TODO_DB_TIMEOUT", cls.db_timeout)),
            prepared_statements=_flag(env.get("TODO_DB_PREPARED_STATEMENTS", "true")),
            max_body_bytes=int(env.get("TODO_MAX_BODY_BYTES", cls.max_body_bytes)),
            cors_origins=_origins(env.get("TODO_CORS_ORIGINS", "")),
            access_log=_flag(env.get("TODO_ACCESS_LOG", "true")),
            db_startup_timeout=float(env.get("TODO_DB_STARTUP_TIMEOUT", cls.db_startup_timeout)),
            shutdown_timeout=float(env.get("TODO_SHUTDOWN_TIMEOUT", cls.shutdown_timeout)),
        )

    @property
    def store_kind(self) -> str:
        scheme = self.database_url.split(":", 1)[0].split("+", 1)[0].lower()
        kinds = {"memory": "memory", "sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres"}
        if scheme not in kinds:
            raise ValueError(f"DATABASE_URL must start with postgresql://, sqlite:// or memory://, not {scheme}://")
        return kinds[scheme]

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
