"""The store's statements, built once at import. Every one names the owner in its WHERE clause.

Parameters of UPDATEs are not named after columns: SQLAlchemy reserves those names.
"""

from sqlalchemy import bindparam, case, delete, insert, not_, select, text, update

from adapters.sql.schema import UtcDateTime, tasks

_owned = (tasks.c.user_id == bindparam("owner")) & (tasks.c.id == bindparam("task_id"))
_now = bindparam("now", type_=UtcDateTime())

INSERT = insert(tasks)

LIST = select(tasks).where(tasks.c.user_id == bindparam("owner")).order_by(tasks.c.created_at, tasks.c.id)

GET = select(tasks).where(_owned)

REPLACE = (
    update(tasks)
    .where(_owned)
    .values(
        title=bindparam("new_title"),
        description=bindparam("new_description"),
        completed=bindparam("new_completed"),
        updated_at=_now,
    )
    .returning(*tasks.c)
)

DELETE = delete(tasks).where(_owned).returning(tasks.c.id)

TOGGLE = update(tasks).where(_owned).values(completed=not_(tasks.c.completed), updated_at=_now).returning(*tasks.c)

SET_COMPLETION = (
    update(tasks)
    .where(_owned)
    .values(
        completed=bindparam("new_completed"),
        updated_at=case((tasks.c.completed != bindparam("new_completed"), _now), else_=tasks.c.updated_at),
    )
    .returning(*tasks.c)
)

PING = text("SELECT 1")
