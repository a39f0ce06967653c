"""The city's three measures of a compound, month by month (接诉即办考核).

Definitions (the API schema and the rates page quote :data:`DEFINITIONS`); each month
counts the requests RECEIVED in it (受理时间), of every channel, as they stand now:

- 响应率 (response rate): of the month's requests that can be judged (responded to, or
  past their due time), the share whose first response (派单, 开始处理, 办结 or a
  handler's comment) came no later than the due time set by the category's service
  level. A request still within its time limit and not yet responded to is not counted.
- 解决率 (resolution rate): of the month's requests, the share resolved (办结 or closed,
  and not reopened since).
- 满意率 (satisfaction rate): of the month's requests that were rated, the share rated
  满意 (satisfied); 基本满意 and 不满意 are not.

Rates are percentages with 2 decimals, rounded half up, as strings; null when the month
has nothing to measure (no request, none to judge, none rated).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Compound

from .models import Rating, Request

DEFINITIONS = {
    "response_rate": _(
        "响应率：当月受理的工单中（不含尚在时限内且未响应的），"
        "在服务时限内首次响应（派单、开始处理、办结或处理方留言）的比例"
    ),
    "resolution_rate": _("解决率：当月受理的工单中，已办结（含已关闭、未被重启）的比例"),
    "satisfaction_rate": _("满意率：当月受理并已评价的工单中，评价为“满意”的比例"),
}


def percent(part: int, whole: int) -> str | None:
    """``part`` of ``whole`` in percent to 2 places (half up), or None when whole is 0."""
    if whole == 0:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return str(value)


@dataclass(frozen=True)
class MonthRates:
    month: str  # YYYY-MM
    received: int
    judged: int
    responded: int
    resolved: int
    rated: int
    satisfied: int

    @property
    def response_rate(self) -> str | None:
        return percent(self.responded, self.judged)

    @property
    def resolution_rate(self) -> str | None:
        return percent(self.resolved, self.received)

    @property
    def satisfaction_rate(self) -> str | None:
        return percent(self.satisfied, self.rated)

    def as_dict(self) -> dict[str, object]:
        return {
            "month": self.month,
            "received": self.received,
            "response_rate": self.response_rate,
            "resolution_rate": self.resolution_rate,
            "satisfaction_rate": self.satisfaction_rate,
        }


def _local_start(year: int, month: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, 1))


def months_of(year: int, today: dt.date) -> list[tuple[int, int]]:
    """Every month of ``year`` up to ``today`` (all twelve for a past year, none for a
    future one)."""
    if year > today.year:
        return []
    last = today.month if year == today.year else 12
    return [(year, m) for m in range(1, last + 1)]


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


# Each month's requests are found by an index range on (compound, received_at) between the
# month's local bounds, listed as VALUES, and grouped by the month's number in that list.
# Grouping by the truncated received_at gave the same counts, but PostgreSQL cannot estimate
# how many months a truncated timestamp has, so it sorted every request by month (spilling
# to disk at 100,000 requests); a list of twelve rows it knows has at most twelve groups,
# which it aggregates in a small hash while reading the covering index
# ``request_rates_covering`` alone (COUNT(*), not COUNT(id): the id is not in that index).
# tests/tickets/test_rates_equivalence.py compares both formulations on random requests.
_COUNTS_SQL = """
SELECT b.column1,
       COUNT(*),
       COUNT(CASE WHEN r.first_response_at IS NOT NULL OR r.due_at <= %s THEN 1 END),
       COUNT(CASE WHEN r.first_response_at <= r.due_at THEN 1 END),
       COUNT(CASE WHEN r.resolved_at IS NOT NULL THEN 1 END),
       COUNT(CASE WHEN r.rating <> '' THEN 1 END),
       COUNT(CASE WHEN r.rating = %s THEN 1 END)
FROM (VALUES {bounds}) AS b
JOIN {table} AS r
  ON r.compound_id = %s AND r.received_at >= b.column2 AND r.received_at < b.column3
GROUP BY b.column1
"""
_COUNT_NAMES = ("received", "judged", "responded", "resolved", "rated", "satisfied")


def _counts_by_month(
    compound: Compound, months: list[tuple[int, int]], now: dt.datetime
) -> dict[tuple[int, int], dict[str, int]]:
    """The counts of each of ``months`` (requests received between the month's first
    instant and the next month's, in the portal's time zone), in one query; months
    without a request are absent."""
    connection = connections[Request.objects.db]
    adapt = connection.ops.adapt_datetimefield_value
    bounds: list[int | str | None] = []
    for index, (y, m) in enumerate(months):
        bounds += [index, adapt(_local_start(y, m)), adapt(_local_start(*_next_month(y, m)))]
    sql = _COUNTS_SQL.format(
        bounds=", ".join(["(%s, %s, %s)"] * len(months)),
        table=connection.ops.quote_name(Request._meta.db_table),
    )
    params = [adapt(now), Rating.SATISFIED.value, *bounds, compound.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return {months[row[0]]: dict(zip(_COUNT_NAMES, row[1:], strict=True)) for row in found}


def monthly_rates(
    compound: Compound, year: int, *, now: dt.datetime | None = None
) -> list[MonthRates]:
    """The measures of each month of ``year`` up to now: ONE query, each month bounded in
    the portal's time zone, whatever the number of requests."""
    now = now or timezone.now()
    months = months_of(year, timezone.localtime(now).date())
    if not months:
        return []
    by_month = _counts_by_month(compound, months, now)
    result = []
    for y, m in months:
        row = by_month.get((y, m), {})
        result.append(
            MonthRates(
                month=f"{y:04d}-{m:02d}",
                received=row.get("received", 0),
                judged=row.get("judged", 0),
                responded=row.get("responded", 0),
                resolved=row.get("resolved", 0),
                rated=row.get("rated", 0),
                satisfied=row.get("satisfied", 0),
            )
        )
    return result
