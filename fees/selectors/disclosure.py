"""双晒: what the company must post publicly (BJ 70, CC 943), with no personal data."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from portal.models import Compound

from ..models import (
    AnnualAccount,
    CollectionTotal,
    FeeStandard,
    FenSum,
)
from ..money import ZERO
from .standards import current_standards


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
    # The kept per-building totals of the year, not every charge (a public page).
    subsidy_income = (
        CollectionTotal.objects.filter(compound=compound, year=year).aggregate(
            s=FenSum("subsidy_due")
        )["s"]
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
