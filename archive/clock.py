"""The one clock of outsafe: every "now" and every "today" in the product comes from here.

    clock = archive.clock                  # the Archive holds one and passes it down
    clock.now()                            # aware datetime in UTC
    clock.today()                          # the calendar day in China (UTC+8), where the documents are dated
    clock.stamp()                          # "2026-06-08T02:00:00Z", the catalog's timestamp text

The day is China's (UTC+8) whatever the machine's time zone: a bureau's documents, deadlines and
the campaign's dates (4-30, 6-10, 10-20) are Chinese calendar days, and a server kept in UTC
must not date a record written at 07:30 in Jinan on the previous day.

Tests freeze it (``FixedClock``); ``--as-of DAY`` judges the archive as on that day, and nothing
dated after it is seen. Durations and timeouts use ``time.monotonic()``, which is not a date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from schemas.days import FIRST_DAY, LAST_DAY, day_in_range  # noqa: F401 - the days a view may be asked for (schemas.days)

CST = timezone(timedelta(hours=8), "CST")


class Clock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def today(self) -> date:
        return self.now().astimezone(CST).date()

    def stamp(self) -> str:
        return utc_stamp(self.now())


class FixedClock(Clock):
    """A clock that always reads ``at`` (tests, reproducible runs)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at


def utc_stamp(dt: datetime) -> str:
    """The catalog's timestamp text: UTC, seconds, ``Z``."""
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def local_day(stamp: str | None) -> date | None:
    """A catalog timestamp (``2026-06-09T02:00:00Z``) as the Chinese calendar day."""
    if not stamp:
        return None
    try:
        dt = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(CST).date()


def local_time(stamp: str | None) -> str:
    """A catalog timestamp as China time to the second (``2026-06-09 10:00:00``), for people."""
    if not stamp:
        return ""
    try:
        dt = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def day_start_stamp(day: date) -> str:
    """The catalog timestamp of the start of a Chinese calendar day (``--since 2026-06-09``)."""
    return utc_stamp(datetime(day.year, day.month, day.day, tzinfo=CST))


SYSTEM = Clock()
