"""The days a record may hold and a view may be asked for: 1900-01-01 to 2199-12-31.

    from schemas.days import day_in_range
    day_in_range(date(9999, 12, 30))     # False

Rules and views add and subtract days (a day after a period ends, a review cycle, the reminders'
window); near the calendar's ends (0001-01-01, 9999-12-31) that is no day at all and Python
raises. A safety archive's dates — licences, tickets, agreements, orders — lie well inside this
range: a day outside it is refused where it comes in (the schemas' date fields, ``--as-of``,
``?as_of=``), and a sealed record holding one does not fit today's class (schemas.sealed).
"""

from __future__ import annotations

from datetime import date, datetime

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
OUT_OF_RANGE = f"日期超出可用范围 {FIRST_DAY} – {LAST_DAY} (a day out of range)"


def day_in_range(day: date) -> bool:
    """Whether ``day`` (or the day of a datetime) lies from :data:`FIRST_DAY` to :data:`LAST_DAY`."""
    if isinstance(day, datetime):
        day = day.date()
    return FIRST_DAY <= day <= LAST_DAY
