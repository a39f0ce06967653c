"""The rates' one query, as it now reads (each month's local bounds as a VALUES list
joined to the covering index), counts exactly what the former formulation (the requests
grouped by their received month truncated in the portal's time zone) counted: compared
month by month on random requests, with the edge cases placed on purpose (a request on a
month's first instant and just before it, in local time; a first response exactly at the
due time; due times just before and after "now"; every rating; other compounds' requests
and other years')."""

import datetime as dt
import random

import pytest
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from portal.models import Compound, StreetOffice
from tests.factories import make_compound
from tickets.models import Category, Channel, Rating, Request, State
from tickets.rates import monthly_rates

pytestmark = pytest.mark.django_db

YEAR = 2025
RATINGS = ["", Rating.SATISFIED, Rating.BASICALLY, Rating.NOT_SATISFIED]


def former_counts(compound: Compound, year: int, now: dt.datetime) -> dict[str, dict]:
    """The former query of ``monthly_rates``, kept here verbatim as the reference."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    rows = (
        Request.objects.filter(compound=compound, received_at__gte=start, received_at__lt=end)
        .annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(
            received=Count("id"),
            judged=Count("id", filter=Q(first_response_at__isnull=False) | Q(due_at__lte=now)),
            responded=Count("id", filter=Q(first_response_at__lte=F("due_at"))),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            rated=Count("id", filter=~Q(rating="")),
            satisfied=Count("id", filter=Q(rating=Rating.SATISFIED)),
        )
        .order_by("month")
    )
    found = {}
    for row in rows:
        month = timezone.localtime(row.pop("month"))
        found[f"{month.year:04d}-{month.month:02d}"] = row
    return found


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def random_requests(compound: Compound, rng: random.Random, count: int, now: dt.datetime) -> None:
    categories = list(Category.objects.all())
    start, end = local(YEAR - 1, 12, 1), local(YEAR + 1, 1, 31)
    span = int((end - start).total_seconds())
    received = [start + dt.timedelta(seconds=rng.randrange(span)) for _ in range(count)]
    # A month's first local instant, and the microsecond before it, in every month.
    for month in range(1, 13):
        received += [local(YEAR, month, 1), local(YEAR, month, 1) - dt.timedelta(microseconds=1)]
    received.append(local(YEAR + 1, 1, 1))
    rows = []
    for n, at in enumerate(received):
        category = rng.choice(categories)
        due = at + dt.timedelta(hours=category.service_level_hours)
        if rng.random() < 0.1:  # due just around "now": judged or not by a hair
            due = now + dt.timedelta(seconds=rng.choice([-1, 0, 1]))
        first = None
        if rng.random() < 0.8:
            first = rng.choice([due, due - dt.timedelta(hours=1), due + dt.timedelta(hours=1)])
            first = max(first, at)
        resolved = first + dt.timedelta(hours=2) if first and rng.random() < 0.7 else None
        rows.append(
            Request(
                compound=compound,
                channel=Channel.ONLINE,
                category=category,
                description=f"equivalence {n}",
                received_at=at,
                due_at=due,
                state=State.RESOLVED if resolved else State.NEW,
                first_response_at=first,
                resolved_at=resolved,
                rating=rng.choice(RATINGS) if resolved else "",
            )
        )
    Request.objects.bulk_create(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_new_query_counts_what_the_former_counted(seed):
    rng = random.Random(seed)
    office = StreetOffice.objects.create(code=f"eq{seed}", name="等价街道")
    compound = make_compound(office, f"eq{seed}a", buildings=1, units_per_building=1)
    other = make_compound(office, f"eq{seed}b", buildings=1, units_per_building=1)
    now = local(YEAR, 7, 15, 12, 0)
    random_requests(compound, rng, 400, now)
    random_requests(other, rng, 50, now)
    for year, at in ((YEAR, now), (YEAR, local(YEAR + 1, 3, 1)), (YEAR - 1, now)):
        former = former_counts(compound, year, at)
        months = monthly_rates(compound, year, now=at)
        for month in months:
            got = {
                "received": month.received,
                "judged": month.judged,
                "responded": month.responded,
                "resolved": month.resolved,
                "rated": month.rated,
                "satisfied": month.satisfied,
            }
            expected = former.get(month.month, dict.fromkeys(got, 0))
            assert got == expected, (year, at, month.month)
        # Nothing the former query counted is left out (no month lost at the bounds).
        shown = {m.month for m in months}
        assert {k for k in former if k <= max(shown, default="")} <= shown
        assert sum(m.received for m in months if m.month in former) == sum(
            former[m.month]["received"] for m in months if m.month in former
        )
    this_year = monthly_rates(compound, YEAR, now=now)
    assert len(this_year) == 7 and sum(m.received for m in this_year) > 100
    assert any(m.responded and m.responded < m.judged for m in this_year)


def test_month_bounds_are_local_time():
    """A request at 00:00 on the 1st in Beijing (16:00 UTC the day before) is that
    month's, in both formulations."""
    office = StreetOffice.objects.create(code="eqb", name="等价街道")
    compound = make_compound(office, "eqb", buildings=1, units_per_building=1)
    category = Category.objects.get(code="repairs")
    at = local(YEAR, 3, 1)
    Request.objects.create(
        compound=compound,
        channel=Channel.ONLINE,
        category=category,
        description="boundary",
        received_at=at,
        due_at=at + dt.timedelta(hours=72),
        rating=Rating.SATISFIED,
        resolved_at=at + dt.timedelta(hours=1),
        first_response_at=at + dt.timedelta(hours=1),
    )
    now = local(YEAR + 1, 1, 10)
    months = {m.month: m for m in monthly_rates(compound, YEAR, now=now)}
    assert months["2025-03"].received == 1 and months["2025-02"].received == 0
    assert months["2025-03"].satisfaction_rate == "100.00"
    assert former_counts(compound, YEAR, now)["2025-03"]["received"] == 1
