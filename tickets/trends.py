"""Trends: requests received per month by category and by building, with markers at the
compound's transition milestones, for the rates page and the street office's board.

Two grouped queries whatever the number of requests. The markers come from the caller:
the board knows the renovation (board sits above tickets); this app adds the four-party
agreement's effective date itself (agreements sits below it), see :func:`agreement_marker`.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Agreement, AgreementStatus
from households.models import building_label
from portal.models import Compound

from .models import Request

#: Buildings shown by name in the trend; the rest are summed as "其他楼栋".
TOP_BUILDINGS = 8


@dataclass(frozen=True)
class Marker:
    month: str  # YYYY-MM
    label: str


@dataclass
class Trend:
    months: list[str]
    by_category: dict[str, list[int]] = field(default_factory=dict)
    by_building: dict[str, list[int]] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "months": self.months,
            "by_category": self.by_category,
            "by_building": self.by_building,
            "markers": [{"month": m.month, "label": m.label} for m in self.markers],
        }


def _month_keys(first: dt.date, last: dt.date) -> list[str]:
    keys, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _key(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}"


def agreement_marker(compound: Compound) -> list[Marker]:
    """四方协议生效: the month the compound's first agreement took effect, if any."""
    effective = (
        # Filed (备案), expired or superseded agreements took effect too.
        Agreement.objects.filter(
            compound=compound,
            status__in=(
                AgreementStatus.EFFECTIVE,
                AgreementStatus.FILED,
                AgreementStatus.EXPIRED,
                AgreementStatus.SUPERSEDED,
            ),
        )
        .exclude(effective_on=None)
        .order_by("effective_on")
        .values_list("effective_on", flat=True)
        .first()
    )
    return [Marker(_key(effective), _("四方协议生效"))] if effective else []


def monthly_trend(
    compound: Compound, *, first: dt.date, last: dt.date, markers: list[Marker] | None = None
) -> Trend:
    """Requests received per month from ``first``'s month to ``last``'s, by category and
    by building (a request without one: 公共区域), with ``markers`` inside the range."""
    months = _month_keys(first, last)
    trend = Trend(months=months)
    if not months:
        return trend
    index = {key: i for i, key in enumerate(months)}
    start = timezone.make_aware(dt.datetime(first.year, first.month, 1))
    end_year, end_month = (last.year + 1, 1) if last.month == 12 else (last.year, last.month + 1)
    end = timezone.make_aware(dt.datetime(end_year, end_month, 1))
    requests = Request.objects.filter(
        compound=compound, received_at__gte=start, received_at__lt=end
    )
    by_category = (
        requests.annotate(month=TruncMonth("received_at"))
        .values("month", "category__name", "category__sort_order")
        .annotate(n=Count("id"))
        .order_by("category__sort_order", "month")
    )
    for row in by_category:
        counts = trend.by_category.setdefault(row["category__name"], [0] * len(months))
        counts[index[_key(row["month"])]] += row["n"]
    by_building = (
        requests.annotate(month=TruncMonth("received_at"))
        .values("month", "building__number", "building__kind")
        .annotate(n=Count("id"))
    )
    totals: dict[str, list[int]] = {}
    for place in by_building:
        number = place["building__number"]
        label = building_label(number, place["building__kind"]) if number else _("公共区域")
        counts = totals.setdefault(label, [0] * len(months))
        counts[index[_key(place["month"])]] += place["n"]
    ranked = sorted(totals, key=lambda label: -sum(totals[label]))
    for label in ranked[:TOP_BUILDINGS]:
        trend.by_building[label] = totals[label]
    if len(ranked) > TOP_BUILDINGS:
        rest = [
            sum(column) for column in zip(*(totals[k] for k in ranked[TOP_BUILDINGS:]), strict=True)
        ]
        trend.by_building[_("其他楼栋")] = rest
    trend.markers = [m for m in (markers or []) if m.month in index]
    return trend
