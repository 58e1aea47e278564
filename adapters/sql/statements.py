"""The store's statements, built once each (listings once per shape). Every one names the owner.

Parameters of INSERTs and UPDATEs are not named after columns: SQLAlchemy reserves those names.
"""

from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement, Insert, Select

from adapters.sql.schema import (
    PENDING_REMINDER,
    SCHEDULE_COLUMNS,
    SCHEDULE_DEFAULTS,
    SUCCEEDS,
    PackedColumns,
    UtcDateTime,
    event_owners,
    event_sinks,
    idempotency_keys,
    task_events,
    tasks,
)
from domain.events import MAX_POSITION
from domain.query import SORT_ATTRIBUTES, SortKey
from domain.task import EDITABLE_FIELDS, Task

_owned = (tasks.c.user_id == bindparam("owner")) & (tasks.c.id == bindparam("task_id"))
_expected = bindparam("expected_version", type_=Integer())
_at_version = _owned & or_(_expected.is_(None), tasks.c.version == _expected)
_now = bindparam("now", type_=UtcDateTime())
# A literal, not a bound parameter: the Postgres path sends only the parameters the store names.
_next_version = tasks.c.version + literal_column("1", Integer())

INSERT = insert(tasks)

GET = select(tasks).where(_owned)

# Every editable field from a parameter named after it (`new_title`...); `completed_at` follows `completed`.
_new_content = {name: bindparam(f"new_{name}", type_=tasks.c[name].type) for name in EDITABLE_FIELDS}
_new_completed = _new_content["completed"]


def _completes_series(completed: ColumnElement[bool], recurrence: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether a write leaving `completed` and `recurrence` completes a task of a series. Such a write
    leaves the task alone: the use case completes it with its successor (COMPLETE_IN_SERIES), which
    needs the next occurrence computed first (`Task.completes_series`)."""
    return completed & recurrence.is_not(None) & not_(tasks.c.completed)


_replaced = _new_content | {
    "completed_at": case((_new_completed, func.coalesce(tasks.c.completed_at, _now)), else_=None),
    "updated_at": _now,
    "version": _next_version,
    # A reminder moved to another time is armed again.
    "reminded_at": case(
        (tasks.c.remind_at.is_not_distinct_from(_new_content["remind_at"]), tasks.c.reminded_at), else_=None
    ),
}
REPLACE = (
    update(tasks)
    .where(_at_version & not_(_completes_series(_new_completed, _new_content["recurrence"])))
    .values(_replaced)
    .returning(*tasks.c)
)

# Completing a task of a series and adding its successor, one transaction: the completion (which
# must find the task at the version read and not completed), then the successor, unless the task
# has one already (the unique index on `previous_id`: a reopened task completed again gets none).
COMPLETE_IN_SERIES = (
    update(tasks)
    .where(_owned & (tasks.c.version == _expected) & not_(tasks.c.completed))
    .values(_replaced)
    .returning(*tasks.c)
)
_completed_task = exists().where(_owned & tasks.c.completed)


@cache
def add_successor(dialect: str) -> Insert:
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = select(*(bindparam(f"new_{column.name}", type_=column.type) for column in tasks.c))
    return (
        dialect_insert(tasks)
        .from_select(list(tasks.c), values.where(_completed_task))
        .on_conflict_do_nothing(index_elements=["user_id", "previous_id"], index_where=SUCCEEDS)
    )


SUCCESSOR = select(tasks.c.id).where(
    (tasks.c.user_id == bindparam("owner")) & (tasks.c.previous_id == bindparam("task_id"))
)

# Reminders: each claimed once, by setting `reminded_at`; the trigger records the `reminder` event in
# the same transaction. Concurrent schedulers skip the rows another has locked (Postgres; SQLite
# has one writer at a time).
_due = PENDING_REMINDER & (tasks.c.remind_at <= _now)
_claimed = (
    select(tasks.c.user_id, tasks.c.id)
    .where(_due)
    .order_by(tasks.c.remind_at)
    .limit(bindparam("limit", type_=Integer()))
    .with_for_update(skip_locked=True)
)
FIRE_REMINDERS = (
    update(tasks)
    .where(tuple_(tasks.c.user_id, tasks.c.id).in_(_claimed) & _due)
    .values(reminded_at=_now)
    .returning(*tasks.c)
)
NEXT_REMINDER = select(func.min(tasks.c.remind_at)).where(PENDING_REMINDER)

DELETE = delete(tasks).where(_at_version).returning(tasks.c.id)

TOGGLE = (
    update(tasks)
    .where(_at_version & not_(_completes_series(not_(tasks.c.completed), tasks.c.recurrence)))
    .values(
        completed=not_(tasks.c.completed),
        completed_at=case((tasks.c.completed, None), else_=_now),
        updated_at=_now,
        version=_next_version,
    )
    .returning(*tasks.c)
)

_changes = tasks.c.completed != _new_completed
SET_COMPLETION = (
    update(tasks)
    .where(_at_version & not_(_completes_series(_new_completed, tasks.c.recurrence)))
    .values(
        completed=_new_completed,
        completed_at=case((_changes, case((_new_completed, _now), else_=None)), else_=tasks.c.completed_at),
        updated_at=case((_changes, _now), else_=tasks.c.updated_at),
        version=case((_changes, _next_version), else_=tasks.c.version),
    )
    .returning(*tasks.c)
)

# Ready means a task request can be served: the tasks table is there (a database not migrated answers
# SELECT 1 all the same).
PING = select(tasks.c.id).limit(literal_column("0", Integer()))

# Idempotent creation: one transaction of four statements, the same whatever happened before.
# The task is inserted only if this request's key row (naming this request's fresh task id) went
# in; a concurrent request with the same key waits on the key's primary key, then inserts nothing.
PURGE_EXPIRED_KEYS = delete(idempotency_keys).where(
    (idempotency_keys.c.user_id == bindparam("owner"))
    & (idempotency_keys.c.created_at <= bindparam("expired_before", type_=UtcDateTime()))
)
_key = (idempotency_keys.c.user_id == bindparam("owner")) & (idempotency_keys.c.key == bindparam("key"))
INSERT_IF_KEY_IS_OURS = insert(tasks).from_select(
    list(tasks.c),
    select(*(bindparam(f"new_{column.name}", type_=column.type) for column in tasks.c)).where(
        exists().where(_key & (idempotency_keys.c.task_id == bindparam("new_id")))
    ),
)
RECORDED_KEY = select(idempotency_keys.c.fingerprint, idempotency_keys.c.task).where(_key)


@cache
def record_key(dialect: str) -> Insert:
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dialect_insert(idempotency_keys).on_conflict_do_nothing(index_elements=["user_id", "key"])


FILTERS = ("completed", "priority", "tag", "due_before", "due_after", "text", "recurring")


@cache
def list_tasks(
    dialect: str, filters: frozenset[str], sort: SortKey, descending: bool, after: str | None
) -> Select[Any]:
    """The listing for one shape of query: which filters, which order, and whether it continues
    after a position with a value (`after="value"`) or without one (`"null"`, no due date)."""
    key = tasks.c[SORT_ATTRIBUTES[sort]]
    conditions: list[ColumnElement[bool]] = [tasks.c.user_id == bindparam("owner")]
    if "completed" in filters:
        conditions.append(tasks.c.completed == bindparam("completed"))
    if "priority" in filters:
        conditions.append(tasks.c.priority == bindparam("priority"))
    if "tag" in filters:
        conditions.append(_has_tag(dialect))
    if "due_before" in filters:
        conditions.append(tasks.c.due_at < bindparam("due_before", type_=UtcDateTime()))
    if "due_after" in filters:
        conditions.append(tasks.c.due_at > bindparam("due_after", type_=UtcDateTime()))
    if "text" in filters:
        pattern = bindparam("pattern", type_=String())
        # ASCII-only case folding everywhere: a "C" collation on Postgres, SQLite's own LIKE.
        description = tasks.c.description.collate("C") if dialect == "postgresql" else tasks.c.description
        conditions.append(or_(tasks.c.title.ilike(pattern, escape="\\"), description.ilike(pattern, escape="\\")))
    if "recurring" in filters:
        conditions.append(tasks.c.recurrence.is_not(None) == bindparam("recurring"))
    if after is not None:
        conditions.append(_after(key, descending, after == "null"))
    if key.nullable:  # NULLs last ascending, first descending: Postgres's defaults, spelled out for SQLite
        order = [key.desc().nulls_first() if descending else key.asc().nulls_last()]
    else:
        order = [key.desc() if descending else key.asc()]
    order.append(tasks.c.id.desc() if descending else tasks.c.id.asc())
    return (
        select(*_task_columns(dialect))
        .where(and_(*conditions))
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer()))
    )


def _task_columns(dialect: str) -> list[ColumnElement[Any]]:
    """A task's columns, as a listing reads them: on SQLite, the schedule columns packed into one."""
    if dialect == "postgresql":
        return list(tasks.c)
    plain = and_(
        *(
            column.is_(None) if default is None else column == default
            for column, default in zip(SCHEDULE_COLUMNS, SCHEDULE_DEFAULTS, strict=True)
        )
    )
    packed = case((plain, None), else_=func.json_array(*SCHEDULE_COLUMNS))
    schedule = type_coerce(packed, PackedColumns(SCHEDULE_COLUMNS, SCHEDULE_DEFAULTS)).label("schedule")
    # The schedule columns are the table's last (a Task's last fields), so the packed one stands for them there.
    return [*list(tasks.c)[: -len(SCHEDULE_COLUMNS)], schedule]


def _has_tag(dialect: str) -> ColumnElement[bool]:
    tag = bindparam("tag", type_=String())
    if dialect == "postgresql":
        return tag == any_(tasks.c.tags)
    values = func.json_each(tasks.c.tags).table_valued("value")
    return exists().select_from(values).where(values.c.value == tag)


def _after(key: ColumnElement[object], descending: bool, at_null: bool) -> ColumnElement[bool]:
    """The rows that come after the position (`after_value`, `after_id`) in the listing's order."""
    value, task_id = bindparam("after_value", type_=key.type), bindparam("after_id", type_=tasks.c.id.type)
    if at_null:  # only a nullable key (due) has a position without a value
        past_nulls = and_(key.is_(None), tasks.c.id < task_id if descending else tasks.c.id > task_id)
        return or_(past_nulls, key.is_not(None)) if descending else past_nulls
    beyond = (
        tuple_(key, tasks.c.id) < tuple_(value, task_id)
        if descending
        else tuple_(key, tasks.c.id) > tuple_(value, task_id)
    )
    if key.nullable and not descending:
        return or_(beyond, key.is_(None))
    return beyond


# The event log. An event row reads as (position, kind, time), then the task's columns in the order
# of the Task's fields (all NULL but the id, owner and version for a deletion).
_event = task_events.c
_SNAPSHOT_BY_FIELD = {"id": _event.task_id, "user_id": _event.user_id, "version": _event.version}
EVENT_COLUMNS = (
    _event.position,
    _event.kind,
    _event.time,
    *(_SNAPSHOT_BY_FIELD[name] if name in _SNAPSHOT_BY_FIELD else _event[name] for name in Task.__dataclass_fields__),
)
_feed = (_event.user_id == bindparam("owner")) & (_event.position > bindparam("after", type_=BigInteger()))
_page = bindparam("limit", type_=Integer())

# The feed's bounds and a page of its events in one statement, so both are read at one moment
# (a retention pass is wholly before the read or after it); no owner row: no row at all.
_bounds = (
    select(event_owners.c.pruned_through, event_owners.c.last_position)
    .where(event_owners.c.user_id == bindparam("owner"))
    .subquery()
)
_changed = select(*EVENT_COLUMNS).where(_feed).order_by(_event.position).limit(_page).subquery()
CHANGES = select(*_bounds.c, *_changed.c).select_from(_bounds.outerjoin(_changed, true())).order_by(_changed.c.position)
HISTORY = (
    select(*EVENT_COLUMNS)
    .where(_feed & (_event.task_id == bindparam("task_id")))
    .order_by(_event.position)
    .limit(_page)
)
FEED_OWNERS = (
    select(event_owners.c.user_id)
    .where(event_owners.c.user_id > bindparam("after", type_=String()))
    .order_by(event_owners.c.user_id)
    .limit(_page)
)


@cache
def latest_positions(dialect: str) -> Select[Any]:
    """The last positions of the owners in the list `owners`."""
    # One parameter holding the list (an array; on SQLite, JSON), as the statement is compiled once.
    if dialect == "postgresql":
        named = event_owners.c.user_id == any_(bindparam("owners", type_=postgresql.ARRAY(String())))
    else:
        owners = func.json_each(bindparam("owners", type_=JSON())).table_valued("value")
        named = event_owners.c.user_id.in_(select(owners.c.value))
    return select(event_owners.c.user_id, event_owners.c.last_position).where(named)


# Retention: an event expires when it is older than `before` and every sink has it, comes before the
# owner's first event that is not, and is not the latest of a task that still exists: a prefix of the
# feed goes (what FeedToken relies on). Expired stays expired (versions only grow, ids are never reused,
# a sink's progress only grows). The bound is raised and the events removed in one transaction, so a
# reader sees both or neither.
_is_latest = exists().where(
    (tasks.c.user_id == _event.user_id) & (tasks.c.id == _event.task_id) & (tasks.c.version == _event.version)
)
_before = bindparam("before", type_=UtcDateTime())
_young = task_events.alias("young")
# An event some sink has not been given (adapters/sql/relay.py) is kept as if it were young.
_undelivered = _young.c.relay_seq.is_(None) | (
    _young.c.relay_seq > select(func.min(event_sinks.c.delivered_through)).scalar_subquery()
)
_kept = (_young.c.time >= _before) | (exists(select(event_sinks.c.name)) & _undelivered)
_first_young = (
    select(func.min(_young.c.position)).where((_young.c.user_id == bindparam("owner")) & _kept).scalar_subquery()
)
_expired = (
    (_event.user_id == bindparam("owner"))
    & (_event.position < func.coalesce(_first_young, literal_column(str(MAX_POSITION), BigInteger())))
    & not_(_is_latest)
)
_oldest_expired = select(_event.position).where(_expired).order_by(_event.position).limit(_page).subquery()
LAST_OF_EXPIRED_BATCH = select(func.max(_oldest_expired.c.position))
_through = bindparam("through", type_=BigInteger())
RAISE_PRUNED_THROUGH = (
    update(event_owners)
    .where(event_owners.c.user_id == bindparam("owner"))
    .values(
        pruned_through=case((event_owners.c.pruned_through < _through, _through), else_=event_owners.c.pruned_through)
    )
)
DELETE_EXPIRED = delete(task_events).where(_expired & (_event.position <= _through)).returning(_event.position)
