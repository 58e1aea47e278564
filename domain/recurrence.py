"""Recurring tasks: the rule a series follows (an RFC 5545 RRULE) and the next occurrence it gives.

Occurrences are computed on the wall clock of the task's time zone: a task due at 09:00 in
`Europe/Berlin` every week stays at 09:00 there across daylight-saving changes. A local time that a
change skips (02:30 on the spring-forward night) moves forward by the gap; one it repeats is the first.

A rule is checked before it is kept, so that computing an occurrence never costs more than a few
milliseconds, whatever a client sends: only what RFC 5545 allows at each frequency, nothing more
frequent than once an hour, and a rule must yield an occurrence within 400 years (every calendar
pattern repeats after 400 Gregorian years, see `_yields_ever`).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import rrule, rruleset, rrulestr

from domain.errors import FieldError, InvalidInput

DEFAULT_TIME_ZONE = "UTC"
MAX_RULE_LENGTH = 300
MAX_TIME_ZONE_LENGTH = 64  # the longest IANA name is 32 characters
MAX_COUNT = 2**31 - 1
MAX_INTERVAL = 1000

PLAIN_WORDS = {"daily": "FREQ=DAILY", "weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY", "yearly": "FREQ=YEARLY"}

_FREQUENCIES = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_TOO_FREQUENT = ("SECONDLY", "MINUTELY")
# The parts RFC 5545 allows with each frequency (its table in section 3.3.10), less BYSETPOS below
# WEEKLY and BYYEARDAY below YEARLY, which select nothing a simpler rule cannot.
_COMMON = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYHOUR", "BYMINUTE", "BYSECOND"}
_ALLOWED = {
    "HOURLY": _COMMON | {"BYMONTH", "BYMONTHDAY", "BYDAY"},
    "DAILY": _COMMON | {"BYMONTH", "BYMONTHDAY", "BYDAY"},
    "WEEKLY": _COMMON | {"BYMONTH", "BYDAY"},
    "MONTHLY": _COMMON | {"BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS"},
    "YEARLY": _COMMON | {"BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "BYYEARDAY", "BYWEEKNO"},
}
# Parts that keep only some of a frequency's periods. With INTERVAL above 1 they can miss every
# period the interval steps on (FREQ=DAILY;INTERVAL=7;BYDAY=TU from a Monday never happens).
_LIMITS = {
    "HOURLY": {"BYMONTH", "BYMONTHDAY", "BYDAY", "BYHOUR"},
    "DAILY": {"BYMONTH", "BYMONTHDAY", "BYDAY"},
    "WEEKLY": {"BYMONTH"},
}
_PART = re.compile(r"[A-Z]+=[A-Z0-9,+\-]+")
_NUMBERED_DAY = re.compile(r"[+-]?[0-9]")
_ANY_DAY = "BYDAY=MO,TU,WE,TH,FR,SA,SU"


def _parts(rule: str) -> dict[str, str]:
    """A checked rule's parts by name (`{"FREQ": "WEEKLY", "BYDAY": "MO,WE"}`)."""
    return dict(part.split("=") for part in rule.split(";"))


def _rule_of(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def _problem(message: str) -> InvalidInput:
    return InvalidInput([FieldError("recurrence", message)])


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_time_zone(raw: str) -> ZoneInfo:
    """An IANA time zone by name (`Europe/Berlin`). The default needs no look-up (the first reads the
    zone folders: 30 ms)."""
    if raw != DEFAULT_TIME_ZONE and raw not in known_time_zones():
        raise InvalidInput([FieldError("time_zone", "must be an IANA time zone name, such as Europe/Berlin or UTC")])
    return ZoneInfo(raw)


def parse_recurrence(raw: str) -> str:
    """The RRULE a client's value means: a plain word (`weekly`) or an RRULE (`FREQ=WEEKLY;BYDAY=MO`,
    with or without `RRULE:`), in capitals. Checks the rule's shape, not yet its dates (`Series`)."""
    text = raw.strip()
    if text.lower() in PLAIN_WORDS:
        return PLAIN_WORDS[text.lower()]
    text = text.upper().removeprefix("RRULE:")
    if len(text) > MAX_RULE_LENGTH:
        raise _problem(f"must be at most {MAX_RULE_LENGTH} characters")
    parts = text.split(";")
    if not all(_PART.fullmatch(part) for part in parts):
        raise _problem("must be daily, weekly, monthly, yearly or an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO,WE")
    named = _parts(text)
    if len(named) != len(parts):
        raise _problem("names a part twice")
    _check_shape(named)
    return text


def _check_shape(parts: dict[str, str]) -> None:
    frequency = parts.get("FREQ")
    if frequency in _TOO_FREQUENT:
        raise _problem(f"FREQ={frequency} is more frequent than once an hour, the most a task may recur")
    if frequency not in _FREQUENCIES:
        raise _problem(f"FREQ must be one of {', '.join(_FREQUENCIES)}")
    if extra := sorted(set(parts) - _ALLOWED[frequency]):
        raise _problem(f"{', '.join(extra)} cannot be used with FREQ={frequency}")
    for name in ("BYMINUTE", "BYSECOND"):
        if "," in parts.get(name, ""):
            raise _problem(f"{name} with several values recurs more often than once an hour")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _problem("COUNT and UNTIL cannot both be given")
    for name, most in (("COUNT", MAX_COUNT), ("INTERVAL", MAX_INTERVAL)):
        if name in parts and not (parts[name].isdigit() and 1 <= int(parts[name][:12]) <= most):
            raise _problem(f"{name} must be a whole number from 1 to {most}")
    if "UNTIL" in parts and not re.fullmatch(r"[0-9]{8}T[0-9]{6}Z", parts["UNTIL"]):
        raise _problem("UNTIL must be a UTC time such as 20271231T235959Z")
    if frequency in ("HOURLY", "DAILY", "WEEKLY") and _NUMBERED_DAY.search(parts.get("BYDAY", "")):
        raise _problem(f"a numbered BYDAY (such as 1MO) needs FREQ=MONTHLY or YEARLY, not {frequency}")
    if int(parts.get("INTERVAL", "1")) > 1 and (limits := sorted(set(parts) & _LIMITS.get(frequency, set()))):
        raise _problem(f"INTERVAL above 1 cannot be combined with {', '.join(limits)} at FREQ={frequency}")


@dataclass(frozen=True, slots=True)
class Series:
    """A task's place in its series: the rule it follows, in its time zone, due at `due_at` (UTC)."""

    rule: str
    time_zone: str
    due_at: datetime

    def check(self) -> None:
        """`InvalidInput` unless the rule yields an occurrence from `due_at` on."""
        local = self._local_due()
        try:
            rule = self._rule(local)
        except ValueError as error:
            raise _problem(f"is not a valid RRULE: {error}") from None
        if not _yields_ever(self.rule, local):
            raise _problem("yields no occurrence: no date matches it within 400 years")
        if rule.after(local, inc=True) is None:
            raise _problem("yields no occurrence from due_at on (UNTIL is before it)")

    def following(self) -> "Series | None":
        """The next occurrence after this one, with the rule its task keeps (one fewer in a COUNT);
        None when the series has ended."""
        parts = _parts(self.rule)
        count = int(parts.get("COUNT", "0"))
        if count == 1:
            return None
        local = self._local_due()
        following = self._rule(local, without_count=True).after(local)
        if following is None:
            return None
        if count:
            parts["COUNT"] = str(count - 1)
        if _skipped(following):
            # The successor is due later on the wall clock than its rule says; its own successor
            # must not follow from there, so the time of day the rule meant is written into it.
            meant = {"BYHOUR": following.hour, "BYMINUTE": following.minute, "BYSECOND": following.second}
            parts |= {name: str(value) for name, value in meant.items() if name not in parts}
        return Series(_rule_of(parts), self.time_zone, following.astimezone(UTC))

    def _local_due(self) -> datetime:
        return self.due_at.astimezone(ZoneInfo(self.time_zone)).replace(fold=0)

    def _rule(self, local_due: datetime, *, without_count: bool = False) -> rrule | rruleset:
        text = _rule_of({k: v for k, v in _parts(self.rule).items() if k != "COUNT"}) if without_count else self.rule
        return rrulestr(text, dtstart=local_due)


def _skipped(local: datetime) -> bool:
    """Whether a daylight-saving change skips this wall-clock time."""
    return local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) != local.replace(tzinfo=None)


def _yields_ever(rule: str, local_due: datetime) -> bool:
    """Whether the rule, without its end, yields any occurrence at all.

    dateutil's search for a rule no date matches runs on to the year 9999 (an end does not stop it),
    seconds of work. But 400 Gregorian years are 146,097 days, whole weeks: every calendar pattern
    repeats after them, so the rule started at the same point of a cycle that ends near 9999 yields
    the same pattern, and there the search stops by itself within 800 years: milliseconds for a
    MONTHLY or YEARLY rule. Below MONTHLY, where that would still be too many periods, the rule's
    shape (`_LIMITS`) leaves only its days to miss, so the days are searched at FREQ=YEARLY instead.
    """
    year = 9200 + local_due.year % 400
    shifted = local_due.replace(year=year)
    parts = _parts(rule)
    if parts["FREQ"] in ("MONTHLY", "YEARLY"):
        ended_never = _rule_of({k: v for k, v in parts.items() if k not in ("COUNT", "UNTIL")})
    else:
        days = [f"{k}={v}" for k, v in parts.items() if k in ("BYMONTH", "BYMONTHDAY", "BYDAY")]
        if not any(day.startswith(("BYMONTHDAY", "BYDAY")) for day in days):
            days.append(_ANY_DAY)
        ended_never = ";".join(["FREQ=YEARLY", *days])
    return rrulestr(ended_never, dtstart=shifted).after(shifted, inc=True) is not None


def remind_time(
    *, due_at: datetime | None, remind_at: datetime | None, remind_before: timedelta | None
) -> datetime | None:
    """When a task's reminder fires: at `remind_at`, or `remind_before` ahead of `due_at`."""
    if remind_before is not None and due_at is not None:
        return due_at - remind_before
    return remind_at
