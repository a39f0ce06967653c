"""Activation (开通): a resident turns the code on their household's letter into an account.

The letter's code (``ActivationCode``, printed by the letters job) and the last six
characters of the resident's ID number on the roster prove who they are: any current owner
of the unit may activate with their own ID suffix (a co-owned household gets one letter).
The account is then linked to the owner record, so it sees every unit that owner holds now
in the compound (one person, several units: SPC 9), and the code is used.

No probing: an unknown or malformed code, a wrong secret, a wrong ID suffix and a used,
expired, revoked or locked code are all :class:`ActivationRefused`, one message. What is
checked before the code (the password against Django's validators, the login's form) says
nothing about any code; what is checked after it (the login already taken, the owner
already linked to another account) is only said to someone who holds the code and the ID
suffix. Wrong tries are counted per code (``failed_attempts``; it locks after
``ACTIVATION_MAX_ATTEMPTS``) and per client address (``ActivationFailure``; the address is
refused after ``ACTIVATION_ADDRESS_LIMIT`` within ``ACTIVATION_ADDRESS_WINDOW_MINUTES``).

A person who is logged in (they activated another compound, or hold a staff account)
activates without a new login: the units are linked to the account they are using.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from portal.codes import code_parse, secret_matches
from portal.models import Compound, Role
from portal.services import MembershipScope, account_get, account_save, membership_grant

from ..models import ActivationCode, ActivationFailure, Owner, Ownership, Unit
from .accounts import _owners_link
from .locks import register_lock

ID_SUFFIX_LENGTH = 6

#: The one answer to every wrong or unusable code and to a wrong ID suffix.
REFUSED_MESSAGE = _("开通码或证件号码后6位不正确，或开通码已失效。请核对通知书后重试。")
THROTTLED_MESSAGE = _("尝试次数过多，请稍后再试。")


class ActivationRefused(Exception):
    """The code or the ID suffix is wrong, or the code can no longer be used. Deliberately
    one kind, with one message: the caller must not learn which."""

    message = REFUSED_MESSAGE


class ActivationThrottled(Exception):
    """Too many wrong tries from this address lately."""

    message = THROTTLED_MESSAGE


@dataclass(frozen=True)
class ActivationResult:
    user: User
    account_created: bool
    compound: Compound
    owner: Owner
    units: tuple[Unit, ...]


def id_suffix_normalise(value: str) -> str:
    """The last six characters of an ID number as typed: spaces dropped, 'x' as 'X'. A
    suffix of another length or with other characters is refused with its own message
    (it says nothing about any code)."""
    text = "".join(str(value).split()).upper()
    if len(text) != ID_SUFFIX_LENGTH or not text.isalnum() or not text.isascii():
        raise ValidationError(
            {"id_suffix": _("请输入证件号码的最后6位（数字或字母X）")}, code="id_suffix_format"
        )
    return text


def _new_account_check(username: str, password: str) -> str:
    """The login's form and the password's strength: the same answer whatever code comes
    with them. Whether the login is taken is told only after the code is right."""
    username = username.strip()
    errors: dict[str, list] = {}
    try:
        User._meta.get_field("username").clean(username, None)
    except ValidationError as exc:
        errors["username"] = exc.messages
    if not password:
        errors["password"] = [_("密码不能为空")]
    else:
        try:
            validate_password(password, user=User(username=username))
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return username


def _address_refused(ip: str | None, now: dt.datetime) -> bool:
    since = now - dt.timedelta(minutes=settings.ACTIVATION_ADDRESS_WINDOW_MINUTES)
    return (
        ActivationFailure.objects.filter(ip=ip, created_at__gte=since).count()
        >= settings.ACTIVATION_ADDRESS_LIMIT
    )


def _failure_record(ip: str | None, now: dt.datetime) -> None:
    """One wrong try from ``ip``; the address's tries older than the window are dropped."""
    since = now - dt.timedelta(minutes=settings.ACTIVATION_ADDRESS_WINDOW_MINUTES)
    ActivationFailure.objects.filter(ip=ip, created_at__lt=since).delete()
    ActivationFailure.objects.create(ip=ip, created_at=now)


def _code_wrong_try(code: ActivationCode, now: dt.datetime) -> None:
    """Count a wrong secret or ID suffix against ``code``; lock it at the limit."""
    code.failed_attempts += 1
    fields = ["failed_attempts"]
    if code.failed_attempts >= settings.ACTIVATION_MAX_ATTEMPTS and code.locked_at is None:
        code.locked_at = now
        fields.append("locked_at")
        audit_record(
            action="activation_code.lock",
            compound=code.compound,
            obj=code,
            data={"unit": code.unit_id, "attempts": code.failed_attempts},
        )
    code.save(update_fields=fields)


def _code_usable(code: ActivationCode, now: dt.datetime) -> bool:
    return (
        code.used_at is None
        and code.revoked_at is None
        and code.locked_at is None
        and code.expires_at > now
    )


def _owner_with_suffix(code: ActivationCode, suffix: str) -> Owner | None:
    """The current owner of the code's unit whose ID number ends with ``suffix``; None
    when none does, or (two co-owners sharing a suffix) when it is not one person."""
    ownerships = (
        Ownership.objects.current()
        .filter(compound_id=code.compound_id, unit_id=code.unit_id)
        .select_related("owner__user")
    )
    matches = {
        o.owner.pk: o.owner
        for o in ownerships
        if len(o.owner.id_number.strip()) >= ID_SUFFIX_LENGTH
        and o.owner.id_number.strip().upper().endswith(suffix)
    }
    return next(iter(matches.values())) if len(matches) == 1 else None


def _account_for(
    owner: Owner, username: str, password: str, user: User | None
) -> tuple[User, bool]:
    """The account the owner is linked to: ``user`` (logged in) or a new login."""
    if user is not None:
        if owner.user_id is not None and owner.user_id != user.pk:
            raise ValidationError(
                _("该业主已开通另一个账号。请用那个账号登录；忘记密码请联系物管会重置。"),
                code="owner_has_account",
            )
        return user, False
    if owner.user_id is not None:
        raise ValidationError(
            _("该业主已开通账号，请直接登录；忘记密码请联系物管会重置。"),
            code="owner_has_account",
        )
    if account_get(username) is not None:
        raise ValidationError(
            {"username": _("登录名“%(username)s”已被使用，请换一个") % {"username": username}},
            code="username_taken",
        )
    return account_save(username=username, password=password).user, True


@transaction.atomic
def _activate_locked(
    *,
    selector: str | None,
    secret: str,
    suffix: str,
    username: str,
    password: str,
    user: User | None,
    ip: str | None,
    now: dt.datetime,
) -> ActivationResult | None:
    """Under the code's row lock: the result, or None after recording a wrong try (the
    caller raises once this transaction has committed the counters)."""
    code = None
    if selector is not None:
        code = (
            ActivationCode.objects.select_for_update(of=("self",))
            .select_related("compound")
            .filter(selector=selector)
            .first()
        )
    # Always hash once, so an unknown selector costs the time of a wrong secret.
    if not secret_matches(secret, code.secret_hash if code else None) or code is None:
        if code is not None and _code_usable(code, now):
            _code_wrong_try(code, now)
        _failure_record(ip, now)
        return None
    if not _code_usable(code, now):
        _failure_record(ip, now)
        return None
    register_lock(code.compound_id)  # after the code's row: an import takes no code locks
    owner = _owner_with_suffix(code, suffix)
    if owner is None:
        _code_wrong_try(code, now)
        _failure_record(ip, now)
        return None

    account, created = _account_for(owner, username, password, user)
    compound = code.compound
    _owners_link([owner], account, compound)
    membership_grant(user=account, role=Role.RESIDENT, scope=MembershipScope(compound=compound))
    code.used_at = now
    code.used_by = account
    code.save(update_fields=["used_at", "used_by"])
    units = tuple(
        Unit.objects.filter(compound=compound, ownerships__owner=owner)
        .filter(ownerships__valid_to__isnull=True)
        .select_related("building")
        .distinct()
    )
    audit_record(
        action="activation.complete",
        actor=account,
        compound=compound,
        obj=code,
        data={
            "username": account.get_username(),
            "account_created": created,
            "units": [u.pk for u in units],
        },
    )
    return ActivationResult(
        user=account, account_created=created, compound=compound, owner=owner, units=units
    )


def account_activate(
    *,
    code: str,
    id_suffix: str,
    username: str = "",
    password: str = "",
    ip: str | None = None,
    user: User | None = None,
) -> ActivationResult:
    """Activate with the letter's ``code`` and the owner's ``id_suffix``: a new login
    ``username``/``password``, or, when ``user`` (the logged-in account) is given, that
    account. Raises :class:`ActivationThrottled`, ``ValidationError`` (the input's form, or
    a problem told only to the holder of a right code), or :class:`ActivationRefused`."""
    now = timezone.now()
    if user is not None and not user.is_authenticated:
        user = None
    if _address_refused(ip, now):
        raise ActivationThrottled
    suffix = id_suffix_normalise(id_suffix)
    if user is None:
        username = _new_account_check(username, password)
    parsed = code_parse(str(code)[:64])  # longer than any typed form of a code
    selector, secret = parsed if parsed else (None, "")
    try:
        result = _activate_locked(
            selector=selector,
            secret=secret,
            suffix=suffix,
            username=username,
            password=password,
            user=user,
            ip=ip,
            now=now,
        )
    except IntegrityError:
        # The login was taken between the check and the insert (another activation).
        raise ValidationError(
            {"username": _("登录名“%(username)s”已被使用，请换一个") % {"username": username}},
            code="username_taken",
        ) from None
    if result is None:
        raise ActivationRefused
    return result
