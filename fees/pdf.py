"""Print documents of the fees app: fee notices, receipts, demand letters, statements.

One HTML template per document, rendered to PDF by WeasyPrint with the Noto CJK fonts
(subset on output, so a notice stays small). A building's print file is ONE HTML document
with a page per household: fonts are laid out once per file instead of once per notice,
which is why building files are much faster than one PDF per household.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Ownership
from portal.models import Compound
from portal.pdf import qr_data_uri, render_pdf

from .models import (
    BillingRun,
    Charge,
    ChargeAdjustment,
    ChargeSubsidyLine,
    FenSum,
    Payment,
    PaymentMethod,
    ReminderStep,
)
from .money import ZERO
from .selectors import Reconciliation


def resident_fee_url(compound: Compound) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("fees:my", args=[compound.code])


# --- fee notices (缴费通知单) ---------------------------------------------------------------


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
    due_on: dt.date | None = None  # 缴费期限, set when printed (notice_due_date)

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


def build_notices(compound: Compound, charges: Iterable[Charge]) -> list[Notice]:
    """Notices for ``charges`` (one run) with owners and arrears: three queries more."""
    charges = list(charges)
    unit_ids = [c.unit_id for c in charges]
    owners = defaultdict(list)
    for o in (
        Ownership.objects.filter(compound=compound, unit_id__in=unit_ids, valid_to__isnull=True)
        .select_related("owner")
        .order_by("-is_representative", "id")
    ):
        owners[o.unit_id].append((o.owner.name, o.owner.masked_id_number))
    earliest = min((c.run.period_start for c in charges), default=None)
    arrears = {}
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
    areas = dict(
        ChargeAdjustment.objects.filter(compound=compound, charge_id__in=[c.pk for c in charges])
        .order_by("charge_id", "id")
        .values_list("charge_id", "area_after")
    )
    lines = defaultdict(lambda: defaultdict(lambda: [ZERO, ZERO]))
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
        )
        for c in charges
    ]


def notice_charges(compound: Compound, run: BillingRun, building_id: int | None = None):
    charges = (
        compound.charges.filter(run=run)
        .select_related("run", "unit", "building", "standard")
        .order_by("unit__number")
    )
    if building_id is not None:
        charges = charges.filter(building_id=building_id)
    return charges


def _notice_context(compound: Compound, notices: list[Notice]) -> dict:
    company = compound.service_company
    issued_on = timezone.localdate()
    due_on = {n.charge.run_id: notice_due_date(n.charge.run, issued_on) for n in notices}
    for n in notices:
        n.due_on = due_on[n.charge.run_id]
    return {
        "compound": compound,
        "company": company,
        "notices": notices,
        "qr": qr_data_uri(resident_fee_url(compound)),
        "fee_url": resident_fee_url(compound),
        "methods": [label for _v, label in PaymentMethod.choices],
        "issued_on": issued_on,
    }


def render_notices(compound: Compound, notices: list[Notice]) -> bytes:
    """One PDF with a page per notice (a building's print file, or a single notice)."""
    return render_pdf("fees/pdf/notices.html", _notice_context(compound, notices))


def render_unit_notice(compound: Compound, charge: Charge) -> bytes:
    """The household's notice; :class:`NoticeNotNeeded` if it owes nothing."""
    notices = build_notices(compound, [charge])
    if not notices[0].needs_sending:
        raise NoticeNotNeeded(
            _("%(unit)s 本期物业费已缴清且无欠费，无需缴费通知单。")
            % {"unit": f"{charge.building.label} {charge.unit.number}"}
        )
    return render_notices(compound, notices)


# --- receipts, demand letters, statements ------------------------------------------------


def _current_owners(compound: Compound, unit) -> list:
    """Who owns ``unit`` now, the co-owners' representative first (as addressed on paper)."""
    ownerships = (
        Ownership.objects.filter(compound=compound, unit=unit, valid_to__isnull=True)
        .select_related("owner")
        .order_by("-is_representative", "id")
    )
    return [o.owner for o in ownerships]


def render_receipt(compound: Compound, payment: Payment) -> bytes:
    allocations = payment.allocations.select_related("charge__run").order_by("id")
    return render_pdf(
        "fees/pdf/receipt.html",
        {
            "compound": compound,
            "company": compound.service_company,
            "payment": payment,
            "unit": payment.unit,
            "owners": _current_owners(compound, payment.unit),
            "allocations": allocations,
        },
    )


def render_demand_letter(compound: Compound, step: ReminderStep) -> bytes:
    """书面催告函 (CC 944): the amount, the periods, a deadline and the lawful next step."""
    charges = [
        c
        for c in compound.charges.filter(unit=step.unit)
        .select_related("run")
        .order_by("run__period_start")
        if c.outstanding > 0
    ]
    return render_pdf(
        "fees/pdf/demand.html",
        {
            "compound": compound,
            "company": compound.service_company,
            "step": step,
            "unit": step.unit,
            "owners": _current_owners(compound, step.unit),
            "charges": charges,
            "total": sum((c.outstanding for c in charges), ZERO),
            "fee_url": resident_fee_url(compound),
        },
    )


def render_reconciliation(statement: Reconciliation) -> bytes:
    return render_pdf(
        "fees/pdf/reconciliation.html",
        {"s": statement, "compound": statement.compound, "today": dt.date.today()},
    )
