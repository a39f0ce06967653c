"""The case's claim as charts: complaints fell after the transition (issue 14 item 3).

- :func:`compound_trend`: a compound's requests per month by category and by building
  (``tickets.trends.monthly_trend``) from the first of its renovation and its first
  request, with markers at the renovation's start and the four-party agreement's effect.
  The board draws it because it knows the renovation (board sits above tickets).
- :func:`office_hotline`: the 12345 cases per month of every compound of a street office,
  in one grouped query whatever the number of compounds or cases.
"""

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Min
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import Compound
from tickets.models import Channel, Request
from tickets.trends import Marker, Trend, agreement_marker, monthly_trend

from .models import Renovation

#: The charts cover at most this many months, the current one last: enough for a
#: transition told from before the renovation to years after the agreement.
MAX_MONTHS = 96


def _months_back(today: dt.date, months: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def _month(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}"


def compound_trend(compound: Compound, today: dt.date) -> Trend | None:
    """The compound's requests per month with its transition markers; None when it has no
    request at all (the page then says so). Five queries."""
    first_request = Request.objects.filter(compound=compound).aggregate(first=Min("received_at"))[
        "first"
    ]
    if first_request is None:
        return None
    first = timezone.localtime(first_request).date()
    markers: list[Marker] = []
    renovation = Renovation.objects.filter(compound=compound).only("started_on").first()
    if renovation is not None:
        first = min(first, renovation.started_on)
        markers.append(Marker(_month(renovation.started_on), _("环境整治开始")))
    markers += agreement_marker(compound)
    first = max(first.replace(day=1), _months_back(today, MAX_MONTHS))
    return monthly_trend(compound, first=first, last=today, markers=markers)


def office_hotline(compounds: Sequence[Compound], today: dt.date) -> dict[str, object]:
    """12345 cases per month and compound over the last :data:`MAX_MONTHS` months up to
    today, for the compounds that had any: ``{"months": [...], "series": [{"name",
    "data"}]}``. One query."""
    first = _months_back(today, MAX_MONTHS)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (today.year, today.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    index = {key: i for i, key in enumerate(months)}
    names = {c.pk: c.name for c in compounds}
    rows = (
        Request.objects.filter(
            compound_id__in=list(names),
            channel=Channel.HOTLINE,
            received_at__gte=timezone.make_aware(dt.datetime(first.year, first.month, 1)),
        )
        .annotate(month=TruncMonth("received_at"))
        .values("compound_id", "month")
        .annotate(n=Count("id"))
    )
    counts: dict[int, list[int]] = {}
    for row in rows:
        key = _month(row["month"])
        if key in index:
            counts.setdefault(row["compound_id"], [0] * len(months))[index[key]] += row["n"]
    # Months before the first case of any compound are left out: the chart starts with data.
    start = min((next(i for i, n in enumerate(data) if n) for data in counts.values()), default=0)
    return {
        "months": months[start:],
        "series": [
            {"name": names[pk], "data": counts[pk][start:]}
            for pk in sorted(counts, key=lambda pk: names[pk])
        ],
    }
