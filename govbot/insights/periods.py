"""Time helpers: rows are stored in UTC; weeks are calendar weeks (Monday) in China Standard Time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

LOCAL = timezone(timedelta(hours=8), "CST")  # the hotline's working day and week
WEEK = timedelta(days=7)


def utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands them back naive)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def week_of(moment: datetime) -> date:
    """The Monday (local date) of the week `moment` falls in."""
    local = utc(moment).astimezone(LOCAL)
    return local.date() - timedelta(days=local.weekday())


def week_starts(now: datetime, weeks: int) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first, the current (partial) week last."""
    current = week_of(now)
    return [current - WEEK * i for i in range(weeks - 1, -1, -1)]


def local_midnight(day: date) -> datetime:
    """The start of a local day, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(timezone.utc)


def rolling_week(moment: datetime, now: datetime) -> str | None:
    """'this_week' for the last 7 days up to `now`, 'last_week' for the 7 days before, else None."""
    age = utc(now) - utc(moment)
    if age < timedelta(0):
        return None
    if age < WEEK:
        return "this_week"
    if age < 2 * WEEK:
        return "last_week"
    return None


def iso(moment: datetime | None) -> str | None:
    return utc(moment).isoformat(timespec="seconds") if moment else None
