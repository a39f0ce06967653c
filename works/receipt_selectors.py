"""Reads of the works projects' money received: progress per funding line (raised against
its target, net of refunds), the receipts list with what was refunded of each, and an
owner's own contributions.

:func:`project_progress` is THE progress of a project: the project page, the receipts
page, the public page, the API's funding lines and the funding plan's checks all read it,
so "raised" means the same everywhere: the receipts of a line less their refunds.

Every function takes the compound first and starts from it; each answers with a constant
number of queries (SQL aggregates), whatever the number of lines, units or receipts.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from fees.models import MONEY, FenSum
from fees.money import ZERO
from households.models import Unit
from portal.access import AnyUser
from portal.lists import Search
from portal.models import Compound

from .models import Contribution, FundingKind, FundingLine, Project, Receipt, ReceiptRefund


@dataclass(frozen=True)
class LineProgress:
    """One funding line's money: its target, what was raised (received less refunded), how
    many receipts it has (a line with receipts is part of the record, even once refunded
    in full), and for the owners' line how many units paid their share in full."""

    line_id: int
    position: int
    kind: str
    kind_label: str
    payer: str
    target: Decimal
    raised: Decimal
    units: int = 0
    units_paid: int = 0
    receipts: int = 0
    refunded: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return max(self.target - self.raised, ZERO)

    @property
    def percent(self) -> Decimal:
        """Raised as a per cent of the target, to 2 places (0 for a zero target)."""
        if not self.target:
            return ZERO
        return (self.raised * 100 / self.target).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ProjectProgress:
    lines: list[LineProgress]

    @property
    def target(self) -> Decimal:
        return sum((line.target for line in self.lines), ZERO)

    @property
    def raised(self) -> Decimal:
        return sum((line.raised for line in self.lines), ZERO)

    @property
    def refunded(self) -> Decimal:
        return sum((line.refunded for line in self.lines), ZERO)

    def raised_by_line(self) -> dict[int, Decimal]:
        """Net money per line that has receipts (lines without any are absent)."""
        return {line.line_id: line.raised for line in self.lines if line.receipts}

    @property
    def percent(self) -> Decimal:
        if not self.target:
            return ZERO
        return (self.raised * 100 / self.target).quantize(Decimal("0.01"))


def _per_line(rows: QuerySet, total: Sum | Count, line: str = "line_id") -> Subquery:
    """A correlated subquery: ``total`` over ``rows`` of the outer funding line (``line``:
    the rows' path to its id)."""
    return Subquery(
        rows.filter(**{line: OuterRef("pk")})
        .order_by()
        .values(line)
        .annotate(t=total)
        .values("t")[:1]
    )


def _money_or_zero(subquery: Subquery) -> Coalesce:
    return Coalesce(subquery, Value(ZERO), output_field=DecimalField(**MONEY))


def project_progress(compound: Compound, project: Project) -> ProjectProgress:
    """Raised (received less refunded) against each line's target of ``project`` (one
    query, whatever the number of lines, receipts and refunds)."""
    lines = (
        FundingLine.objects.filter(compound=compound, project=project)
        .annotate(
            received=_money_or_zero(_per_line(Receipt.objects.all(), FenSum("amount"))),
            refunded=_money_or_zero(
                _per_line(ReceiptRefund.objects.all(), FenSum("amount"), "receipt__line_id")
            ),
            receipt_count=Coalesce(_per_line(Receipt.objects.all(), Count("id")), 0),
            units=Coalesce(_per_line(Contribution.objects.all(), Count("id")), 0),
            units_paid=Coalesce(
                _per_line(Contribution.objects.filter(paid__gte=F("share")), Count("id")), 0
            ),
        )
        .order_by("position")
    )
    labels = dict(FundingKind.choices)
    return ProjectProgress(
        [
            LineProgress(
                line_id=line.pk,
                position=line.position,
                kind=line.kind,
                kind_label=str(labels.get(line.kind, line.kind)),
                payer=line.payer,
                target=line.amount,
                raised=line.received - line.refunded,
                units=line.units,
                units_paid=line.units_paid,
                receipts=line.receipt_count,
                refunded=line.refunded,
            )
            for line in lines
        ]
    )


def project_receipts(
    compound: Compound,
    project: Project,
    *,
    search: Search | None = None,
    line: str = "",
    building: str = "",
    method: str = "",
    received_from: dt.date | None = None,
    received_to: dt.date | None = None,
) -> QuerySet[Receipt]:
    """The project's receipts, newest first, with what a list shows and ``refunded`` (what
    was paid back of each); ``search`` (the shared list search: building, building and
    unit, unit number) finds owners' receipts by their unit; ``line`` (a line's id),
    ``building`` (a building number), ``method`` and the received dates (both ends
    included) narrow the list. Filters are the list's validated values (empty: all)."""
    receipts = (
        Receipt.objects.filter(compound=compound, project=project)
        .select_related("line", "contribution__unit__building")
        .annotate(
            refunded=_money_or_zero(
                Subquery(
                    ReceiptRefund.objects.filter(receipt_id=OuterRef("pk"))
                    .order_by()
                    .values("receipt_id")
                    .annotate(t=FenSum("amount"))
                    .values("t")[:1]
                )
            )
        )
        .order_by("-received_on", "-id")
    )
    if search:
        receipts = receipts.filter(
            search.q(
                building="contribution__building__number",
                unit="contribution__unit__number",
                name=None,
                names_visible=False,
            )
        )
    if line:
        receipts = receipts.filter(line_id=int(line))
    if building:
        receipts = receipts.filter(contribution__building__number=building)
    if method:
        receipts = receipts.filter(method=method)
    if received_from is not None:
        receipts = receipts.filter(received_on__gte=received_from)
    if received_to is not None:
        receipts = receipts.filter(received_on__lte=received_to)
    return receipts


def receipt_refunds(compound: Compound, receipts: QuerySet[Receipt]) -> QuerySet[ReceiptRefund]:
    """The refunds of ``receipts`` (a filtered list of one compound's), in the receipts'
    order, with the receipt each refunds (for the export's refunds sheet)."""
    return (
        ReceiptRefund.objects.filter(
            compound=compound, receipt_id__in=receipts.order_by().values("pk")
        )
        .select_related("receipt__line", "receipt__contribution__unit__building")
        .order_by("-receipt__received_on", "-receipt_id", "id")
    )


def refunds_of_receipt(compound: Compound, receipt: Receipt) -> QuerySet[ReceiptRefund]:
    """One receipt's refunds, oldest first."""
    return ReceiptRefund.objects.filter(compound=compound, receipt=receipt).order_by(
        "refunded_on", "id"
    )


def contribution_by_label(compound: Compound, project: Project, label: str) -> Contribution | None:
    """The project's contribution of the unit written as ``楼号-房号`` (``16-1-101``: building
    16, unit 1-101), or None."""
    building, _sep, unit = label.strip().partition("-")
    if not building or not unit:
        return None
    return (
        Contribution.objects.filter(
            compound=compound, project=project, building__number=building, unit__number=unit
        )
        .select_related("unit__building", "line")
        .first()
    )


@dataclass(frozen=True)
class OwnerContribution:
    """One of the owner's units' share of a project's owners' line."""

    compound_code: str
    project_id: int
    project_title: str
    project_status: str
    unit_label: str
    share: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return max(self.share - self.paid, ZERO)


def owner_contributions_of_units(units: list[Unit]) -> list[OwnerContribution]:
    """The shares of ``units`` (the flats a resident owns now, as the caller found them),
    per project, in one query: what a resident sees on their own page."""
    rows = (
        Contribution.objects.filter(
            compound_id__in={u.compound_id for u in units}, unit_id__in=[u.pk for u in units]
        )
        .select_related("project__compound", "unit__building")
        .order_by("-project__proposed_on", "project_id", "building__sort_key", "unit__number")
    )
    return [
        OwnerContribution(
            compound_code=row.project.compound.code,
            project_id=row.project_id,
            project_title=row.project.title,
            project_status=row.project.get_status_display(),
            unit_label=row.unit.label,
            share=row.share,
            paid=row.paid,
        )
        for row in rows
    ]


def owner_contributions(compound: Compound, user: AnyUser) -> list[OwnerContribution]:
    """The shares of the units ``user`` currently owns in ``compound`` (two queries)."""
    return owner_contributions_of_units(list(Unit.objects.filter(compound=compound).owned_by(user)))
