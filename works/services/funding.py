"""A project's funding plan (资金计划): lines by payer that sum exactly to the budget.

The plan is set as a whole (:func:`funding_plan_set`), so the sum can be checked before
anything is written: a plan that does not add up to the budget, a negative or zero line,
a second owners' or maintenance-fund line, or a property-right unit of another compound is
refused with nothing saved. Existing lines are kept (same row, so their receipts stay
attached) when the new plan names the same payer; a line with receipts cannot be removed
nor lowered below what it received, and the owners' line is fixed once it has receipts.
After the plan the owners' shares are recomputed (:mod:`.contributions`).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from portal.audit import audit_record

from .. import selectors
from ..models import FundingKind, FundingLine, Project, ProjectStatus
from ._inputs import money
from .contributions import contributions_recompute

MAX_LINES = 20
#: Kinds of which a project has at most one line.
SINGLE_KINDS = (FundingKind.OWNERS, FundingKind.MAINTENANCE_FUND)
#: The plan can no longer change once the works are accepted.
PLAN_CLOSED = (ProjectStatus.ACCEPTED, ProjectStatus.SETTLED)


@dataclass(frozen=True)
class FundingLineInput:
    """One line as entered: kind, payer (defaults by kind when blank), amount and, for a
    property-right unit's line, the unit's id."""

    kind: str
    amount: object
    payer: str = ""
    property_unit_id: int | None = None


def _line_error(index: int, message: str) -> ValidationError:
    return ValidationError(
        {"funding": _("第 %(n)d 项资金来源：%(message)s") % {"n": index, "message": message}}
    )


def _clean_lines(project: Project, lines: Sequence[FundingLineInput]) -> list[FundingLine]:
    """The lines as unsaved rows, each validated; the plan's own rules after."""
    if not lines:
        raise ValidationError({"funding": _("资金计划至少要有一项来源")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"funding": _("资金来源最多 %(max)d 项") % {"max": MAX_LINES}})
    compound = project.compound
    ids = {line.property_unit_id for line in lines if line.property_unit_id is not None}
    property_units = {p.pk: p for p in compound.property_right_units.filter(pk__in=ids)}
    rows = []
    for index, line in enumerate(lines, start=1):
        if line.kind not in FundingKind.values:
            raise _line_error(index, _("类型无效"))
        amount = money(line.amount, "funding", _("第 %(n)d 项金额") % {"n": index})
        payer = line.payer.strip()[:200]
        property_unit = None
        if line.kind == FundingKind.PROPERTY_UNIT:
            property_unit = property_units.get(line.property_unit_id or 0)
            if property_unit is None:
                raise _line_error(index, _("产权单位出资须选择本小区的产权单位"))
            payer = payer or property_unit.name
        elif line.property_unit_id is not None:
            raise _line_error(index, _("只有“产权单位”类型的来源可以指定产权单位"))
        if not payer and line.kind == FundingKind.COMPANY and compound.service_company:
            payer = compound.service_company.name[:200]
        if not payer and line.kind in SINGLE_KINDS:
            payer = str(FundingKind(line.kind).label)
        if not payer:
            raise _line_error(index, _("请填写出资方名称"))
        rows.append(
            FundingLine(
                compound_id=project.compound_id,
                project=project,
                position=index,
                kind=line.kind,
                payer=payer,
                property_unit=property_unit,
                amount=amount,
            )
        )
    kinds = Counter(row.kind for row in rows)
    for kind in SINGLE_KINDS:
        if kinds[kind] > 1:
            raise ValidationError(
                {"funding": _("“%(kind)s”只能有一项") % {"kind": FundingKind(kind).label}}
            )
    units = Counter(row.property_unit_id for row in rows if row.property_unit_id)
    if any(n > 1 for n in units.values()):
        raise ValidationError({"funding": _("同一产权单位只能有一项出资")})
    return rows


def _key(line: FundingLine) -> tuple:
    """Which existing line a new one continues: the same kind and payer (a property-right
    unit's line: the same unit; the owners' and the fund's: the kind alone)."""
    if line.kind in SINGLE_KINDS:
        return (line.kind,)
    if line.kind == FundingKind.PROPERTY_UNIT:
        return (line.kind, line.property_unit_id)
    return (line.kind, line.payer)


@transaction.atomic
def funding_plan_set(
    *,
    project: Project,
    actor: User | None,
    lines: Sequence[FundingLineInput],
    budget: object = None,
) -> list[FundingLine]:
    """Replace the funding plan of ``project`` by ``lines`` (in their order), optionally
    with a new budget (only while the project is proposed). The lines must sum exactly to
    the budget. Recomputes the owners' shares. Returns the plan's lines."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=project.pk)
    )
    if project.status in PLAN_CLOSED:
        raise ValidationError({"funding": _("工程已验收，资金计划不能再修改")}, code="plan_closed")
    if budget is not None and budget != "":
        new_budget = money(budget, "budget", _("预算"))
        if new_budget != project.budget and project.status != ProjectStatus.PROPOSED:
            raise ValidationError(
                {"budget": _("只有“已提出”状态的工程可以修改预算")}, code="not_editable"
            )
        project.budget = new_budget
    rows = _clean_lines(project, lines)
    total = sum((row.amount for row in rows), Decimal("0.00"))
    if total != project.budget:
        raise ValidationError(
            {
                "funding": _(
                    "各项资金来源合计 %(total)s 元，不等于预算 %(budget)s 元（相差 %(diff)s 元）"
                )
                % {"total": total, "budget": project.budget, "diff": total - project.budget}
            },
            code="sum_mismatch",
        )
    existing = {_key(line): line for line in project.funding.all()}
    raised = selectors.raised_by_line(project)
    kept_keys = {_key(row) for row in rows}
    for key, line in existing.items():
        if key not in kept_keys and line.pk in raised:
            raise ValidationError(
                {"funding": _("“%(payer)s”已有收款记录，不能删除") % {"payer": line.payer}},
                code="line_has_receipts",
            )
    for row in rows:
        old = existing.get(_key(row))
        received = raised.get(old.pk) if old else None
        if old is None or received is None:
            continue
        if row.kind == FundingKind.OWNERS and row.amount != old.amount:
            raise ValidationError(
                {"funding": _("业主自筹部分已有收款记录，金额不能再修改")}, code="owners_locked"
            )
        if row.amount < received:
            raise ValidationError(
                {
                    "funding": _("“%(payer)s”已收 %(received)s 元，金额不能低于已收款")
                    % {"payer": old.payer, "received": received}
                },
                code="below_received",
            )
    before = [(line.kind, line.payer, str(line.amount)) for line in existing.values()]
    project.save(update_fields=["budget"])
    # Out of the way of the unique position first, then the plan in its order.
    gone = [line.pk for key, line in existing.items() if key not in kept_keys]
    project.funding.filter(pk__in=gone).delete()
    project.funding.update(position=F("position") + 100)
    saved = []
    for row in rows:
        old = existing.get(_key(row))
        if old is not None:
            row.pk = old.pk
            row._state.adding = False  # the same row, updated (its receipts stay attached)
        row.full_clean(exclude=["compound", "project"], validate_constraints=False)
        row.save()
        saved.append(row)
    contributions_recompute(project=project, actor=actor)
    audit_record(
        action="works.funding_plan",
        actor=actor,
        compound=project.compound,
        obj=project,
        data={
            "budget": str(project.budget),
            "before": before,
            "after": [(row.kind, row.payer, str(row.amount)) for row in saved],
        },
    )
    return saved
