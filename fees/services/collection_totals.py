"""Kept collection totals (收缴汇总): per (compound, building, year), per (run, building)
and per (building, year, month of payment), so the collection page, the fees overview,
the collection API and collection.xlsx read a few rows per building instead of every
charge of the year (issue 10).

Every writer of charges and allocations (billing runs and their area corrections,
payments, refunds, credit applied or released) calls :func:`refresh` or
:func:`refresh_units` before its transaction ends. A refresh recomputes the rows of the
buildings it is given from their charges, in grouped ``INSERT … SELECT`` statements: its
cost is bounded by those buildings, and a billing run refreshes all its buildings in
three statements. The buildings are locked (``FOR NO KEY UPDATE``) first, so two writers
of one building recompute one after the other and the second sees the first's charges.

:func:`rebuild` recomputes everything of a compound (the ``collection_totals_rebuild``
command, the data migration, bulk-seeded benchmarks). The figures equal
:func:`fees.selectors.collection_report_recomputed`, the plain computation from charges.
"""

import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Model, Q, Sum
from django.db.models.functions import TruncMonth

from households.models import Building
from portal.models import Compound

from ..models import (
    Charge,
    CollectionMonthTotal,
    CollectionRunTotal,
    CollectionTotal,
    PaymentAllocation,
)

# SQLite sums decimals as floats: "paid in full" allows less than half a fen of float
# noise (on PostgreSQL, with exact numerics in fen, it is the exact comparison).
_HALF_FEN = "0.005"


class _Models:
    """The models the statements are built from: the current ones, or a migration's."""

    def __init__(self, apps: Any = None) -> None:
        get = apps.get_model if apps is not None else None
        self.Charge = get("fees", "Charge") if get else Charge
        self.Allocation = get("fees", "PaymentAllocation") if get else PaymentAllocation
        self.Total = get("fees", "CollectionTotal") if get else CollectionTotal
        self.RunTotal = get("fees", "CollectionRunTotal") if get else CollectionRunTotal
        self.MonthTotal = get("fees", "CollectionMonthTotal") if get else CollectionMonthTotal
        self.Building = get("households", "Building") if get else Building


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_select(target: type[Model], columns: list[str], select: str, params: Iterable) -> None:
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table(target)} ({names}) {select}", list(params))


def _refresh(m: _Models, compound_id: int, year: int, building_ids: list[int] | None) -> None:
    scope: dict[str, Any] = {"compound_id": compound_id}
    if building_ids is not None:
        scope["building_id__in"] = building_ids
    m.Total.objects.filter(year=year, **scope).delete()
    m.MonthTotal.objects.filter(year=year, **scope).delete()
    m.RunTotal.objects.filter(run__period_start__year=year, **scope).delete()

    charges = m.Charge.objects.filter(run__period_start__year=year, **scope)
    # Per household (unit) first, then per building: paid in full and the collected
    # amount capped at due are decided on the household's year, as the report defines.
    per_unit = (
        charges.values("unit_id")
        .annotate(b=F("building_id"), due=Sum("owner_due"), paid=Sum("owner_paid"))
        .annotate(subsidy=Sum("subsidy_due"))
        .order_by()
    )
    sql, params = per_unit.query.sql_with_params()
    _insert_select(
        m.Total,
        [
            "compound_id",
            "year",
            "building_id",
            "households",
            "paid_households",
            "owner_due",
            "collected",
            "subsidy_due",
        ],
        "SELECT %s, %s, u.b, COUNT(*), "
        f"SUM(CASE WHEN u.paid >= u.due - {_HALF_FEN} THEN 1 ELSE 0 END), SUM(u.due), "
        "SUM(CASE WHEN u.paid < u.due THEN u.paid ELSE u.due END), SUM(u.subsidy) "
        f"FROM ({sql}) u GROUP BY u.b",
        [compound_id, year, *params],
    )

    per_run = (
        charges.values("run_id", "building_id")
        .annotate(
            n=Count("id"),
            n_paid=Count("id", filter=Q(owner_paid__gte=F("owner_due"))),
            due=Sum("owner_due"),
            paid=Sum("owner_paid"),
            subsidy=Sum("subsidy_due"),
        )
        .order_by()
    )
    sql, params = per_run.query.sql_with_params()
    _insert_select(
        m.RunTotal,
        [
            "compound_id",
            "run_id",
            "building_id",
            "charges",
            "paid_charges",
            "owner_due",
            "owner_paid",
            "subsidy_due",
        ],
        f"SELECT %s, r.run_id, r.building_id, r.n, r.n_paid, r.due, r.paid, r.subsidy "
        f"FROM ({sql}) r",
        [compound_id, *params],
    )

    allocation_scope: dict[str, Any] = {"compound_id": compound_id}
    if building_ids is not None:
        allocation_scope["charge__building_id__in"] = building_ids
    per_month = (
        m.Allocation.objects.filter(charge__run__period_start__year=year, **allocation_scope)
        .annotate(b=F("charge__building_id"), month=TruncMonth("payment__received_on"))
        .values("b", "month")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    sql, params = per_month.query.sql_with_params()
    _insert_select(
        m.MonthTotal,
        ["compound_id", "year", "building_id", "month", "collected"],
        f"SELECT %s, %s, t.b, t.month, t.s FROM ({sql}) t",
        [compound_id, year, *params],
    )


def _lock(m: _Models, compound: Compound, building_ids: list[int] | None) -> None:
    """Serialise the writers of these buildings (all the compound's when None) until the
    transaction ends; key-share locks (inserting charges that point at a building) are
    not blocked."""
    buildings = m.Building.objects.filter(compound_id=compound.pk)
    if building_ids is not None:
        buildings = buildings.filter(pk__in=building_ids)
    if connection.features.has_select_for_update:
        list(
            buildings.select_for_update(no_key=True, of=("self",)).order_by("pk").values_list("pk")
        )


# Units whose charges a billing run's rebalancing changed, waiting for the run's closing
# refresh (per thread, like Django's connections; see :func:`defer_units`).
_pending = threading.local()


def defer_units(compound: Compound, unit_ids: Iterable[int]) -> None:
    """Note units whose charges changed, for the next :func:`refresh` of ``compound`` in
    this transaction (a billing run's closing one). A run locks charges batch after batch;
    locking buildings in the middle (as a refresh does) while a payment holds a unit's
    charges and waits for its building would deadlock, so the run refreshes once, at the
    end, after every charge lock it takes."""
    pending = getattr(_pending, "units", None)
    if pending is None:
        pending = _pending.units = defaultdict(set)
    pending[compound.pk].update(unit_ids)


def _years_of_units(compound: Compound, unit_ids: Iterable[int]) -> dict[int, set[int]]:
    """(year → buildings) holding a charge of one of these units."""
    unit_ids = list(set(unit_ids))
    by_year: dict[int, set[int]] = defaultdict(set)
    if unit_ids:
        pairs = (
            Charge.objects.filter(compound=compound, unit_id__in=unit_ids)
            .values_list("run__period_start__year", "building_id")
            .distinct()
            .order_by()
        )
        for year, building_id in pairs:
            by_year[year].add(building_id)
    return by_year


def _refresh_years(compound: Compound, by_year: dict[int, set[int] | None]) -> None:
    """Lock the buildings (in id order; all of them if any year asks for all), then
    recompute each year's rows of its buildings (None: all)."""
    if not by_year:
        return
    m = _Models()
    chosen = list(by_year.values())
    if any(ids is None for ids in chosen):
        _lock(m, compound, None)
    else:
        _lock(m, compound, sorted(set().union(*(ids or set() for ids in chosen))))
    for year, ids in sorted(by_year.items()):
        _refresh(m, compound.pk, year, None if ids is None else sorted(ids))


@transaction.atomic
def refresh(compound: Compound, year: int, building_ids: Iterable[int] | None = None) -> None:
    """Recompute the kept totals of ``year`` for ``building_ids`` (every building of the
    compound when None, e.g. after a billing run), and those of the units noted by
    :func:`defer_units`. Call it inside the writing transaction, after the charges and
    allocations are written (and after the last charge lock it takes)."""
    pending = getattr(_pending, "units", None)
    deferred = pending.pop(compound.pk, set()) if pending is not None else set()
    by_year: dict[int, set[int] | None] = dict(_years_of_units(compound, deferred))
    if building_ids is None:
        by_year[year] = None
    else:
        ids = set(building_ids)
        if ids:
            current = by_year.get(year, set())
            by_year[year] = None if current is None else current | ids
    _refresh_years(compound, by_year)


@transaction.atomic
def refresh_units(compound: Compound, unit_ids: Iterable[int]) -> None:
    """Recompute the totals that charges of these units feed: every (year, building)
    holding one of their charges (a payment settles charges of earlier years too)."""
    _refresh_years(compound, dict(_years_of_units(compound, unit_ids)))


@transaction.atomic
def rebuild(compound: Compound, *, apps: Any = None) -> None:
    """Recompute every kept total of ``compound`` from its charges and allocations (also
    drops rows of years that no longer have a run)."""
    m = _Models(apps)
    years = sorted(
        {
            d.year
            for d in m.Charge.objects.filter(compound_id=compound.pk)
            .values_list("run__period_start", flat=True)
            .distinct()
        }
    )
    _lock(m, compound, None)
    m.Total.objects.filter(compound_id=compound.pk).exclude(year__in=years).delete()
    m.MonthTotal.objects.filter(compound_id=compound.pk).exclude(year__in=years).delete()
    m.RunTotal.objects.filter(compound_id=compound.pk).exclude(
        run__period_start__year__in=years
    ).delete()
    for year in years:
        _refresh(m, compound.pk, year, None)
