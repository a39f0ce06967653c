"""After signing: filing with the street office (BJ 63) and expiry at the end of the term."""

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record

from ..models import Agreement, AgreementStatus


@transaction.atomic
def agreement_file(
    *, agreement: Agreement, actor: User, at: dt.datetime | None = None
) -> Agreement:
    """The street office records that the effective agreement was filed (BJ 63)."""
    agreement = Agreement.objects.select_for_update(of=("self",)).get(pk=agreement.pk)
    if agreement.status == AgreementStatus.FILED:
        raise ValidationError(_("该协议已经备案"))
    if agreement.status != AgreementStatus.EFFECTIVE:
        raise ValidationError(_("只有已生效的协议才能备案"))
    agreement.status = AgreementStatus.FILED
    agreement.filed_at = at or timezone.now()
    agreement.filed_by = actor
    agreement.save(update_fields=["status", "filed_at", "filed_by"])
    audit_record(
        action="agreement.file",
        actor=actor,
        compound=agreement.compound,
        obj=agreement,
        data={"number": agreement.number},
    )
    return agreement


def agreements_expire(*, today: dt.date | None = None) -> int:
    """Mark effective or filed agreements whose term has ended as expired."""
    today = today or timezone.localdate()
    return Agreement.objects.filter(
        status__in=[AgreementStatus.EFFECTIVE, AgreementStatus.FILED], term_end__lt=today
    ).update(status=AgreementStatus.EXPIRED)
