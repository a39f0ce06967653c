"""Proxy votes (委托投票): registering an owner's written authorisation and revoking it."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound

from ..models import Decision, DecisionState, Proxy, RollEntry
from ._common import _lock_entry, _now


def holder_refused_message() -> str:
    """One message for an account that does not exist and one of another compound, so the
    form cannot be used to find out which usernames exist."""
    return _("受托人账号不存在或不属于本小区")


def may_hold_proxy(compound: Compound, user: User) -> bool:
    """A proxy holder's account must belong to the compound: a role in it (membership) or
    an owner of it. Accounts of other tenants are refused."""
    return user.is_active and (
        compound.memberships.filter(user=user).exists()
        or compound.owners.filter(user=user).exists()
    )


def proxy_holder_find(compound: Compound, username: str) -> User:
    """The account named ``username`` if it may hold a proxy in ``compound``; the same
    error whether it does not exist or belongs elsewhere."""
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None or not may_hold_proxy(compound, user):
        raise ValidationError({"holder_username": holder_refused_message()})
    return user


def _mark_revoked(
    proxy: Proxy,
    entry: RollEntry,
    *,
    actor: User | None,
    at: dt.datetime,
    reason: str,
    audit_reason: str,
) -> None:
    proxy.revoked_at = at
    proxy.revoked_reason = reason
    proxy.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(
        action="voting.proxy.revoke",
        actor=actor,
        compound=entry.compound,
        obj=proxy,
        data={"voter": entry.number, "holder": proxy.holder_name, "reason": audit_reason},
    )


def _revoke_proxy_in_person(entry: RollEntry, actor: User | None, at: dt.datetime) -> None:
    for proxy in entry.proxies.filter(revoked_at__isnull=True).select_for_update(of=("self",)):
        _mark_revoked(
            proxy,
            entry,
            actor=actor,
            at=at,
            reason=_("业主本人投票，委托自动撤销"),
            audit_reason="owner voted in person",
        )


@transaction.atomic
def proxy_register(
    *,
    decision: Decision,
    entry: RollEntry | int,
    actor: User,
    holder_name: str,
    authorisation: UploadedFile,
    holder_user: User | None = None,
) -> Proxy:
    decision = Decision.objects.select_related("compound").get(pk=decision.pk)
    if decision.state not in (DecisionState.ANNOUNCED, DecisionState.OPEN):
        raise ValidationError(_("只能在公告后、投票截止前登记委托投票"))
    entry = _lock_entry(decision, entry)
    if entry.ballots.exists():
        raise ValidationError(_("该业主已经投票，不能再委托"))
    if entry.proxies.filter(revoked_at__isnull=True).exists():
        raise ValidationError(_("该业主已有有效的委托，请先撤销"))
    if not authorisation:
        raise ValidationError({"authorisation": _("请上传业主签字的授权委托书")})
    if not holder_name.strip():
        raise ValidationError({"holder_name": _("请填写受托人姓名")})
    if holder_user is not None and not may_hold_proxy(decision.compound, holder_user):
        raise ValidationError({"holder_username": holder_refused_message()})
    proxy = Proxy(
        compound=decision.compound,
        decision=decision,
        entry=entry,
        holder_name=holder_name.strip(),
        holder_user=holder_user,
        authorisation=authorisation,
        registered_by=actor,
    )
    proxy.full_clean(validate_constraints=False)
    proxy.save()
    audit_record(
        action="voting.proxy.register",
        actor=actor,
        compound=decision.compound,
        obj=proxy,
        data={
            "voter": entry.number,
            "holder": holder_name.strip(),
            "file": proxy.authorisation.name,
        },
    )
    return proxy


@transaction.atomic
def proxy_revoke(*, proxy: Proxy, actor: User, reason: str, at: dt.datetime | None = None) -> Proxy:
    """The committee withdraws a proxy (the owner took back the authorisation, or it was
    registered in error) between the announcement and the close of voting.

    Refused once the holder has voted: ballots cast under an authorisation that was valid
    at the time stand, as they do for every voter; the owner may still vote in person
    before the close, which overrides them (see :func:`ballot_cast`)."""
    at = _now(at)
    decision = Decision.objects.select_related("compound").get(pk=proxy.decision_id)
    if decision.state not in (DecisionState.ANNOUNCED, DecisionState.OPEN):
        raise ValidationError(_("只能在公告后、投票截止前撤销委托投票"))
    # The entry's lock orders this against a ballot the holder is casting right now.
    entry = _lock_entry(decision, proxy.entry_id)
    proxy = entry.proxies.select_for_update(of=("self",)).get(pk=proxy.pk)
    if proxy.revoked_at is not None:
        raise ValidationError(_("该委托已撤销"))
    if proxy.ballots.exists():
        raise ValidationError(
            _(
                "受托人%(holder)s已代为投票，委托不能再撤销；"
                "业主本人可在投票截止前亲自投票，以本人选票为准"
            )
            % {"holder": proxy.holder_name}
        )
    reason = reason.strip()[:200]
    if not reason:
        raise ValidationError({"reason": _("请填写撤销委托的原因")})
    _mark_revoked(proxy, entry, actor=actor, at=at, reason=reason, audit_reason=reason)
    return proxy
