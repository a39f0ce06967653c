"""Working days (工作日) for postings that must stay up a number of working days: the
committee's composition is posted for 10 working days (BJ 52–58).

A working day is Monday to Friday, except the public holidays listed in the setting
``PORTAL_PUBLIC_HOLIDAYS``, plus the weekend days listed in ``PORTAL_MAKEUP_WORKDAYS``
(调休: the Saturdays or Sundays the State Council's holiday notice makes working days).
Both are ISO dates (``"2021-10-01"``); they are empty by default, so without them only
weekends are skipped. The State Council publishes each year's list in the preceding
December: add it to the settings then.
"""

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings

MAX_SPAN_DAYS = 366  # a guard: no real list makes ten working days last a year


def _dates(values: Iterable[str | dt.date]) -> frozenset[dt.date]:
    return frozenset(v if isinstance(v, dt.date) else dt.date.fromisoformat(v) for v in values)


@lru_cache(maxsize=8)
def _calendar(holidays: tuple, makeup: tuple) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    return _dates(holidays), _dates(makeup)


def calendar() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(public holidays, make-up working days) from the settings."""
    return _calendar(
        tuple(getattr(settings, "PORTAL_PUBLIC_HOLIDAYS", ())),
        tuple(getattr(settings, "PORTAL_MAKEUP_WORKDAYS", ())),
    )


def is_working_day(day: dt.date) -> bool:
    holidays, makeup = calendar()
    if day in makeup:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The last day of a posting of ``days`` working days that goes up on ``start``: the
    ``days``-th working day counting from ``start`` itself (a posting put up on a Saturday
    starts counting on the next working day)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day, counted = start, 0
    for _step in range(MAX_SPAN_DAYS):
        if is_working_day(day):
            counted += 1
            if counted == days:
                return day
        day += dt.timedelta(days=1)
    raise ValueError("no working days within a year: check PORTAL_PUBLIC_HOLIDAYS")
