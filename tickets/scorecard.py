"""服务评分卡: how the compound's service company served it in a half-year, for the
committee to attach to a renewal decision (续聘): requests received, the three rates,
mean hours to the first response and to resolution, and the fee collection rate of the
year (fees' 收缴率 by amount, owners' part).

Two queries for the requests (one aggregate) plus the fees report's own (kept totals).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from fees import selectors as fee_selectors
from portal.models import Compound

from .models import Rating, Request
from .rates import percent


@dataclass(frozen=True)
class Scorecard:
    compound: str
    company: str
    year: int
    half: int  # 1: January–June, 2: July–December
    received: int
    response_rate: str | None
    resolution_rate: str | None
    satisfaction_rate: str | None
    hours_to_response: Decimal | None
    hours_to_resolution: Decimal | None
    collection_rate: Decimal | None


def _hours(value: dt.timedelta | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.total_seconds()) / 3600).quantize(Decimal("0.1"))


def half_bounds(year: int, half: int) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime(year, 1 if half == 1 else 7, 1))
    end = timezone.make_aware(dt.datetime(year, 7, 1) if half == 1 else dt.datetime(year + 1, 1, 1))
    return start, end


def company_scorecard(compound: Compound, year: int, half: int) -> Scorecard:
    """The scorecard of ``compound``'s service company for half ``half`` of ``year``
    (requests counted by the month they were received, as the rates are)."""
    now = timezone.now()
    start, end = half_bounds(year, half)
    duration = DurationField()
    totals = Request.objects.filter(
        compound=compound, received_at__gte=start, received_at__lt=end
    ).aggregate(
        received=Count("id"),
        judged=Count("id", filter=Q(first_response_at__isnull=False) | Q(due_at__lte=now)),
        responded=Count("id", filter=Q(first_response_at__lte=F("due_at"))),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        rated=Count("id", filter=~Q(rating="")),
        satisfied=Count("id", filter=Q(rating=Rating.SATISFIED)),
        to_response=Avg(
            ExpressionWrapper(F("first_response_at") - F("received_at"), output_field=duration)
        ),
        to_resolution=Avg(
            ExpressionWrapper(F("resolved_at") - F("received_at"), output_field=duration)
        ),
    )
    collection = fee_selectors.collection_report(compound, year, with_time=False).compound
    return Scorecard(
        compound=compound.name,
        company=str(compound.service_company or ""),
        year=year,
        half=half,
        received=totals["received"],
        response_rate=percent(totals["responded"], totals["judged"]),
        resolution_rate=percent(totals["resolved"], totals["received"]),
        satisfaction_rate=percent(totals["satisfied"], totals["rated"]),
        hours_to_response=_hours(totals["to_response"]),
        hours_to_resolution=_hours(totals["to_resolution"]),
        collection_rate=collection.rate_amount if collection.billed_households else None,
    )
