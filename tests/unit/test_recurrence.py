"""The rules of recurring tasks and reminders, in the domain alone: no I/O."""

import hashlib
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.errors import InvalidInput
from domain.recurrence import Series, parse_recurrence
from domain.task import Task, TaskDraft

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def occurrences(rule: str, due: datetime, zone: str = "Europe/Berlin", most: int = 6) -> list[datetime]:
    """The due times of the tasks that follow one due at `due`, one completion after another."""
    found: list[datetime] = []
    series: Series | None = Series(parse_recurrence(rule), zone, due)
    assert series is not None
    series.check()
    while len(found) < most and series is not None and (series := series.following()) is not None:
        found.append(series.due_at)
    return found


def problem(draft: TaskDraft) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        draft.checked()
    return {error.field: error.message for error in raised.value.errors}


@pytest.mark.parametrize(
    ("word", "rule"),
    [("daily", "FREQ=DAILY"), ("Weekly", "FREQ=WEEKLY"), ("monthly", "FREQ=MONTHLY"), ("yearly", "FREQ=YEARLY")],
)
def test_the_plain_words_are_kept_as_the_rrule_they_mean(word: str, rule: str) -> None:
    assert parse_recurrence(word) == rule


def test_an_rrule_is_kept_in_capitals_without_its_prefix() -> None:
    assert parse_recurrence("RRULE:freq=weekly;byday=mo,we") == "FREQ=WEEKLY;BYDAY=MO,WE"


def test_a_weekly_meeting_stays_at_nine_local_time_across_both_daylight_saving_changes() -> None:
    spring = occurrences("weekly", berlin(2026, 3, 23, 9, 0), most=2)  # clocks go forward on 29 March
    autumn = occurrences("weekly", berlin(2026, 10, 19, 9, 0), most=2)  # and back on 25 October

    assert [t.astimezone(BERLIN).replace(tzinfo=None) for t in spring + autumn] == [
        datetime(2026, 3, 30, 9, 0),
        datetime(2026, 4, 6, 9, 0),
        datetime(2026, 10, 26, 9, 0),
        datetime(2026, 11, 2, 9, 0),
    ]
    # In UTC the meeting moves by the hour the clocks moved.
    assert [t.hour for t in spring] == [7, 7]
    assert [t.hour for t in autumn] == [8, 8]


def test_a_daily_task_at_a_time_the_spring_change_skips_moves_on_by_the_gap() -> None:
    following = occurrences("daily", berlin(2026, 3, 28, 2, 30), most=2)

    assert following == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 30, 0, 30, tzinfo=UTC)]


def test_weekdays_of_a_week_follow_one_another() -> None:
    assert occurrences("FREQ=WEEKLY;BYDAY=MO,WE", berlin(2026, 3, 23, 9, 0), most=3) == [
        berlin(2026, 3, 25, 9, 0),
        berlin(2026, 3, 30, 9, 0),
        berlin(2026, 4, 1, 9, 0),
    ]


def test_monthly_on_the_31st_skips_the_months_without_one_and_the_last_day_is_minus_one() -> None:
    assert occurrences("monthly", berlin(2026, 1, 31, 9, 0), most=3) == [
        berlin(2026, 3, 31, 9, 0),
        berlin(2026, 5, 31, 9, 0),
        berlin(2026, 7, 31, 9, 0),
    ]
    assert occurrences("FREQ=MONTHLY;BYMONTHDAY=-1", berlin(2026, 1, 31, 9, 0), most=3) == [
        berlin(2026, 2, 28, 9, 0),
        berlin(2026, 3, 31, 9, 0),
        berlin(2026, 4, 30, 9, 0),
    ]


def test_yearly_on_29_february_comes_back_in_leap_years_only() -> None:
    assert occurrences("yearly", berlin(2028, 2, 29, 9, 0), most=2) == [
        berlin(2032, 2, 29, 9, 0),
        berlin(2036, 2, 29, 9, 0),
    ]


def test_until_in_utc_ends_a_series_kept_in_another_offset() -> None:
    # 23:30 in New York is 04:30 UTC the next day: UNTIL counts in UTC, not on New York's calendar.
    due = datetime(2026, 6, 1, 23, 30, tzinfo=NEW_YORK).astimezone(UTC)

    following = occurrences("FREQ=DAILY;UNTIL=20260604T043000Z", due, zone="America/New_York")

    assert [t.astimezone(NEW_YORK).day for t in following] == [2, 3]


def test_count_is_carried_down_the_series_and_a_series_of_one_has_no_successor() -> None:
    series = Series("FREQ=DAILY;COUNT=3", "UTC", datetime(2026, 1, 1, 9, tzinfo=UTC))

    second = series.following()
    assert second is not None
    assert second.rule == "FREQ=DAILY;COUNT=2"
    third = second.following()
    assert third is not None
    assert third.rule == "FREQ=DAILY;COUNT=1"
    assert third.following() is None


def test_a_series_that_reaches_the_end_of_the_calendar_ends() -> None:
    assert Series("FREQ=YEARLY", "UTC", datetime(9999, 6, 1, tzinfo=UTC)).following() is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("every monday", "must be daily, weekly, monthly, yearly or an RFC 5545 RRULE"),
        ("FREQ=WEEKLY;BYDAY=XX", "is not a valid RRULE"),
        ("FREQ=MINUTELY", "more frequent than once an hour"),
        ("FREQ=SECONDLY;COUNT=5", "more frequent than once an hour"),
        ("FREQ=HOURLY;BYMINUTE=0,30", "more often than once an hour"),
        ("FREQ=WEEKLY;BYDAY=MO;FREQ=DAILY", "names a part twice"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be a whole number from 1 to 2147483647"),
        ("FREQ=DAILY;COUNT=99999999999999999999", "COUNT must be a whole number from 1 to 2147483647"),
        ("FREQ=DAILY;INTERVAL=1001", "INTERVAL must be a whole number from 1 to 1000"),
        ("FREQ=DAILY;UNTIL=20270101", "UNTIL must be a UTC time"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z", "COUNT and UNTIL cannot both be given"),
        ("FREQ=WEEKLY;BYYEARDAY=100", "BYYEARDAY cannot be used with FREQ=WEEKLY"),
        ("FREQ=DAILY;BYSETPOS=1", "BYSETPOS cannot be used with FREQ=DAILY"),
        ("FREQ=WEEKLY;BYDAY=1MO", "a numbered BYDAY (such as 1MO) needs FREQ=MONTHLY or YEARLY"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "INTERVAL above 1 cannot be combined with BYDAY at FREQ=DAILY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "yields no occurrence"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "yields no occurrence"),
        ("FREQ=DAILY;UNTIL=20200101T000000Z", "yields no occurrence from due_at on"),
        ("FREQ=" + "DAILY;BYHOUR=1" * 30, "at most 300 characters"),
    ],
)
def test_a_rule_that_cannot_be_kept_is_refused_naming_recurrence(rule: str, message: str) -> None:
    errors = problem(TaskDraft("t", due_at=datetime(2026, 3, 1, 9, tzinfo=UTC), recurrence=rule))

    assert list(errors) == ["recurrence"]
    assert message in errors["recurrence"]


# dateutil alone searches such rules until the year 9999: seconds each (docs/api.md, "Recurring tasks").
HOSTILE = [
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=WEEKLY;BYMONTH=2;BYDAY=MO;COUNT=2147483647",
    "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31;BYSETPOS=-1",
    "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31",
    "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO;BYMONTH=1;BYMONTHDAY=1",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",  # possible: once in 28 years or more
]


@pytest.mark.parametrize("rule", HOSTILE)
def test_a_hostile_rule_is_checked_and_followed_in_bounded_time(rule: str) -> None:
    draft = TaskDraft("t", due_at=berlin(2026, 4, 1, 9, 0), recurrence=rule, time_zone="Europe/Berlin")

    started = time.perf_counter()
    refused: list[str] = []
    try:
        content = draft.checked()
        Task.create("u", content, datetime.now(UTC)).successor(datetime.now(UTC))
    except InvalidInput as error:
        refused = [e.field for e in error.errors]
    assert time.perf_counter() - started < 0.5
    assert refused in ([], ["recurrence"])


def test_a_recurring_task_needs_a_due_date_and_a_known_zone() -> None:
    assert problem(TaskDraft("t", recurrence="weekly")) == {
        "due_at": "is required when the task recurs: occurrences follow it"
    }
    assert problem(TaskDraft("t", time_zone="Mars/Olympus")) == {
        "time_zone": "must be an IANA time zone name, such as Europe/Berlin or UTC"
    }


def test_a_reminder_before_the_due_time_fires_that_long_before_it() -> None:
    due = datetime(2026, 5, 4, 9, tzinfo=UTC)

    content = TaskDraft("t", due_at=due, remind_before=timedelta(minutes=15)).checked()

    assert content.remind_at == datetime(2026, 5, 4, 8, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("draft", "errors"),
    [
        (TaskDraft("t", remind_before=timedelta(minutes=5)), {"remind_before": "needs a due_at to count back from"}),
        (
            TaskDraft("t", due_at=datetime(2026, 5, 4, tzinfo=UTC), remind_before=timedelta(days=-1)),
            {"remind_before": "must be from PT0S to P366D"},
        ),
        (
            TaskDraft(
                "t",
                due_at=datetime(2026, 5, 4, 9, tzinfo=UTC),
                remind_at=datetime(2026, 5, 4, 8, tzinfo=UTC),
                remind_before=timedelta(minutes=15),
            ),
            {"remind_at": "disagrees with remind_before: give one of them"},
        ),
        (
            TaskDraft("t", remind_at=datetime(2026, 5, 4, 9)),
            {"remind_at": "must carry a UTC offset, as RFC 3339 requires"},
        ),
    ],
)
def test_a_reminder_that_cannot_be_kept_is_refused_naming_its_field(draft: TaskDraft, errors: dict[str, str]) -> None:
    assert problem(draft) == errors


def test_the_successor_follows_its_task_with_the_same_fields_and_keeps_its_reminder_ahead_of_its_due_time() -> None:
    now = datetime(2026, 3, 23, 9, 30, tzinfo=UTC)
    draft = TaskDraft(
        "stand-up",
        "daily",
        priority="high",
        due_at=berlin(2026, 3, 23, 9, 0),
        tags=["team"],
        recurrence="FREQ=WEEKLY;COUNT=3",
        time_zone="Europe/Berlin",
        remind_at=berlin(2026, 3, 23, 8, 50),
    )
    task = Task.create("ann", draft.checked(), now)

    successor = task.successor(now)

    assert successor is not None
    assert (successor.title, successor.description, successor.priority.label, successor.tags) == (
        "stand-up",
        "daily",
        "high",
        ["team"],
    )
    assert (successor.due_at, successor.remind_at) == (berlin(2026, 3, 30, 9, 0), berlin(2026, 3, 30, 8, 50))
    assert (successor.recurrence, successor.time_zone) == ("FREQ=WEEKLY;COUNT=2", "Europe/Berlin")
    assert (successor.previous_id, successor.completed, successor.version) == (task.id, False, 1)
    assert successor.id != task.id


def test_a_task_that_does_not_recur_has_no_successor() -> None:
    task = Task.create("ann", TaskDraft("once", due_at=datetime(2026, 1, 1, tzinfo=UTC)).checked(), datetime.now(UTC))

    assert task.successor(datetime.now(UTC)) is None


def test_moving_the_reminder_arms_it_again_and_editing_anything_else_does_not() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    due = datetime(2026, 5, 4, 9, tzinfo=UTC)
    task = Task.create("ann", TaskDraft("t", due_at=due, remind_before=timedelta(minutes=15)).checked(), now)
    fired = Task(**{**{f: getattr(task, f) for f in Task.__dataclass_fields__}, "reminded_at": now})

    retitled = fired.with_content(fired.merged({"title": "u"}), now)
    moved = fired.with_content(fired.merged({"due_at": due + timedelta(days=1)}), now)

    assert (retitled.reminded_at, retitled.remind_at) == (now, fired.remind_at)
    assert (moved.reminded_at, moved.remind_at) == (None, datetime(2026, 5, 5, 8, 45, tzinfo=UTC))
    assert moved.reminder_pending
    assert not retitled.reminder_pending


def test_a_patch_naming_one_way_of_setting_the_reminder_clears_the_other() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    due = datetime(2026, 5, 4, 9, tzinfo=UTC)
    task = Task.create("ann", TaskDraft("t", due_at=due, remind_before=timedelta(minutes=15)).checked(), now)

    absolute = task.merged({"remind_at": datetime(2026, 5, 3, tzinfo=UTC)})

    assert (absolute.remind_at, absolute.remind_before) == (datetime(2026, 5, 3, tzinfo=UTC), None)


def test_a_retry_that_names_another_time_zone_is_another_request() -> None:
    plain = TaskDraft("t").checked()
    elsewhere = TaskDraft("t", time_zone="Europe/Berlin").checked()

    assert elsewhere.fingerprint() != plain.fingerprint()
    # A task without a series or a reminder keeps the fingerprint an Idempotency-Key recorded before them.
    assert plain.fingerprint() == hashlib.sha256(repr(("t", None, False, "none", None, ())).encode()).hexdigest()
