"""The owners' shares of a project (业主分摊, CC 283): one :class:`Contribution` per unit in
scope with a known area, for the project's ``owners`` funding line.

The split is :func:`works.money.split_by_area` over the scope's units with a known area,
leaving out units of unknown area (listed as blocked: they get no share until their area
is known) and the flats held by a property-right unit that pays through its own funding
line. It is recomputed whenever the plan or the scope changes; once a receipt was recorded
against the owners' line the split is fixed, and a change that would alter it is refused.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record

from .. import selectors
from ..models import Contribution, FundingKind, FundingLine, Project, Receipt
from ..money import split_by_area


@dataclass(frozen=True)
class ShareRow:
    """One unit's planned share of the owners' line."""

    unit_id: int
    building_id: int
    area: Decimal
    share: Decimal


def contributions_plan(project: Project, line: FundingLine | None) -> list[ShareRow]:
    """The shares ``line`` (the owners' line, or None: no shares) would split into over the
    project's current scope; a ValidationError when there is no area to split it by."""
    if line is None:
        return []
    units = list(selectors.split_units(project))
    if not units:
        raise ValidationError(
            {
                "funding": _(
                    "工程范围内没有已知面积、应由业主分摊的房屋，无法设置业主自筹部分"
                    "（面积未知的房屋须先补录面积）"
                )
            },
            code="no_area",
        )
    areas = {unit.pk: unit.floor_area for unit in units if unit.floor_area is not None}
    shares = split_by_area(line.amount, areas)
    return [ShareRow(unit.pk, unit.building_id, areas[unit.pk], shares[unit.pk]) for unit in units]


def owners_split_locked(project: Project) -> bool:
    """True once any receipt was recorded against the project's owners' line."""
    return Receipt.objects.filter(
        compound_id=project.compound_id, project=project, line__kind=FundingKind.OWNERS
    ).exists()


@transaction.atomic
def contributions_recompute(*, project: Project, actor: User | None = None) -> bool:
    """Bring the project's contributions in line with its owners' line and scope. Returns
    whether anything changed; refuses (ValidationError) a change once receipts exist."""
    line = project.funding.filter(kind=FundingKind.OWNERS).first()
    planned = contributions_plan(project, line)
    current = {
        (c.line_id, c.unit_id): (c.area, c.share)
        for c in project.contributions.only("line_id", "unit_id", "area", "share")
    }
    wanted = {(line.pk, r.unit_id): (r.area, r.share) for r in planned} if line else {}
    if current == wanted:
        return False
    if owners_split_locked(project):
        raise ValidationError(
            {
                "funding": _(
                    "业主自筹部分已有收款记录，不能再修改业主分摊（包括金额、工程范围和产权单位出资）"
                )
            },
            code="owners_locked",
        )
    project.contributions.all().delete()
    if line is not None:
        Contribution.objects.bulk_create(
            Contribution(
                compound_id=project.compound_id,
                project=project,
                line=line,
                unit_id=row.unit_id,
                building_id=row.building_id,
                area=row.area,
                share=row.share,
            )
            for row in planned
        )
    audit_record(
        action="works.contributions_split",
        actor=actor,
        compound=project.compound,
        obj=project,
        data={
            "line": line.pk if line else None,
            "amount": str(line.amount) if line else "0.00",
            "units": len(planned),
        },
    )
    return True
