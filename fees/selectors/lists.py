"""The fees lists people work with (issue 10 item 8): arrears by unit and payments, as
querysets for :mod:`portal.lists` (a page costs a COUNT and one query of rows, plus one
lookup for the page's reminder steps; the XLSX export walks the same queryset in chunks).

Both search the way every list does (:meth:`portal.lists.Search.q`: 楼号, 房号, or an
owner's name as masked, 张*) and take the filters' values as the lists validated them.
"""

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from households.models import Ownership, building_label
from portal.lists import Label, Search
from portal.models import Compound

from ..models import FenSum, Payment, ReminderStep, add_months
from ..money import ZERO

# Amount ranges (yuan) of the lists' "amount" filter: value → (from, below), None = open.
AMOUNT_RANGES: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "lt100": (None, Decimal("100")),
    "100-500": (Decimal("100"), Decimal("500")),
    "500-2000": (Decimal("500"), Decimal("2000")),
    "2000+": (Decimal("2000"), None),
}
AMOUNT_CHOICES: list[tuple[str, Label]] = [
    ("lt100", _("100元以下")),
    ("100-500", _("100–500元")),
    ("500-2000", _("500–2000元")),
    ("2000+", _("2000元及以上")),
]
# The arrears list's "owed for longer than" filter: months since the oldest open period.
AGE_CHOICES: list[tuple[str, Label]] = [
    ("3", _("欠费超过3个月")),
    ("6", _("欠费超过6个月")),
    ("12", _("欠费超过12个月")),
]


def _amount_q(field: str, value: str) -> Q:
    low, below = AMOUNT_RANGES.get(value, (None, None))
    q = Q()
    if low is not None:
        q &= Q(**{f"{field}__gte": low})
    if below is not None:
        q &= Q(**{f"{field}__lt": below})
    return q


def _owner_of_unit_named(lookup: str, value: str) -> Q:
    """Rows whose unit (``unit_id``) has a current owner named so (``search.q``'s ``name``)."""
    return Q(
        Exists(
            Ownership.objects.current().filter(
                unit=OuterRef("unit_id"), **{f"owner__name__{lookup}": value}
            )
        )
    )


def _unit_search_q(search: Search, *, building: str, names_visible: bool) -> Q:
    """``search`` over rows of one unit each (a charge, a payment): the number of the
    building at the field path ``building``, the unit's number, a current owner's name."""
    return search.q(
        building=building,
        unit="unit__number",
        name=_owner_of_unit_named,
        names_visible=names_visible,
    )


# --- arrears ------------------------------------------------------------------------------


def _bucket_cuts(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """The latest period start that is 3, 6 and 12 months old on ``today`` (periods start
    on the 1st; an age of n months means the period began n or more months ago)."""
    first = today.replace(day=1)
    return add_months(first, -3), add_months(first, -6), add_months(first, -12)


def arrears_units(
    compound: Compound,
    today: dt.date,
    *,
    search: Search | None = None,
    names_visible: bool = True,
    building: str = "",
    age: str = "",
    amount: str = "",
) -> QuerySet[Any]:
    """Units that owe, one row (a dict) each: building and unit, what they owe by age of
    the bill (0–3, 3–6, 6–12, 12+ months, as :func:`arrears_by_age`), the total and the
    oldest open period; by building then unit number. Grouped in SQL: a page of it is
    one query whatever the compound's size."""
    search = search or Search()
    charges = compound.charges.filter(owner_due__gt=F("owner_paid"))
    if building:
        charges = charges.filter(building__number=building)
    if search:
        charges = charges.filter(
            _unit_search_q(search, building="building__number", names_visible=names_visible)
        )
    cut3, cut6, cut12 = _bucket_cuts(today)
    owed = F("owner_due") - F("owner_paid")
    start = "run__period_start"
    rows = charges.values(
        "unit_id", "unit__number", "building__number", "building__kind", "building__sort_key"
    ).annotate(
        b0=FenSum(owed, filter=Q(**{f"{start}__gt": cut3}), default=ZERO),
        b1=FenSum(owed, filter=Q(**{f"{start}__lte": cut3, f"{start}__gt": cut6}), default=ZERO),
        b2=FenSum(owed, filter=Q(**{f"{start}__lte": cut6, f"{start}__gt": cut12}), default=ZERO),
        b3=FenSum(owed, filter=Q(**{f"{start}__lte": cut12}), default=ZERO),
        total=FenSum(owed),
        oldest=Min(start),
    )
    if age in ("3", "6", "12"):
        rows = rows.filter(oldest__lte={"3": cut3, "6": cut6, "12": cut12}[age])
    if amount in AMOUNT_RANGES:
        rows = rows.filter(_amount_q("total", amount))
    return rows.order_by("building__sort_key", "building__number", "unit__number")


def arrears_totals(rows: QuerySet[Any]) -> list[Decimal]:
    """What the listed units owe by age bucket (one query over the grouped rows)."""
    sums = rows.aggregate(
        s0=FenSum("b0", default=ZERO),
        s1=FenSum("b1", default=ZERO),
        s2=FenSum("b2", default=ZERO),
        s3=FenSum("b3", default=ZERO),
    )
    return [sums["s0"], sums["s1"], sums["s2"], sums["s3"]]


@dataclass
class ArrearsListRow:
    unit_id: int
    building_number: str
    unit_number: str
    unit_label: str
    buckets: list[Decimal]
    total: Decimal
    oldest: dt.date
    last_step: ReminderStep | None = None


def arrears_rows(compound: Compound, rows: Sequence[Mapping[str, Any]]) -> list[ArrearsListRow]:
    """``rows`` of :func:`arrears_units` with each unit's reminder step since its oldest
    open period (the ladder's progress): one query for all of them."""
    listed = [
        ArrearsListRow(
            unit_id=r["unit_id"],
            building_number=r["building__number"],
            unit_number=r["unit__number"],
            unit_label=f"{building_label(r['building__number'], r['building__kind'])} "
            f"{r['unit__number']}",
            buckets=[r["b0"], r["b1"], r["b2"], r["b3"]],
            total=r["total"],
            oldest=r["oldest"],
        )
        for r in rows
    ]
    by_unit = {row.unit_id: row for row in listed}
    if by_unit:
        steps = ReminderStep.objects.filter(compound=compound, unit_id__in=list(by_unit))
        for step in steps.order_by("created_at", "id"):
            row = by_unit[step.unit_id]
            if step.created_at.date() >= row.oldest:
                row.last_step = step
    return listed


def arrears_export_rows(
    compound: Compound, rows: QuerySet[Any], chunk: int, limit: int
) -> Iterator[ArrearsListRow]:
    """Every row of ``rows`` (at most ``limit``) with its reminder step, ``chunk`` rows
    and one step query at a time."""
    batch: list[Mapping[str, Any]] = []
    for index, row in enumerate(rows.iterator(chunk_size=chunk)):
        if index >= limit:
            break
        batch.append(row)
        if len(batch) == chunk:
            yield from arrears_rows(compound, batch)
            batch = []
    yield from arrears_rows(compound, batch)


# --- payments -----------------------------------------------------------------------------


def payment_years(compound: Compound, years_billed: Iterable[int], today: dt.date) -> list[int]:
    """The years the payments filter offers: this year back to the year before the first
    billed one (prepayments may precede the first bill), newest first."""
    first = min(years_billed, default=today.year) - 1
    return list(range(max(today.year, first), first - 1, -1))


def payments_list(
    compound: Compound,
    *,
    search: Search | None = None,
    names_visible: bool = True,
    building: str = "",
    kind: str = "",
    method: str = "",
    year: str = "",
    amount: str = "",
) -> QuerySet[Payment]:
    """收款与退款 of the compound, the latest recorded first, narrowed by ``search`` and the
    filters (a building's number, payment or refund, the method, the year received, the
    amount's range by its size: a refund of 150 is in 100–500)."""
    search = search or Search()
    payments = compound.payments.select_related("unit__building")
    if building:
        payments = payments.filter(unit__building__number=building)
    if kind:
        payments = payments.filter(kind=kind)
    if method:
        payments = payments.filter(method=method)
    if year.isdigit():
        y = int(year)
        payments = payments.filter(
            received_on__gte=dt.date(y, 1, 1), received_on__lt=dt.date(y + 1, 1, 1)
        )
    if amount in AMOUNT_RANGES:
        low, below = AMOUNT_RANGES[amount]
        size = Q()
        if low is not None:
            size &= Q(amount__gte=low) | Q(amount__lte=-low)
        if below is not None:
            size &= Q(amount__lt=below, amount__gt=-below)
        payments = payments.filter(size)
    if search:
        payments = payments.filter(
            _unit_search_q(search, building="unit__building__number", names_visible=names_visible)
        )
    return payments.order_by("-created_at", "-id")
