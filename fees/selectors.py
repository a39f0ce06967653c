"""Reads of the fees app. Each takes its tenant first and runs a fixed number of queries,
whatever the number of units, charges or payments."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth

from households.models import Building, BuildingKind, Unit
from portal.models import Compound, StreetOffice
from voting.models import Item
from voting.rules import Category
from voting.selectors import item_passed

from .models import (
    AnnualAccount,
    BillingRun,
    Charge,
    ChargeAdjustment,
    ChargeSubsidyLine,
    FeeStandard,
    FenSum,
    Payment,
    PaymentAllocation,
    PaymentKind,
    ReminderStep,
    SubsidyPayer,
    SubsidyShare,
    add_months,
)
from .money import ZERO, percent, to_fen

# --- collection rate (收缴率) -------------------------------------------------------------


@dataclass
class CollectionRow:
    """Collection of one scope (the compound, a building or a period).

    ``amount_*`` are the owners' parts; ``*_with_subsidy`` add the subsidy, counted as
    collected because the payers settle it under the agreement, not household by household.
    """

    label: str
    billed_households: int = 0
    paid_households: int = 0
    amount_due: Decimal = ZERO
    amount_collected: Decimal = ZERO
    subsidy_due: Decimal = ZERO
    building_id: int | None = None

    @property
    def rate_households(self) -> Decimal:
        return percent(self.paid_households, self.billed_households)

    @property
    def rate_amount(self) -> Decimal:
        return percent(self.amount_collected, self.amount_due)

    @property
    def due_with_subsidy(self) -> Decimal:
        return self.amount_due + self.subsidy_due

    @property
    def collected_with_subsidy(self) -> Decimal:
        return self.amount_collected + self.subsidy_due

    @property
    def rate_amount_with_subsidy(self) -> Decimal:
        return percent(self.collected_with_subsidy, self.due_with_subsidy)

    @property
    def outstanding(self) -> Decimal:
        return self.amount_due - self.amount_collected

    def add_household(self, due: Decimal, paid: Decimal, subsidy: Decimal) -> None:
        self.billed_households += 1
        self.paid_households += paid >= due
        self.amount_due += due
        self.amount_collected += min(paid, due)
        self.subsidy_due += subsidy


@dataclass
class CollectionPoint:
    month: dt.date
    collected: Decimal
    rate: Decimal


@dataclass
class CollectionReport:
    year: int
    compound: CollectionRow
    buildings: list[CollectionRow] = field(default_factory=list)
    periods: list[CollectionRow] = field(default_factory=list)
    over_time: list[CollectionPoint] = field(default_factory=list)


def collection_report(compound: Compound, year: int, *, with_time: bool = True) -> CollectionReport:
    """收缴率 of ``year`` (runs starting in it): compound, buildings, periods and the
    cumulative rate by month of payment. Four queries (three without ``with_time``).

    A household counts as paid in full when everything billed to it in the year is paid;
    amounts collected are capped at what is due, so an overpayment never lifts the rate.
    """
    charges = compound.charges.filter(run__period_start__year=year)
    per_unit = charges.values("building_id", "unit_id").annotate(
        due=FenSum("owner_due"), paid=FenSum("owner_paid"), subsidy=FenSum("subsidy_due")
    )
    buildings = {
        b.pk: CollectionRow(label=b.label, building_id=b.pk)
        for b in compound.buildings.order_by("sort_key", "number")
    }
    total = CollectionRow(label=compound.name)
    for row in per_unit:
        total.add_household(row["due"], row["paid"], row["subsidy"])
        buildings[row["building_id"]].add_household(row["due"], row["paid"], row["subsidy"])

    periods = []
    per_run = (
        charges.values("run_id", "run__period_start", "run__months")
        .annotate(
            households=Count("id"),
            paid_households=Count("id", filter=Q(owner_paid__gte=F("owner_due"))),
            due=FenSum("owner_due"),
            paid=FenSum("owner_paid"),
            subsidy=FenSum("subsidy_due"),
        )
        .order_by("run__period_start")
    )
    for row in per_run:
        run = BillingRun(period_start=row["run__period_start"], months=row["run__months"])
        periods.append(
            CollectionRow(
                label=run.period_label,
                billed_households=row["households"],
                paid_households=row["paid_households"],
                amount_due=row["due"],
                amount_collected=row["paid"],
                subsidy_due=row["subsidy"],
            )
        )

    report = CollectionReport(
        year=year,
        compound=total,
        buildings=[b for b in buildings.values() if b.billed_households],
        periods=periods,
    )
    if with_time and total.amount_due:
        monthly = (
            PaymentAllocation.objects.filter(
                compound=compound, charge__run__period_start__year=year
            )
            .annotate(month=TruncMonth("payment__received_on"))
            .values("month")
            .annotate(s=FenSum("amount"))
            .order_by("month")
        )
        running = ZERO
        for row in monthly:
            running += row["s"]
            month = row["month"]
            month = month.date() if isinstance(month, dt.datetime) else month
            report.over_time.append(
                CollectionPoint(
                    month=month, collected=running, rate=percent(running, total.amount_due)
                )
            )
    return report


def collection_years(compound: Compound) -> list[int]:
    return sorted(
        {d.year for d in compound.billing_runs.values_list("period_start", flat=True)},
        reverse=True,
    )


# --- runs, charges, arrears ----------------------------------------------------------------


def compound_runs(compound: Compound) -> QuerySet[BillingRun]:
    return compound.billing_runs.order_by("-period_start")


def run_building_summary(compound: Compound, run: BillingRun) -> list[dict]:
    """Per building of a run: households, owner due and paid, and its print file."""
    rows = {
        r["building_id"]: r
        for r in compound.charges.filter(run=run)
        .values("building_id")
        .annotate(
            households=Count("id"),
            due=FenSum("owner_due"),
            paid=FenSum("owner_paid"),
            subsidy=FenSum("subsidy_due"),
        )
    }
    chunks = {c.building_id: c for c in run.chunks.all()}
    result = []
    for b in compound.buildings.order_by("sort_key", "number"):
        if b.pk in rows:
            result.append({"building": b, "chunk": chunks.get(b.pk), **rows[b.pk]})
    return result


def subsidy_lines_prefetch() -> Prefetch:
    """Each charge's subsidy lines with their payer, in the order they were made."""
    return Prefetch(
        "subsidy_lines",
        queryset=ChargeSubsidyLine.objects.select_related("payer").order_by("id"),
    )


def run_charges(compound: Compound, run: BillingRun, building: Building | None = None):
    charges = (
        compound.charges.filter(run=run)
        .select_related("unit", "building")
        .prefetch_related(
            subsidy_lines_prefetch(),
            "adjustments",
        )
        .order_by("building__sort_key", "building__number", "unit__number")
    )
    if building is not None:
        charges = charges.filter(building=building)
    return charges


@dataclass
class ArrearsRow:
    unit_id: int
    unit_label: str
    buckets: list[Decimal]
    total: Decimal
    oldest: dt.date
    last_step: ReminderStep | None = None


ARREARS_BUCKETS = ((0, 3), (3, 6), (6, 12), (12, None))


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def arrears_by_age(compound: Compound, today: dt.date) -> tuple[list[ArrearsRow], list[Decimal]]:
    """Units that owe, with what they owe by age of the bill (months since the period
    began: 0–3, 3–6, 6–12, 12+), and the ladder's last step. Two queries."""
    rows: dict[int, ArrearsRow] = {}
    open_charges = (
        compound.charges.filter(owner_due__gt=F("owner_paid"))
        .values(
            "unit_id",
            "unit__number",
            "building__number",
            "building__kind",
            "run__period_start",
            "owner_due",
            "owner_paid",
        )
        .order_by("building__sort_key", "building__number", "unit__number", "run__period_start")
    )
    totals = [ZERO] * len(ARREARS_BUCKETS)
    for c in open_charges:
        owed = c["owner_due"] - c["owner_paid"]
        age = _months_between(c["run__period_start"], today)
        index = (
            next(
                i
                for i, (lo, hi) in enumerate(ARREARS_BUCKETS)
                if age >= lo and (hi is None or age < hi)
            )
            if age >= 0
            else 0
        )
        row = rows.get(c["unit_id"])
        if row is None:
            building = Building(number=c["building__number"], kind=c["building__kind"])
            row = rows[c["unit_id"]] = ArrearsRow(
                unit_id=c["unit_id"],
                unit_label=f"{building.label} {c['unit__number']}",
                buckets=[ZERO] * len(ARREARS_BUCKETS),
                total=ZERO,
                oldest=c["run__period_start"],
            )
        row.buckets[index] += owed
        row.total += owed
        totals[index] += owed
    if rows:
        for step in ReminderStep.objects.filter(compound=compound, unit_id__in=list(rows)).order_by(
            "created_at", "id"
        ):
            row = rows[step.unit_id]
            if step.created_at.date() >= row.oldest:
                row.last_step = step
    return list(rows.values()), totals


def unit_reminder_steps(compound: Compound, unit: Unit) -> QuerySet[ReminderStep]:
    return ReminderStep.objects.filter(compound=compound, unit=unit).order_by("created_at", "id")


# --- the resident's page -------------------------------------------------------------------


@dataclass
class UnitFees:
    unit: Unit
    charges: list[Charge]
    payments: list[Payment]
    owed: Decimal
    credit: Decimal


def fees_of_units(compound: Compound, units: Iterable[Unit]) -> list[UnitFees]:
    """Charges (with subsidy lines and adjustments) and payments of ``units``: four queries
    whatever the number of units, charges or payments."""
    units = list(units)
    ids = [u.pk for u in units]
    charges = defaultdict(list)
    for c in (
        compound.charges.filter(unit_id__in=ids)
        .select_related("run", "standard")
        .prefetch_related(
            subsidy_lines_prefetch(),
            Prefetch("adjustments", queryset=ChargeAdjustment.objects.order_by("id")),
        )
        .order_by("-run__period_start")
    ):
        charges[c.unit_id].append(c)
    payments = defaultdict(list)
    for p in compound.payments.filter(unit_id__in=ids).order_by("-received_on", "-id"):
        payments[p.unit_id].append(p)
    result = []
    for unit in units:
        unit_charges = charges[unit.pk]
        received = sum((p.amount for p in payments[unit.pk]), ZERO)
        applied = sum((c.owner_paid for c in unit_charges), ZERO)
        result.append(
            UnitFees(
                unit=unit,
                charges=unit_charges,
                payments=payments[unit.pk],
                owed=sum((max(c.outstanding, ZERO) for c in unit_charges), ZERO),
                credit=max(received - applied, ZERO),
            )
        )
    return result


def latest_charge(compound: Compound, unit: Unit) -> Charge | None:
    return (
        compound.charges.filter(unit=unit)
        .select_related("run", "standard", "unit__building")
        .order_by("-run__period_start")
        .first()
    )


# --- standards and subsidies ---------------------------------------------------------------


def item_sets_fees(item: Item) -> bool:
    """An item whose passing fixes what owners pay: it hires the service company (CC 278
    (4), the contract's fee) or is marked as setting the fee standard — the same items
    that may authorise a four-party agreement."""
    return item.category == Category.SERVICE_COMPANY or item.sets_fee_standard


def fee_basis_items(compound: Compound) -> list[Item]:
    """Passed items of ``compound`` that can be the basis of a fee standard, newest first
    (for the standard form's choices)."""
    items = (
        Item.objects.filter(compound=compound, decision__compound=compound)
        .filter(Q(sets_fee_standard=True) | Q(category=Category.SERVICE_COMPANY))
        .select_related("decision")
        .order_by("-decision__counted_at", "-id")
    )
    return [item for item in items if item_passed(item)]


def compound_standards(compound: Compound) -> QuerySet[FeeStandard]:
    return compound.fee_standards.prefetch_related(
        Prefetch("shares", queryset=SubsidyShare.objects.select_related("payer"))
    ).order_by("building_kind", "-valid_from")


def current_standards(compound: Compound, day: dt.date) -> list[FeeStandard]:
    """For each kind, the standard valid on ``day``, else the latest one begun before it
    (its term shows that it has ended)."""
    chosen: dict[str, FeeStandard] = {}
    for s in compound_standards(compound):  # newest first within each kind
        if s.valid_from > day:
            continue
        current = chosen.get(s.building_kind)
        if current is None or (not _valid_on(current, day) and _valid_on(s, day)):
            chosen[s.building_kind] = s
    order = list(BuildingKind.values)
    return sorted(chosen.values(), key=lambda s: order.index(s.building_kind))


def _valid_on(standard: FeeStandard, day: dt.date) -> bool:
    return standard.valid_from <= day and (standard.valid_to is None or standard.valid_to >= day)


@dataclass
class ReconciliationLine:
    unit_label: str
    building_label: str
    area: Decimal
    amount: Decimal


@dataclass
class Reconciliation:
    """补贴对账单: one payer's part of one run, unit by unit, matching the charges."""

    compound: Compound
    payer: SubsidyPayer
    run: BillingRun
    lines: list[ReconciliationLine]
    total_area: Decimal
    total_amount: Decimal
    by_building: list[tuple[str, int, Decimal, Decimal]]


def subsidy_reconciliation(
    compound: Compound, payer: SubsidyPayer, run: BillingRun
) -> Reconciliation:
    """One query: the payer's lines (incl. adjustments) of ``run`` summed per unit."""
    rows = (
        ChargeSubsidyLine.objects.filter(compound=compound, payer=payer, charge__run=run)
        .values(
            "charge_id",
            "charge__unit__number",
            "charge__building__number",
            "charge__building__kind",
            "charge__building__sort_key",
        )
        .annotate(amount=FenSum("amount"), area=F("charge__area"))
        .order_by("charge__building__sort_key", "charge__building__number", "charge__unit__number")
    )
    adjusted_area = dict(
        ChargeAdjustment.objects.filter(compound=compound, charge__run=run)
        .order_by("charge_id", "id")
        .values_list("charge_id", "area_after")
    )
    lines = []
    buildings: dict[str, list] = {}
    for r in rows:
        building = Building(number=r["charge__building__number"], kind=r["charge__building__kind"])
        area = adjusted_area.get(r["charge_id"], r["area"])
        lines.append(
            ReconciliationLine(
                unit_label=f"{building.label} {r['charge__unit__number']}",
                building_label=building.label,
                area=area,
                amount=r["amount"],
            )
        )
        b = buildings.setdefault(building.label, [building.label, 0, ZERO, ZERO])
        b[1] += 1
        b[2] += area
        b[3] += r["amount"]
    return Reconciliation(
        compound=compound,
        payer=payer,
        run=run,
        lines=lines,
        total_area=sum((line.area for line in lines), ZERO),
        total_amount=sum((line.amount for line in lines), ZERO),
        by_building=[tuple(b) for b in buildings.values()],
    )


def subsidy_summary(compound: Compound) -> list[dict]:
    """Per payer and run: the subsidy total (one query)."""
    return list(
        ChargeSubsidyLine.objects.filter(compound=compound)
        .values("payer_id", "payer__name", "charge__run_id", "charge__run__period_start")
        .annotate(amount=FenSum("amount"), units=Count("charge_id", distinct=True))
        .order_by("charge__run__period_start", "payer_id")
    )


WARNING_MONTHS = 6


@dataclass
class SubsidyEnding:
    """A subsidised standard whose term ends within six months, and what comes after."""

    compound: Compound
    standard: FeeStandard
    households: int
    area: Decimal
    rate_after: Decimal
    next_standard: FeeStandard | None

    @property
    def monthly_now_total(self) -> Decimal:
        """What all households of the kind pay per month now, together."""
        return to_fen(self.area * self.standard.charged_rate)

    @property
    def monthly_after_total(self) -> Decimal:
        return to_fen(self.area * self.rate_after)

    @property
    def average_now(self) -> Decimal:
        return to_fen(self.monthly_now_total / self.households) if self.households else ZERO

    @property
    def average_after(self) -> Decimal:
        return to_fen(self.monthly_after_total / self.households) if self.households else ZERO


def subsidy_endings(compounds: Iterable[Compound], today: dt.date) -> list[SubsidyEnding]:
    """Subsidies of ``compounds`` ending between today and six months ahead; after the term
    households pay the next standard's charged rate, or the appraised rate if none is set.
    Two queries."""
    compounds = {c.pk: c for c in compounds}
    horizon = add_months(today, WARNING_MONTHS)
    standards = list(
        FeeStandard.objects.filter(compound_id__in=list(compounds)).order_by(
            "compound_id", "building_kind", "valid_from"
        )
    )
    areas = {
        (r["compound_id"], r["building__kind"]): r
        for r in Unit.objects.filter(compound_id__in=list(compounds), floor_area__isnull=False)
        .values("compound_id", "building__kind")
        .annotate(n=Count("id"), area=FenSum("floor_area"))
    }
    result = []
    for s in standards:
        if s.valid_to is None or not (today <= s.valid_to <= horizon) or s.subsidy_rate <= 0:
            continue
        nxt = next(
            (
                o
                for o in standards
                if o.compound_id == s.compound_id
                and o.building_kind == s.building_kind
                and o.valid_from > s.valid_to
            ),
            None,
        )
        stats = areas.get((s.compound_id, s.building_kind), {"n": 0, "area": ZERO})
        result.append(
            SubsidyEnding(
                compound=compounds[s.compound_id],
                standard=s,
                households=stats["n"],
                area=stats["area"] or ZERO,
                rate_after=nxt.charged_rate if nxt else s.appraised_rate,
                next_standard=nxt,
            )
        )
    return result


def office_subsidy_endings(office: StreetOffice, today: dt.date) -> list[SubsidyEnding]:
    return subsidy_endings(office.compounds.all(), today)


def households_after_subsidy(compound: Compound, ending: SubsidyEnding) -> QuerySet[Unit]:
    """The households of the ending standard's kind, for the per-household list."""
    return (
        compound.units.filter(
            building__kind=ending.standard.building_kind, floor_area__isnull=False
        )
        .select_related("building")
        .order_by("building__sort_key", "building__number", "number")
    )


# --- public disclosure (双晒) ---------------------------------------------------------------


@dataclass
class Disclosure:
    compound: Compound
    standards: list[FeeStandard]
    year: int
    fee_income: Decimal
    subsidy_income: Decimal
    account: AnnualAccount | None

    @property
    def income_total(self) -> Decimal:
        other = self.account.other_income if self.account else ZERO
        return self.fee_income + self.subsidy_income + other


def disclosure(compound: Compound, today: dt.date) -> Disclosure:
    """What BJ 70 / CC 943 require to be posted: no personal data at all. The year is the
    latest closed year with published accounts or fees (last year by default)."""
    years = [
        y
        for y in (
            *AnnualAccount.objects.filter(compound=compound).values_list("year", flat=True),
            *(d.year for d in compound.billing_runs.values_list("period_start", flat=True)),
        )
        if y < today.year
    ]
    year = max(years, default=today.year - 1)
    fee_income = (
        compound.payments.filter(received_on__year=year).aggregate(s=FenSum("amount"))["s"] or ZERO
    )
    subsidy_income = (
        compound.charges.filter(run__period_start__year=year).aggregate(s=FenSum("subsidy_due"))[
            "s"
        ]
        or ZERO
    )
    account = AnnualAccount.objects.filter(compound=compound, year=year).first()
    return Disclosure(
        compound=compound,
        standards=current_standards(compound, today),
        year=year,
        fee_income=fee_income,
        subsidy_income=subsidy_income,
        account=account,
    )


def unit_by_id(compound: Compound, unit_id: int) -> Unit | None:
    """The unit a payment names by id, if it is one of ``compound``'s."""
    return compound.units.select_related("building").filter(pk=unit_id).first()


def unit_by_number(compound: Compound, building: str, number: str) -> Unit | None:
    """The unit a payment names by 楼号 and 房号, if it is one of ``compound``'s."""
    return (
        compound.units.select_related("building")
        .filter(building__number=building.strip(), number=number.strip())
        .first()
    )


def payments_of_compound(compound: Compound, limit: int = 50) -> QuerySet[Payment]:
    return compound.payments.select_related("unit__building").order_by("-created_at", "-id")[:limit]


def refundable(payment: Payment) -> Decimal:
    if payment.kind != PaymentKind.PAYMENT:
        return ZERO
    refunded = payment.refunds.aggregate(s=FenSum("amount"))["s"] or ZERO
    return payment.amount + refunded
