"""Cron expressions with crontab's meaning, in IANA time zones, through APScheduler 3.

Pure functions: the scheduler fires with them, the API validates and previews with them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_days(field: str) -> str:
    """A cron day-of-week field (0 or 7 = Sunday, names allowed) as APScheduler day names.

    APScheduler 3 numbers days from Monday = 0, so a crontab "1-5" passed through would mean
    Tuesday to Saturday; the days are expanded here and handed over by name.
    """
    if field == "*":
        return field
    days: set[int] = set()

    def number(text: str) -> int:
        value = _DAY_NAMES.index(text.lower()[:3]) if text.isalpha() else int(text)
        if not 0 <= value <= 7:
            raise ValueError(f"day of week {text!r} is out of range (0-7)")
        return value

    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start, _, end = base.partition("-")
            first, last = number(start), number(end)
        else:
            first = number(base)
            last = 7 if step else first
        if first > last:
            raise ValueError(f"day-of-week range {base!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, int(step or 1)))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def cron_trigger(expression: str, timezone: str) -> BaseTrigger:
    """The trigger of a five-field crontab expression in an IANA zone, with cron's meaning.

    As in cron, when both day of month and day of week are restricted a day matching either
    fires. ValueError names what is wrong.
    """
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields, {expression!r} has {len(fields)}")
    minute, hour, day, month, weekday = fields
    weekday = _cron_days(weekday)

    def cron(day: str, weekday: str) -> CronTrigger:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, timezone=zone
        )

    if day != "*" and weekday != "*":
        return OrTrigger([cron(day, "*"), cron("*", weekday)])
    return cron(day, weekday)


def next_run(expression: str, timezone: str, *, due: datetime, now: datetime) -> datetime | None:
    """The first cron time after `now` (and after `due`), in UTC.

    When clocks go back, a wall time such as 01:30 happens twice; like cron, a schedule with
    a fixed hour fires at the first one only, while one whose hour is `*` fires every hour.
    """
    trigger = cron_trigger(expression, timezone)
    zone = ZoneInfo(timezone)
    fixed_hour = expression.split()[1] != "*"
    last_wall = due.astimezone(zone).replace(tzinfo=None)
    after = max(due, now).astimezone(UTC)
    while True:
        # cron times are whole minutes; asking from one second on keeps the answer after
        # `after` (APScheduler returns `after` itself at some DST folds)
        found: datetime | None = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
        if found is None:
            return None
        # in UTC from here: arithmetic on a zoned time is wall-clock and forgets the DST fold
        candidate = found.astimezone(UTC)
        if not fixed_hour or candidate.astimezone(zone).replace(tzinfo=None) > last_wall:
            return candidate
        after = candidate


def upcoming(expression: str, timezone: str, count: int, *, now: datetime) -> list[datetime]:
    """The next `count` run times after `now` (what the API shows when a schedule is saved)."""
    times: list[datetime] = []
    due = now
    while len(times) < count:
        found = next_run(expression, timezone, due=due, now=due)
        if found is None:
            break
        times.append(found)
        due = found
    return times
