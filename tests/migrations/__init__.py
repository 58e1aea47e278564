"""Migration tests: the Alembic revisions, and the schema and query plans they give the store."""

from domain.query import SORT_ATTRIBUTES

# The index each sort reads, led by the owner.
SORT_INDEXES = {sort: f"ix_tasks_user_id_{attribute}_id" for sort, attribute in SORT_ATTRIBUTES.items()}
