"""Databases the tests create and drop on the Postgres server TODO_TEST_POSTGRES_URL names."""

import os
import uuid

import psycopg
from psycopg import sql

from adapters.sql.migrate import upgrade

POSTGRES_SERVER_URL = os.environ.get("TODO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _url_for_database(name: str) -> str:
    base, _, _ = POSTGRES_SERVER_URL.rpartition("/")
    return f"{base}/{name}"


def create_database(server_url: str, migrate: bool = True) -> str:
    """A new, empty database on the server (at the latest schema when `migrate`); returns its URL."""
    name = f"todo_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # A server whose default zone is not UTC: timestamps must still come back in UTC.
        connection.execute(sql.SQL("ALTER DATABASE {} SET timezone TO 'Asia/Kolkata'").format(sql.Identifier(name)))
    url = _url_for_database(name)
    if migrate:
        upgrade("postgresql+psycopg://" + url.split("://", 1)[1])
    return url


def drop_database(server_url: str, url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
