"""Alembic owns the schema; `adapters/sql/migrate.py` runs these revisions."""
