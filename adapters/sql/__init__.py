"""The SQL TaskStore: one schema and one set of statements, run on SQLite or Postgres."""
