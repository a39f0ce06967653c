"""Signing (签署): each party's representative confirms with their password and adds one
PAdES revision; the last signature makes the agreement effective."""

import datetime as dt

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record

from .. import ca, selectors, signing
from .. import facts as facts_mod
from ..models import Agreement, AgreementStatus, Party, PdfStatus, Signature
from .revisions import _store_revision, revision_bytes

# Wrong passwords at signing: this many per user and agreement within the window.
SIGN_MAX_FAILURES = 5
SIGN_FAILURE_WINDOW = 15 * 60


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _throttle_key(user: User, agreement: Agreement) -> str:
    return f"agreements:sign-failures:{user.pk}:{agreement.pk}"


def _check_password(user: User, agreement: Agreement, password: str) -> None:
    key = _throttle_key(user, agreement)
    failures = cache.get(key, 0)
    if failures >= SIGN_MAX_FAILURES:
        raise ValidationError(
            _("密码错误次数过多，请%(minutes)s分钟后再试") % {"minutes": SIGN_FAILURE_WINDOW // 60},
            code="throttled",
        )
    if not password or not user.check_password(password):
        if not cache.add(key, 1, SIGN_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, SIGN_FAILURE_WINDOW)
        left = SIGN_MAX_FAILURES - failures - 1
        raise ValidationError(
            _("密码错误，未签署（还可尝试%(left)s次）") % {"left": max(left, 0)},
            code="wrong_password",
        )
    cache.delete(key)


def _lock_for_signing(agreement: Agreement, party: Party, user: User) -> tuple[Agreement, Party]:
    """Lock the agreement and refuse, with a specific message, every signature that must
    not happen: another party's, a second one, on a superseded or unrendered draft."""
    agreement = (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("compound__street_office")
        .get(pk=agreement.pk)
    )
    party = Party.objects.select_related("representative").get(pk=party.pk)
    if party.agreement_id != agreement.pk:
        raise ValidationError(_("该签署方不属于这份协议"))
    if party.representative_id != user.pk:
        raise ValidationError(
            _("您不是%(org)s的授权代表，不能代其签署") % {"org": party.organisation}
        )
    if agreement.status == AgreementStatus.SUPERSEDED:
        raise ValidationError(_("该协议草案已被新版本取代，不能再签署"))
    if agreement.status not in (AgreementStatus.DRAFT, AgreementStatus.SIGNING):
        raise ValidationError(
            _("协议状态为“%(status)s”，不能签署") % {"status": agreement.get_status_display()}
        )
    if agreement.pdf_status != PdfStatus.READY:
        raise ValidationError(_("协议PDF尚未生成，请稍后再签署"))
    if Signature.objects.filter(party=party).exists():
        raise ValidationError(_("%(org)s已经签署过这份协议") % {"org": party.organisation})
    return agreement, party


@transaction.atomic
def agreement_sign(
    *,
    agreement: Agreement,
    party: Party,
    user: User,
    password: str,
) -> Signature:
    """``user`` signs for ``party`` after re-entering their password.

    The agreement row is locked, so two parties signing at once each build on the other's
    revision. Signing twice, for another party, a superseded or unrendered draft, or with a
    wrong password is refused with a specific message and changes nothing.
    """
    agreement, party = _lock_for_signing(agreement, party, user)
    _check_password(user, agreement, password)
    return _apply_signature(agreement, party, user, at=None)


@transaction.atomic
def agreement_sign_recorded(
    *, agreement: Agreement, party: Party, user: User, at: dt.datetime
) -> Signature:
    """Record a signature made at ``at`` without asking for the password: for the demo's
    agreement of 2021 and imports of agreements signed before the portal. No page or API
    calls it; every other check of :func:`agreement_sign` applies."""
    agreement, party = _lock_for_signing(agreement, party, user)
    return _apply_signature(agreement, party, user, at=at)


def _apply_signature(
    agreement: Agreement, party: Party, user: User, *, at: dt.datetime | None
) -> Signature:
    moment = at or timezone.now()
    office = agreement.compound.street_office
    name = selectors.signer_name(user, agreement.compound)
    cert = ca.signer_certificate_for(
        office=office, user=user, common_name=name, organisation=party.organisation, at=at
    )
    current = agreement.revisions.latest("number")  # rendered: revision 0 at least
    signed_pdf = signing.sign_revision(
        revision_bytes(current),
        field_name=party.field_name,
        credentials=ca.credentials(cert),
        signer_name=name,
        organisation=party.organisation,
        signed_at=moment,
        reason=f"签署{agreement.title}",  # the document's own language, whatever the UI's
        location=agreement.compound.name,
    )
    revision = _store_revision(agreement, current.number + 1, signed_pdf)
    signature = Signature(
        compound=agreement.compound,
        agreement=agreement,
        party=party,
        signer=user,
        signed_at=moment,
        certificate=cert,
        certificate_serial=cert.serial,
        revision=revision,
        revision_number=revision.number,
    )
    signature.full_clean()
    signature.save()
    agreement.current_revision = revision.number
    agreement.status = AgreementStatus.SIGNING
    fields = ["current_revision", "status"]
    if not agreement.parties.filter(signature__isnull=True).exists():
        agreement.status = AgreementStatus.EFFECTIVE
        agreement.effective_on = _local_date(moment)
        agreement.filing_deadline = agreement.effective_on + dt.timedelta(
            days=facts_mod.FILING_DAYS
        )
        fields += ["effective_on", "filing_deadline"]
    agreement.save(update_fields=fields)
    audit_record(
        action="agreement.sign",
        actor=user,
        compound=agreement.compound,
        obj=signature,
        data={
            "agreement": agreement.number,
            "party": party.organisation,
            "revision": revision.number,
            "sha256": revision.sha256,
            "certificate_serial": cert.serial,
            "status": agreement.status,
        },
    )
    return signature
