"""What the fees app's print documents show: fee notices (缴费通知单), receipts and demand
letters. These reads decide every figure (arrears, the corrected area, the notice number
and due date, who is addressed); ``fees.pdf`` only lays them out."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Owner, Ownership, Unit
from portal.models import Compound

from ..models import (
    BillingRun,
    Charge,
    ChargeSubsidyLine,
    FenSum,
    Payment,
    PaymentAllocation,
    ReminderStep,
)
from ..money import ZERO
from .charges import adjusted_areas


@dataclass
class NoticeLine:
    payer: str
    share: Decimal
    amount: Decimal


@dataclass
class Notice:
    charge: Charge
    owners: list[tuple[str, str]]  # (name, masked ID number)
    subsidy_lines: list[NoticeLine]
    arrears: Decimal
    paid: Decimal
    area: Decimal  # as corrected, when an adjustment changed it
    number: str = ""  # 通知单编号, see notice_number
    issued_on: dt.date = field(default_factory=timezone.localdate)  # 通知日期
    due_on: dt.date | None = None  # 缴费期限, see notice_due_date

    @property
    def amount_due(self) -> Decimal:
        return self.charge.owner_due - self.charge.owner_paid

    @property
    def total_due(self) -> Decimal:
        return self.amount_due + self.arrears

    @property
    def needs_sending(self) -> bool:
        """A household that owes nothing (this period paid, no arrears) gets no notice:
        a 0.00 demand for money only confuses the owners who paid."""
        return self.total_due > 0


class NoticeNotNeeded(ValidationError):
    """The household owes nothing: there is no notice to give."""


def notice_number(compound: Compound, charge: Charge) -> str:
    """通知单编号: compound, billing month and the charge's id, e.g. ``XYNL32-202201-0001234``.
    One charge is one (run, unit) and keeps its id through re-runs and corrections, so the
    number is unique and the same on every print of that notice."""
    return f"{compound.code.upper()}-{charge.run.period_start:%Y%m}-{charge.pk:07d}"


def notice_due_date(run: BillingRun, issued_on: dt.date) -> dt.date:
    """缴费期限: FEES_NOTICE_DUE_DAYS after the period starts (fees are paid in advance),
    or after the notice is issued if that is later (a late or reprinted notice still
    leaves the owner that long)."""
    return max(run.period_start, issued_on) + dt.timedelta(days=settings.FEES_NOTICE_DUE_DAYS)


def notice_charges(
    compound: Compound, run: BillingRun, building_id: int | None = None
) -> QuerySet[Charge]:
    """The charges of ``run`` (of one building) to print notices for, by unit number (a
    total order: a building's print parts are slices of it)."""
    charges = (
        compound.charges.filter(run=run)
        .select_related("run", "unit", "building", "standard")
        .order_by("unit__number", "pk")
    )
    if building_id is not None:
        charges = charges.filter(building_id=building_id)
    return charges


def build_notices(
    compound: Compound, charges: Iterable[Charge], issued_on: dt.date | None = None
) -> list[Notice]:
    """Notices for ``charges`` (one run) issued on ``issued_on`` (today), with owners,
    arrears, corrected areas and subsidy lines: four queries more."""
    charges = list(charges)
    issued_on = issued_on or timezone.localdate()
    unit_ids = [c.unit_id for c in charges]
    owners = defaultdict(list)
    for o in (
        Ownership.objects.current()
        .filter(compound=compound, unit_id__in=unit_ids)
        .select_related("owner")
        .order_by("-is_representative", "id")
    ):
        owners[o.unit_id].append((o.owner.name, o.owner.masked_id_number))
    earliest = min((c.run.period_start for c in charges), default=None)
    arrears: dict[int, Decimal] = {}
    if earliest is not None:
        arrears = dict(
            compound.charges.filter(
                unit_id__in=unit_ids,
                run__period_start__lt=earliest,
                owner_due__gt=F("owner_paid"),
            )
            .values("unit_id")
            .annotate(s=FenSum(F("owner_due") - F("owner_paid")))
            .values_list("unit_id", "s")
        )
    areas = adjusted_areas(compound, [c.pk for c in charges])
    lines: dict[int, dict[str, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [ZERO, ZERO])
    )
    for line in (
        ChargeSubsidyLine.objects.filter(compound=compound, charge_id__in=[c.pk for c in charges])
        .select_related("payer")
        .order_by("id")
    ):
        slot = lines[line.charge_id][line.payer.name]
        slot[0] = line.share
        slot[1] += line.amount
    return [
        Notice(
            charge=c,
            owners=owners.get(c.unit_id, []),
            subsidy_lines=[
                NoticeLine(payer=name, share=share, amount=amount)
                for name, (share, amount) in lines[c.pk].items()
            ],
            arrears=arrears.get(c.unit_id, ZERO),
            paid=c.owner_paid,
            area=areas.get(c.pk, c.area),
            number=notice_number(compound, c),
            issued_on=issued_on,
            due_on=notice_due_date(c.run, issued_on),
        )
        for c in charges
    ]


def unit_notice(compound: Compound, charge: Charge) -> Notice:
    """The household's notice of ``charge``; :class:`NoticeNotNeeded` if it owes nothing."""
    [notice] = build_notices(compound, [charge])
    if not notice.needs_sending:
        raise NoticeNotNeeded(
            _("%(unit)s 本期物业费已缴清且无欠费，无需缴费通知单。")
            % {"unit": f"{charge.building.label} {charge.unit.number}"}
        )
    return notice


# --- receipts and demand letters -----------------------------------------------------------


def current_owners(compound: Compound, unit: Unit) -> list[Owner]:
    """Who owns ``unit`` now, the co-owners' representative first (as addressed on paper)."""
    ownerships = (
        Ownership.objects.current()
        .filter(compound=compound, unit=unit)
        .select_related("owner")
        .order_by("-is_representative", "id")
    )
    return [o.owner for o in ownerships]


@dataclass
class Receipt:
    """收据: a payment, whom it is from and which periods it paid."""

    compound: Compound
    payment: Payment
    unit: Unit
    owners: list[Owner]
    allocations: list[PaymentAllocation]


def receipt(compound: Compound, payment: Payment) -> Receipt:
    return Receipt(
        compound=compound,
        payment=payment,
        unit=payment.unit,
        owners=current_owners(compound, payment.unit),
        allocations=list(payment.allocations.select_related("charge__run").order_by("id")),
    )


@dataclass
class DemandLetter:
    """书面催告函 (CC 944): whom it addresses, the periods still owed and their total."""

    compound: Compound
    step: ReminderStep
    unit: Unit
    owners: list[Owner]
    charges: list[Charge]
    total: Decimal


def demand_letter(compound: Compound, step: ReminderStep) -> DemandLetter:
    charges = [
        c
        for c in compound.charges.filter(unit=step.unit)
        .select_related("run")
        .order_by("run__period_start")
        if c.outstanding > 0
    ]
    return DemandLetter(
        compound=compound,
        step=step,
        unit=step.unit,
        owners=current_owners(compound, step.unit),
        charges=charges,
        total=sum((c.outstanding for c in charges), ZERO),
    )
