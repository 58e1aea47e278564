"""Secrets the service keeps in its database (`service_secrets`), read once at start."""

from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from adapters.sql.schema import service_secrets
from domain.errors import StoreUnavailable


def stored_secret(sqlalchemy_url: str, name: str) -> bytes:
    engine = create_engine(sqlalchemy_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            value = connection.scalar(select(service_secrets.c.value).where(service_secrets.c.name == name))
    except (OperationalError, ProgrammingError) as error:  # no database at all, or no such table
        raise StoreUnavailable(f"cannot read the {name} from the database: {error.orig}") from error
    finally:
        engine.dispose()
    if value is None:
        raise StoreUnavailable(f"the database holds no {name}; run `todo migrate`")
    return bytes.fromhex(value)
