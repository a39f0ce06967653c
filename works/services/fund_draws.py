"""Draws on the maintenance fund (维修资金使用) for a project, split by area within its scope.

A draw is first *published* to the owners in scope (公示: amount, project, each unit's
share), then *made* on a later day. The split is fixed when the draw is published: each
unit's share (:class:`~works.models.FundDrawShare`, by area within the scope to the fen,
largest remainder, summing exactly to the draw) is written with the draw, and the draw is
made from those shares whatever changes in the scope or the register meanwhile. A draw
published before shares were kept has none; it is split from the scope when it is made
(and the split kept then, the audit saying so). The ledger entries are written when the
draw is made, in one transaction that locks the units first, so two draws made at once
cannot both spend the same balance. A unit whose balance does not cover its share is
refused (the compound's rule ``refuse``: the error names every such unit) or flagged
(rule ``flag``: the entry takes the whole balance and ``owed`` records the rest; the
draw's ``shortfall`` sums them; a later credit to the unit settles it,
:mod:`.fund`). A balance never goes below zero.

The emergency route (应急使用): for a case of the catalogue (:class:`EmergencyCase`), an
application uploads the evidence and publishes the draw to the owners at once, before the
project is approved; the project may then be approved on that basis
(:func:`works.fund_selectors.emergency_basis_ok`) and the draw made afterwards.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from households.models import Unit
from portal.audit import audit_record
from portal.models import Compound

from ..fund_selectors import draw_shares
from ..models import (
    DocumentKind,
    DrawStatus,
    EmergencyCase,
    EntryKind,
    FundDraw,
    FundDrawShare,
    FundEntry,
    FundingKind,
    OverdrawRule,
    Project,
    ProjectStatus,
)
from ._inputs import record_date
from .fund import BATCH, balances, fund_money, fund_settings, lock_units, recorder
from .projects import document_upload

ZERO = Decimal("0.00")
#: How many short units a refusal names before it says "and N more".
SHORT_NAMED = 20
#: Statuses a project must have reached before the fund pays for it.
APPROVED_OR_LATER = frozenset(ProjectStatus.values) - {ProjectStatus.PROPOSED}


@dataclass(frozen=True)
class DrawLine:
    """One unit's part of a draw: its share by area, its balance before, what the ledger
    takes from it and what stays owed (flag rule)."""

    unit_id: int
    share: Decimal
    balance: Decimal
    taken: Decimal
    owed: Decimal


def draw_plan(
    shares: Mapping[int, Decimal], balances_by_unit: Mapping[int, Decimal], *, flag: bool
) -> list[DrawLine]:
    """Pure: each unit's part of a draw given its balance. With ``flag`` a unit short of its
    share gives its whole (non-negative) balance and owes the rest; without, it gives its
    share and the caller refuses the draw if any line is short (``owed`` > 0)."""
    lines = []
    for unit_id, share in shares.items():
        balance = balances_by_unit.get(unit_id, ZERO)
        available = max(balance, ZERO)
        owed = max(share - available, ZERO)
        taken = share - owed if flag else share
        lines.append(DrawLine(unit_id, share, balance, taken, owed))
    return lines


def _short_error(lines: list[DrawLine], units: Mapping[int, Unit]) -> ValidationError:
    short = [line for line in lines if line.owed > 0]
    named = "；".join(
        _("%(unit)s（余额 %(balance)s 元，应分摊 %(share)s 元）")
        % {"unit": units[line.unit_id].label, "balance": line.balance, "share": line.share}
        for line in short[:SHORT_NAMED]
    )
    if len(short) > SHORT_NAMED:
        named += _("；另有 %(n)d 户") % {"n": len(short) - SHORT_NAMED}
    return ValidationError(
        {
            "amount": _(
                "本小区的规则是余额不足时拒绝使用：%(count)d 户的维修资金余额不足以承担分摊，"
                "请先续筹或调整金额。%(units)s"
            )
            % {"count": len(short), "units": named}
        },
        code="over_balance",
    )


def _drawn_so_far(project: Project) -> Decimal:
    total = FundDraw.objects.filter(compound_id=project.compound_id, project=project).aggregate(
        total=Sum("amount")
    )["total"]
    return total or ZERO


def _check_draw(project: Project, amount: Decimal, case: EmergencyCase | None) -> None:
    """Why ``project`` cannot have a draw of ``amount`` published (with ``case``: on the
    emergency route), as a ValidationError; nothing when it can."""
    if case is None and project.status not in APPROVED_OR_LATER:
        raise ValidationError(
            {"project": _("只有已批准的工程才能使用维修资金（应急情形请走应急使用申请）")},
            code="not_approved",
        )
    if case is not None and not case.active:
        raise ValidationError({"emergency_case": _("该应急使用情形已停用")})
    line = project.funding.filter(kind=FundingKind.MAINTENANCE_FUND).first()
    if line is None and case is None:
        raise ValidationError(
            {"project": _("工程的资金计划中没有“专项维修资金”一项，不能使用维修资金")}
        )
    cap = line.amount if line is not None else project.budget
    drawn = _drawn_so_far(project)
    if drawn + amount > cap:
        raise ValidationError(
            {
                "amount": _(
                    "使用金额超出工程计划的维修资金：计划 %(cap)s 元，已公示或划拨 %(drawn)s 元"
                )
                % {"cap": cap, "drawn": drawn}
            },
            code="over_plan",
        )


def _refuse_if_short(project: Project, shares: dict[int, Decimal], units: dict[int, Unit]) -> None:
    """Under the rule ``refuse``, refuse now a draw the balances do not cover (it is
    checked again, under locks, when the draw is made)."""
    if fund_settings(project.compound).overdraw != OverdrawRule.REFUSE:
        return
    lines = draw_plan(shares, balances(project.compound, list(shares)), flag=False)
    if any(line.owed > 0 for line in lines):
        raise _short_error(lines, units)


def _keep_shares(
    compound_id: int, draw: FundDraw, shares: Mapping[int, Decimal], units: Mapping[int, Unit]
) -> None:
    """Write the split of ``draw`` (``shares`` in the scope's order, which the shares'
    ids keep)."""
    FundDrawShare.objects.bulk_create(
        [
            FundDrawShare(
                compound_id=compound_id,
                draw=draw,
                unit_id=unit_id,
                building_id=units[unit_id].building_id,
                # draw_shares splits over units of known area only
                area=units[unit_id].floor_area or Decimal("0"),
                share=share,
            )
            for unit_id, share in shares.items()
        ],
        batch_size=BATCH,
    )


def kept_shares(compound: Compound, draw: FundDraw) -> tuple[dict[int, Decimal], dict[int, Unit]]:
    """The split fixed when ``draw`` was published, in its order, with the units (their
    building now); empty for a draw published before splits were kept."""
    shares: dict[int, Decimal] = {}
    units: dict[int, Unit] = {}
    for row in (
        FundDrawShare.objects.filter(compound=compound, draw=draw)
        .select_related("unit__building")
        .order_by("pk")
    ):
        shares[row.unit_id] = row.share
        units[row.unit_id] = row.unit
    return shares, units


def _locked_project(project: Project) -> Project:
    """The project row locked: draws of one project are published one at a time, so two
    cannot both pass the check against its plan."""
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=project.pk, compound_id=project.compound_id)
    )


def _publish(
    project: Project,
    amount: Decimal,
    published_on: dt.date,
    case: EmergencyCase | None,
    actor: User | None,
    split: tuple[dict[int, Decimal], dict[int, Unit]],
) -> FundDraw:
    draw = FundDraw(
        compound_id=project.compound_id,
        project=project,
        amount=amount,
        emergency_case=case,
        status=DrawStatus.PUBLISHED,
        published_on=published_on,
        created_by=recorder(actor),
    )
    draw.full_clean(exclude=["compound", "project", "emergency_case", "created_by"])
    draw.save()
    shares, units = split
    _keep_shares(project.compound_id, draw, shares, units)
    audit_record(
        action="works.fund_draw_publish",
        actor=actor,
        compound=project.compound,
        obj=draw,
        data={
            "project": project.pk,
            "amount": str(amount),
            "published_on": published_on.isoformat(),
            "emergency_case": case.code if case else None,
            "shares": len(shares),
        },
    )
    return draw


@transaction.atomic
def fund_draw_publish(
    *,
    project: Project,
    amount: object,
    published_on: dt.date | None = None,
    actor: User | None = None,
) -> FundDraw:
    """Publish (公示) a draw of ``amount`` for an approved ``project`` to the owners in its
    scope, with each unit's share fixed now (by area within the scope). Refused for a
    project not approved, without a maintenance-fund line, beyond that line (counting
    earlier draws), with no unit of known area in scope, or, under the rule ``refuse``,
    when some unit's balance does not cover its share."""
    project = _locked_project(project)
    value = fund_money(amount, "amount", _("使用金额"))
    on = record_date(published_on, "published_on", _("公示日期"))
    _check_draw(project, value, None)
    split = draw_shares(project, value)
    _refuse_if_short(project, *split)
    return _publish(project, value, on, None, actor, split)


@transaction.atomic
def fund_emergency_apply(
    *,
    project: Project,
    case: EmergencyCase,
    amount: object,
    evidence: bytes,
    filename: str = "",
    title: str = "",
    published_on: dt.date | None = None,
    actor: User | None = None,
) -> FundDraw:
    """The emergency route (应急使用): ``project`` names ``case``, the evidence is kept as
    the project's document of kind ``evidence`` (a PDF or image,
    :func:`works.services.projects.document_upload`), and the draw is published to the
    owners at once. The project may be still proposed: this publication is the basis on
    which it can be approved. Everything is checked before the file is stored."""
    project = _locked_project(project)
    if not isinstance(case, EmergencyCase):
        raise ValidationError({"emergency_case": _("请选择应急使用情形")})
    value = fund_money(amount, "amount", _("使用金额"))
    on = record_date(published_on, "published_on", _("公示日期"))
    _check_draw(project, value, case)
    split = draw_shares(project, value)
    _refuse_if_short(project, *split)
    document_upload(
        project=project,
        actor=actor,
        kind=DocumentKind.EVIDENCE,
        title=title or case.title,
        content=evidence,
        filename=filename,
    )
    return _publish(project, value, on, case, actor, split)


@transaction.atomic
def fund_draw_make(
    *, draw: FundDraw, made_on: dt.date | None = None, actor: User | None = None
) -> FundDraw:
    """Make (划拨) a published draw: write each unit's ledger entry from the split fixed
    at publication, in one transaction with the draw and the units locked (a draw
    published before splits were kept is split from the scope now, and that split kept).
    The project must be approved by now (an emergency draw is published before approval,
    made after it), and the draw made on a later day than it was published. Under the
    rule ``refuse`` a unit short of its share refuses the whole draw (every such unit
    named); under ``flag`` it gives its balance and owes the rest. The entries sum to
    ``-(amount - shortfall)`` exactly."""
    draw = (
        FundDraw.objects.select_for_update(of=("self",))
        .select_related("project__compound")
        .get(pk=draw.pk, compound_id=draw.compound_id)
    )
    project = draw.project
    if draw.status != DrawStatus.PUBLISHED:
        raise ValidationError({"draw": _("这笔维修资金已经划拨")}, code="already_made")
    if project.status not in APPROVED_OR_LATER:
        raise ValidationError(
            {"draw": _("工程尚未批准，不能划拨维修资金（应急使用也须先公示、批准后划拨）")},
            code="not_approved",
        )
    on = record_date(made_on, "made_on", _("划拨日期"))
    if on <= draw.published_on:
        raise ValidationError(
            {
                "made_on": _("划拨日期须晚于公示日期 %(date)s（先公示，后划拨）")
                % {"date": draw.published_on.isoformat()}
            },
            code="not_after_publication",
        )
    shares, units = kept_shares(project.compound, draw)
    fixed_on_make = not shares
    if fixed_on_make:
        shares, units = draw_shares(project, draw.amount)
        _keep_shares(project.compound_id, draw, shares, units)
    lock_units(project.compound, shares)
    rule = fund_settings(project.compound).overdraw
    lines = draw_plan(
        shares, balances(project.compound, list(shares)), flag=rule == OverdrawRule.FLAG
    )
    if rule == OverdrawRule.REFUSE and any(line.owed > 0 for line in lines):
        raise _short_error(lines, units)
    note = _("维修资金使用：%(title)s") % {"title": project.title}
    entries = [
        FundEntry(
            compound_id=project.compound_id,
            unit_id=line.unit_id,
            building_id=units[line.unit_id].building_id,
            kind=EntryKind.DRAW,
            amount=-line.taken,
            owed=line.owed,
            draw=draw,
            entry_date=on,
            note=note[:200],
            created_by=recorder(actor),
        )
        for line in lines
        if line.share > 0
    ]
    FundEntry.objects.bulk_create(entries, batch_size=BATCH)
    draw.status = DrawStatus.MADE
    draw.made_on = on
    draw.shortfall = sum((line.owed for line in lines), ZERO)
    draw.save(update_fields=["status", "made_on", "shortfall"])
    audit_record(
        action="works.fund_draw_make",
        actor=actor,
        compound=project.compound,
        obj=draw,
        data={
            "project": project.pk,
            "amount": str(draw.amount),
            "made_on": on.isoformat(),
            "rule": rule,
            "entries": len(entries),
            "shortfall": str(draw.shortfall),
            "units_short": sum(1 for line in lines if line.owed > 0),
            "split_fixed_on_make": fixed_on_make,
        },
    )
    return draw
