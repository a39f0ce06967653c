"""Query parameters of the fee pages and the fee API, parsed and bounded in one place.

A year outside 2000 to next year (billing may run up to twelve months ahead) is a typo
or a probe, never a record: it is refused with a message saying what is allowed."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .services._common import EARLIEST_RECORD_DATE


def year_bounds(today: dt.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    return EARLIEST_RECORD_DATE.year, today.year + 1


def parse_year(raw: str | None, *, default: int | None = None) -> int:
    """``?year=`` as an int within :func:`year_bounds`; ``default`` when absent (a
    ValidationError keyed ``year`` when there is none, or the value is bad)."""
    first, last = year_bounds()
    if raw is None or not raw.strip():
        if default is not None:
            return default
        raise ValidationError({"year": _("请用 ?year=YYYY 指定年份")})
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or not first <= int(raw) <= last:
        raise ValidationError(
            {
                "year": _("年份“%(value)s”无效：须为%(first)s至%(last)s之间的四位数字")
                % {"value": raw[:20], "first": first, "last": last}
            }
        )
    return int(raw)
