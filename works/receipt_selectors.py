"""Reads of the works projects' money received: progress per funding line (raised against
its target), the receipts list, and an owner's own contributions.

Every function takes the compound first and starts from it; each answers with a constant
number of queries (SQL aggregates), whatever the number of lines, units or receipts.
"""

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

from .models import Contribution, FundingKind, FundingLine, Project, Receipt


@dataclass(frozen=True)
class LineProgress:
    """One funding line's money: its target, what was received, and for the owners' line
    how many units paid their share in full."""

    line_id: int
    position: int
    kind: str
    kind_label: str
    payer: str
    target: Decimal
    raised: Decimal
    units: int = 0
    units_paid: int = 0

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
    def percent(self) -> Decimal:
        if not self.target:
            return ZERO
        return (self.raised * 100 / self.target).quantize(Decimal("0.01"))


def _per_line(rows: QuerySet, total: Sum | Count) -> Subquery:
    """A correlated subquery: ``total`` over ``rows`` of the outer funding line."""
    return Subquery(
        rows.filter(line_id=OuterRef("pk"))
        .order_by()
        .values("line_id")
        .annotate(t=total)
        .values("t")[:1]
    )


def project_progress(compound: Compound, project: Project) -> ProjectProgress:
    """Raised against each line's target of ``project`` (one query)."""
    lines = (
        FundingLine.objects.filter(compound=compound, project=project)
        .annotate(
            raised=Coalesce(
                _per_line(Receipt.objects.all(), FenSum("amount")),
                Value(ZERO),
                output_field=DecimalField(**MONEY),
            ),
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
                raised=line.raised,
                units=line.units,
                units_paid=line.units_paid,
            )
            for line in lines
        ]
    )


def project_receipts(
    compound: Compound, project: Project, *, search: Search | None = None
) -> QuerySet[Receipt]:
    """The project's receipts, newest first, with what a list shows; ``search`` (the
    shared list search: building, building and unit, unit number) finds owners' receipts
    by their unit."""
    receipts = (
        Receipt.objects.filter(compound=compound, project=project)
        .select_related("line", "contribution__unit__building", "recorded_by")
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
    return receipts


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
