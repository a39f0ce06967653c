"""The arrears ladder of CC 944 (催缴): reminder → written demand → legal hand-over."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Unit
from portal.audit import audit_record
from portal.models import Compound

from ..models import ReminderKind, ReminderStep
from ..money import ZERO
from ._common import _actor

# CC 944 ladder: days between a reminder and a written demand, and the demand's deadline.
DEMAND_AFTER_REMINDER_DAYS = 7
DEMAND_RESPONSE_DAYS = 15


def unit_outstanding(compound: Compound, unit_id: int) -> tuple[Decimal, dt.date | None]:
    """What the unit owes now, and the start of its oldest unpaid period."""
    owed = ZERO
    oldest = None
    for c in (
        compound.charges.filter(unit_id=unit_id).select_related("run").order_by("run__period_start")
    ):
        if c.outstanding > 0:
            owed += c.outstanding
            oldest = oldest or c.run.period_start
    return owed, oldest


def reminder_next_kind(steps: Sequence[ReminderStep], today: dt.date) -> tuple[str | None, str]:
    """The ladder's next permitted step and, if none is permitted yet, why."""
    kinds = [s.kind for s in steps]
    if ReminderKind.WRITTEN_DEMAND in kinds:
        demand = [s for s in steps if s.kind == ReminderKind.WRITTEN_DEMAND][-1]
        if ReminderKind.LEGAL_HANDOVER in kinds:
            return None, _("已移交诉讼或仲裁")
        if demand.respond_by and demand.respond_by >= today:
            return None, _("书面催告的答复期限（%(date)s）尚未届满") % {"date": demand.respond_by}
        return ReminderKind.LEGAL_HANDOVER, ""
    if ReminderKind.REMINDER in kinds:
        last = [s for s in steps if s.kind == ReminderKind.REMINDER][-1]
        earliest = last.created_at.date() + dt.timedelta(days=DEMAND_AFTER_REMINDER_DAYS)
        if today < earliest:
            return ReminderKind.REMINDER, _("书面催告须在催缴提醒%(n)s天之后（%(date)s起）") % {
                "n": DEMAND_AFTER_REMINDER_DAYS,
                "date": earliest,
            }
        return ReminderKind.WRITTEN_DEMAND, ""
    return ReminderKind.REMINDER, ""


@transaction.atomic
def reminder_step_record(
    *,
    compound: Compound,
    unit: Unit,
    kind: str,
    note: str = "",
    actor: User | None = None,
    today: dt.date | None = None,
) -> ReminderStep:
    """The next step of the CC 944 ladder for ``unit``: reminder → written demand →
    hand-over for lawsuit or arbitration, each only after the previous one."""
    today = today or timezone.localdate()
    if unit.compound_id != compound.pk:
        raise ValidationError({"unit": _("该房屋不属于本小区")})
    if kind not in ReminderKind.values:
        raise ValidationError({"kind": _("未知的催缴步骤")})
    owed, oldest = unit_outstanding(compound, unit.pk)
    if owed <= 0:
        raise ValidationError({"kind": _("该户没有欠费，无需催缴")})
    steps = list(compound_reminder_steps(compound).filter(unit=unit, created_at__date__gte=oldest))
    allowed, why = reminder_next_kind(steps, today)
    if kind != allowed:
        if kind == ReminderKind.WRITTEN_DEMAND and not why:
            why = _("须先发出催缴提醒")
        elif kind == ReminderKind.LEGAL_HANDOVER and not why:
            why = _("须先发出书面催告，且答复期限届满")
        raise ValidationError(
            {"kind": why or _("催缴须按提醒、书面催告、移交诉讼或仲裁的顺序进行")}
        )
    step = ReminderStep(
        compound=compound,
        unit=unit,
        kind=kind,
        outstanding=owed,
        respond_by=today + dt.timedelta(days=DEMAND_RESPONSE_DAYS)
        if kind == ReminderKind.WRITTEN_DEMAND
        else None,
        note=note,
        created_by=_actor(actor),
    )
    step.full_clean()
    step.save()
    audit_record(
        action="fees.reminder_step",
        actor=_actor(actor),
        compound=compound,
        obj=step,
        data={"unit": unit.pk, "kind": kind, "outstanding": str(owed)},
    )
    return step


def compound_reminder_steps(compound: Compound) -> QuerySet[ReminderStep]:
    return ReminderStep.objects.filter(compound=compound)
