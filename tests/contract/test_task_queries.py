"""Listing through TaskQuery: filters, sorts and keyset pages, the same on every store."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.query import MAX_PAGE_SIZE, Position, SortKey, TaskFilter, TaskQuery
from domain.task import Priority, Task

from .tasks import T0, Store, make_task

pytestmark = pytest.mark.anyio

D0 = datetime(2026, 6, 1, 9, 0, 0, 500000, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
DAY = timedelta(days=1)
HIGH, MEDIUM, LOW, NONE = Priority.HIGH, Priority.MEDIUM, Priority.LOW, Priority.NONE

# --- filters: a hand-made set with unique titles, so each expectation can be spelled out ---------

# title: (description, completed, priority, due_at, tags)
FILTER_SET: dict[str, tuple[str | None, bool, Priority, datetime | None, list[str]]] = {
    "Buy milk": ("2 litres", False, HIGH, D0, ["home", "shop"]),
    "Buy bread": (None, True, LOW, D0 + DAY, ["shop"]),
    "Call Bob": ("about the 50% discount", False, MEDIUM, None, ["work"]),
    "Write report": ("quarterly REPORT", False, HIGH, D0 + DAY, ["work", "urgent"]),
    "Review draft": ("report section a_b", True, NONE, D0 - 2 * DAY, []),
    "Feed the zebra": ("path back\\slash", False, NONE, None, ["Home"]),
    "Plan trip": ("500 off", True, HIGH, D0 + 3 * DAY, ["home"]),
    "Pay rent": ("axb", False, LOW, D0 - MICRO, ["finance", "home"]),
    "Water plants": ("MILKweed", False, MEDIUM, D0 + MICRO, ["garden"]),
}
EVERY_TITLE = set(FILTER_SET)


async def fill_filter_set(store: Store, owner: str, other: str) -> list[Task]:
    """The set for `owner`, in creation order; `other` gets copies that no listing of `owner` may show."""
    tasks = []
    for n, (title, (description, completed, priority, due_at, tags)) in enumerate(FILTER_SET.items()):
        for user in (owner, other):
            task = make_task(
                user, title, description, completed, T0 + n * timedelta(seconds=1), None, priority, due_at, tags
            )
            await store.add(task)
            if user == owner:
                tasks.append(task)
    return tasks


FILTERS: dict[str, tuple[TaskFilter, set[str]]] = {
    "no filter": (TaskFilter(), EVERY_TITLE),
    "completed": (TaskFilter(completed=True), {"Buy bread", "Review draft", "Plan trip"}),
    "open": (TaskFilter(completed=False), EVERY_TITLE - {"Buy bread", "Review draft", "Plan trip"}),
    "priority high": (TaskFilter(priority=HIGH), {"Buy milk", "Write report", "Plan trip"}),
    "priority medium": (TaskFilter(priority=MEDIUM), {"Call Bob", "Water plants"}),
    "priority low": (TaskFilter(priority=LOW), {"Buy bread", "Pay rent"}),
    "priority none": (TaskFilter(priority=NONE), {"Review draft", "Feed the zebra"}),
    "tag": (TaskFilter(tag="home"), {"Buy milk", "Plan trip", "Pay rent"}),
    "tag is case-sensitive": (TaskFilter(tag="Home"), {"Feed the zebra"}),
    "tag in second place": (TaskFilter(tag="urgent"), {"Write report"}),
    "tag matches whole tags only": (TaskFilter(tag="hom"), set()),
    "unknown tag": (TaskFilter(tag="nothing"), set()),
    "due before, strictly": (TaskFilter(due_before=D0), {"Review draft", "Pay rent"}),
    "due after, strictly": (TaskFilter(due_after=D0), {"Buy bread", "Write report", "Plan trip", "Water plants"}),
    "due window of one instant": (TaskFilter(due_after=D0 - MICRO, due_before=D0 + MICRO), {"Buy milk"}),
    "empty due window": (TaskFilter(due_after=D0, due_before=D0), set()),
    "inverted due window": (TaskFilter(due_after=D0 + DAY, due_before=D0), set()),
    "due before, in another zone": (
        TaskFilter(due_before=(D0 + MICRO).astimezone(ZoneInfo("Asia/Tokyo"))),
        {"Review draft", "Pay rent", "Buy milk"},
    ),
    "text in title": (TaskFilter(text="bread"), {"Buy bread"}),
    "text ignores ASCII case": (TaskFilter(text="bUY"), {"Buy milk", "Buy bread"}),
    "text in title or description": (TaskFilter(text="milk"), {"Buy milk", "Water plants"}),
    "text upper case in description": (TaskFilter(text="REPORT"), {"Write report", "Review draft"}),
    "text with a percent sign is literal": (TaskFilter(text="50%"), {"Call Bob"}),
    "text percent sign alone": (TaskFilter(text="%"), {"Call Bob"}),
    "text with an underscore is literal": (TaskFilter(text="a_b"), {"Review draft"}),
    "text underscore alone": (TaskFilter(text="_"), {"Review draft"}),
    "text with a backslash is literal": (TaskFilter(text="k\\s"), {"Feed the zebra"}),
    "text spanning words": (TaskFilter(text="the zeb"), {"Feed the zebra"}),
    "text nowhere": (TaskFilter(text="zzz"), set()),
    "text empty matches everything": (TaskFilter(text=""), EVERY_TITLE),
    "open and high": (TaskFilter(completed=False, priority=HIGH), {"Buy milk", "Write report"}),
    "open, high, tagged work": (TaskFilter(completed=False, priority=HIGH, tag="work"), {"Write report"}),
    "tag and due before": (TaskFilter(tag="home", due_before=D0), {"Pay rent"}),
    "tag and open": (TaskFilter(tag="home", completed=False), {"Buy milk", "Pay rent"}),
    "every filter at once": (
        TaskFilter(False, HIGH, "work", D0 + 2 * DAY, D0, "QUARTERLY"),
        {"Write report"},
    ),
    "every filter, the strict bound excludes": (TaskFilter(False, HIGH, "work", D0 + DAY, D0, "quarterly"), set()),
    "completed and text": (TaskFilter(completed=True, text="report"), {"Review draft"}),
    "priority and text in description only": (TaskFilter(priority=MEDIUM, text="weed"), {"Water plants"}),
}


@pytest.mark.parametrize(("wanted", "titles"), FILTERS.values(), ids=FILTERS.keys())
async def test_each_filter_alone_and_combined(
    store: Store, owner: str, other: str, wanted: TaskFilter, titles: set[str]
) -> None:
    tasks = await fill_filter_set(store, owner, other)

    listed = await store.list(owner, query=TaskQuery(wanted))

    assert {task.title for task in listed} == titles
    assert listed == [task for task in tasks if task.title in titles]  # whole tasks, in creation order
    assert all(task.user_id == owner for task in listed)


@pytest.mark.parametrize(("wanted", "titles"), FILTERS.values(), ids=FILTERS.keys())
async def test_filters_never_reach_another_owners_tasks(
    store: Store, owner: str, other: str, wanted: TaskFilter, titles: set[str]
) -> None:
    await fill_filter_set(store, other, f"third-{uuid4()}")

    assert await store.list(owner, query=TaskQuery(wanted)) == []


async def test_a_filter_sees_changes_made_since(store: Store, owner: str, other: str) -> None:
    tasks = await fill_filter_set(store, owner, other)
    milk = next(task for task in tasks if task.title == "Buy milk")

    await store.toggle_completion(owner, task_id=milk.id, now=T0 + DAY)

    completed = await store.list(owner, query=TaskQuery(TaskFilter(completed=True)))
    assert [task.title for task in completed] == ["Buy milk", "Buy bread", "Review draft", "Plan trip"]


async def test_text_search_matches_non_ascii_text_of_the_same_case(store: Store, owner: str) -> None:
    task = make_task(owner, "Café au lait", "crème brûlée")
    await store.add(task)

    assert await store.list(owner, query=TaskQuery(TaskFilter(text="café"))) == [task]
    assert await store.list(owner, query=TaskQuery(TaskFilter(text="CAFé"))) == [task]
    assert await store.list(owner, query=TaskQuery(TaskFilter(text="brûlée"))) == [task]


# --- sorts: a generated set full of ties, with and without due dates ----------------------------

# Code-point order: "0" < "A" < "Ab" < "B" < "Z" < "_" < "a" < "ab" < "b" < "é" (a locale would differ).
TITLES = ["b", "B", "a", "A", "a", "ab", "Ab", "é", "Z", "_", "0", "B"]
DUES = [None, D0, D0 + timedelta(hours=1), None, D0 - timedelta(hours=1), D0]
ATTRIBUTE = {
    SortKey.CREATED: "created_at",
    SortKey.UPDATED: "updated_at",
    SortKey.DUE: "due_at",
    SortKey.PRIORITY: "priority",
    SortKey.TITLE: "title",
}
SORT_SET_SIZE = 30


async def fill_sort_set(store: Store, owner: str, other: str) -> list[Task]:
    tasks = []
    for n in range(SORT_SET_SIZE):
        created = T0 + timedelta(seconds=n % 4)
        task = make_task(
            owner,
            TITLES[n % len(TITLES)],
            created_at=created,
            updated_at=created + timedelta(seconds=(n * 7) % 5),
            priority=Priority(n % 4),
            due_at=DUES[n % len(DUES)],
            completed=n % 3 == 0,
        )
        await store.add(task)
        tasks.append(task)
        await store.add(make_task(other, TITLES[n % len(TITLES)], created_at=created, due_at=DUES[n % len(DUES)]))
    return tasks


def expected_order(tasks: list[Task], sort: SortKey, descending: bool) -> list[Task]:
    """The order the query promises: by the sort value (no due date last), then by id; descending reverses all."""

    def key(task: Task) -> tuple[Any, ...]:
        value = getattr(task, ATTRIBUTE[sort])
        return (value is None, value if value is not None else 0, task.id)

    ascending = sorted(tasks, key=key)
    return ascending[::-1] if descending else ascending


SORTS = [(sort, descending) for sort in SortKey for descending in (False, True)]
SORT_IDS = [("-" if descending else "") + sort for sort, descending in SORTS]


def test_the_sort_set_has_ties_for_every_sort_and_tasks_without_due_date() -> None:
    """A guard on the fixture itself: without ties, the tie-break would go untested."""
    owner = "x"
    tasks = [
        make_task(owner, TITLES[n % len(TITLES)], priority=Priority(n % 4), due_at=DUES[n % len(DUES)])
        for n in range(SORT_SET_SIZE)
    ]
    for attribute in ("title", "priority", "due_at"):
        values = [getattr(task, attribute) for task in tasks]
        assert len(set(values)) < len(values)
    assert any(task.due_at is None for task in tasks)


@pytest.mark.parametrize(("sort", "descending"), SORTS, ids=SORT_IDS)
async def test_each_sort_in_each_direction_breaks_ties_by_id(
    store: Store, owner: str, other: str, sort: SortKey, descending: bool
) -> None:
    tasks = await fill_sort_set(store, owner, other)

    listed = await store.list(owner, query=TaskQuery(sort=sort, descending=descending, limit=MAX_PAGE_SIZE))

    assert listed == expected_order(tasks, sort, descending)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_tasks_without_due_date_come_last_ascending_and_first_descending(
    store: Store, owner: str, other: str, descending: bool
) -> None:
    tasks = await fill_sort_set(store, owner, other)
    undated = sum(task.due_at is None for task in tasks)

    listed = await store.list(owner, query=TaskQuery(sort=SortKey.DUE, descending=descending))

    dues = [task.due_at for task in listed]
    if descending:
        assert dues[:undated] == [None] * undated
        assert None not in dues[undated:]
        assert dues[undated:] == sorted(dues[undated:], reverse=True)  # type: ignore[type-var]
    else:
        assert dues[-undated:] == [None] * undated
        assert None not in dues[:-undated]
        assert dues[:-undated] == sorted(dues[:-undated])  # type: ignore[type-var]


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_titles_sort_in_code_point_order(store: Store, owner: str, descending: bool) -> None:
    titles = ["b", "é", "_x", "Z", "a", "0", "B", "ab", "A", "Ab", "~", "ü"]
    for title in titles:
        await store.add(make_task(owner, title))

    listed = await store.list(owner, query=TaskQuery(sort=SortKey.TITLE, descending=descending))

    assert [task.title for task in listed] == sorted(titles, reverse=descending)
    assert [task.title for task in listed][:4] == (["ü", "é", "~", "b"] if descending else ["0", "A", "Ab", "B"])


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_priority_sorts_high_above_low(store: Store, owner: str, descending: bool) -> None:
    for priority in (LOW, HIGH, NONE, MEDIUM):
        await store.add(make_task(owner, priority.label, priority=priority))

    listed = await store.list(owner, query=TaskQuery(sort=SortKey.PRIORITY, descending=descending))

    expected = ["high", "medium", "low", "none"]
    assert [task.title for task in listed] == (expected if descending else expected[::-1])


@pytest.mark.parametrize(("sort", "descending"), SORTS, ids=SORT_IDS)
async def test_a_limit_gives_the_first_tasks_of_the_order(
    store: Store, owner: str, other: str, sort: SortKey, descending: bool
) -> None:
    tasks = await fill_sort_set(store, owner, other)

    listed = await store.list(owner, query=TaskQuery(sort=sort, descending=descending, limit=7))

    assert listed == expected_order(tasks, sort, descending)[:7]


# --- keyset pages ---------------------------------------------------------------------------


def position(task: Task, sort: SortKey) -> Position:
    return Position(getattr(task, ATTRIBUTE[sort]), task.id)


async def page_through(store: Store, owner: str, query: TaskQuery) -> list[list[Task]]:
    """Every page, each starting after the last task of the one before, until a short page."""
    pages: list[list[Task]] = []
    after = None
    while True:
        page = await store.list(owner, query=TaskQuery(query.filter, query.sort, query.descending, query.limit, after))
        pages.append(page)
        assert len(pages) <= SORT_SET_SIZE + 2, "paging does not end"
        if len(page) < query.limit:
            return pages
        after = position(page[-1], query.sort)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 30])
@pytest.mark.parametrize(("sort", "descending"), SORTS, ids=SORT_IDS)
async def test_paging_gives_every_task_once_in_the_order_of_one_big_page(
    store: Store, owner: str, other: str, sort: SortKey, descending: bool, size: int
) -> None:
    tasks = await fill_sort_set(store, owner, other)
    one_page = await store.list(owner, query=TaskQuery(sort=sort, descending=descending, limit=MAX_PAGE_SIZE))

    pages = await page_through(store, owner, TaskQuery(sort=sort, descending=descending, limit=size))

    assert [task for page in pages for task in page] == one_page == expected_order(tasks, sort, descending)
    assert all(len(page) == size for page in pages[:-1])
    assert len(pages) == SORT_SET_SIZE // size + 1


PAGED_FILTERS = {
    "open": TaskFilter(completed=False),
    "priority": TaskFilter(priority=HIGH),
    "due window": TaskFilter(due_after=D0 - timedelta(hours=2), due_before=D0 + timedelta(hours=1)),
}


@pytest.mark.parametrize("wanted", PAGED_FILTERS.values(), ids=PAGED_FILTERS.keys())
@pytest.mark.parametrize(("sort", "descending"), SORTS, ids=SORT_IDS)
async def test_paging_a_filtered_listing_gives_every_match_once(
    store: Store, owner: str, other: str, sort: SortKey, descending: bool, wanted: TaskFilter
) -> None:
    tasks = await fill_sort_set(store, owner, other)
    matching = [task for task in expected_order(tasks, sort, descending) if _matches(wanted, task)]
    assert matching  # the filter leaves something to page through

    pages = await page_through(store, owner, TaskQuery(wanted, sort, descending, limit=2))

    assert [task for page in pages for task in page] == matching


def _matches(wanted: TaskFilter, task: Task) -> bool:
    """The three filters above, spelled out independently of the code under test."""
    if wanted.completed is not None and task.completed != wanted.completed:
        return False
    if wanted.priority is not None and task.priority != wanted.priority:
        return False
    if wanted.due_after is not None and (task.due_at is None or not wanted.due_after < task.due_at):
        return False
    return wanted.due_before is None or (task.due_at is not None and task.due_at < wanted.due_before)


@pytest.mark.parametrize(("sort", "descending"), SORTS, ids=SORT_IDS)
async def test_a_page_after_a_deleted_task_continues_where_it_stood(
    store: Store, owner: str, other: str, sort: SortKey, descending: bool
) -> None:
    tasks = await fill_sort_set(store, owner, other)
    order = expected_order(tasks, sort, descending)
    for n in (0, 5, 13, len(order) - 1):
        gone = order[n]
        assert await store.delete(owner, task_id=gone.id) is True

        page = await store.list(owner, query=TaskQuery(sort=sort, descending=descending, after=position(gone, sort)))

        assert page == order[n + 1 :]
        await store.add(gone)  # put it back for the next position


@pytest.mark.parametrize(("sort", "descending"), SORTS, ids=SORT_IDS)
async def test_a_page_after_the_last_task_is_empty(
    store: Store, owner: str, other: str, sort: SortKey, descending: bool
) -> None:
    tasks = await fill_sort_set(store, owner, other)
    last = expected_order(tasks, sort, descending)[-1]

    assert await store.list(owner, query=TaskQuery(sort=sort, descending=descending, after=position(last, sort))) == []


POSITIONS: dict[str, tuple[SortKey, bool, Callable[[], Position]]] = {
    "due, before every date, ascending": (SortKey.DUE, False, lambda: Position(D0 - 30 * DAY, UUID(int=0))),
    "due, past every date, ascending": (SortKey.DUE, False, lambda: Position(D0 + 30 * DAY, UUID(int=0))),
    "due, at no date, ascending": (SortKey.DUE, False, lambda: Position(None, UUID(int=0))),
    "due, at no date, descending": (SortKey.DUE, True, lambda: Position(None, UUID(int=2**128 - 1))),
    "due, past every date, descending": (SortKey.DUE, True, lambda: Position(D0 - 30 * DAY, UUID(int=0))),
    "title, between values": (SortKey.TITLE, False, lambda: Position("AZ", UUID(int=0))),
    "priority, descending, at medium": (SortKey.PRIORITY, True, lambda: Position(2, UUID(int=2**128 - 1))),
    "created, before all": (SortKey.CREATED, False, lambda: Position(T0 - DAY, UUID(int=0))),
}


@pytest.mark.parametrize(("sort", "descending", "at"), POSITIONS.values(), ids=POSITIONS.keys())
async def test_a_page_after_any_position_holds_the_tasks_that_sort_after_it(
    store: Store, owner: str, other: str, sort: SortKey, descending: bool, at: Callable[[], Position]
) -> None:
    tasks = await fill_sort_set(store, owner, other)
    after = at()
    marker = make_task("nobody", "marker", due_at=after.value if sort is SortKey.DUE else None)
    marker.id = after.id
    if sort is SortKey.TITLE:
        marker.title = after.value
    elif sort is SortKey.PRIORITY:
        marker.priority = Priority(after.value)
    elif sort is SortKey.CREATED:
        marker.created_at = after.value
    # Where the position would sit among the tasks, and so which tasks come after it.
    order = expected_order([*tasks, marker], sort, descending)
    expected = order[order.index(marker) + 1 :]

    listed = await store.list(
        owner, query=TaskQuery(sort=sort, descending=descending, limit=MAX_PAGE_SIZE, after=after)
    )

    assert listed == expected
