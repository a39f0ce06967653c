"""Choosing a new password with a reset code (重置码) that a committee member or street
officer issued at the counter after checking the person's identity
(``households.services.resets`` issues them; this is the person's side, on a public page).

Every way a code can fail (unknown user, wrong code, expired, used, revoked, locked) gets
the same answer, so nobody can learn which accounts or codes exist. A code locks after
:data:`MAX_FAILED_ATTEMPTS` wrong tries, and one client address may fail at most
``RESET_CODE_FAILURES_PER_HOUR`` times an hour (counted in the cache, shared by every web
process in real mode). A new password ends every other session of the account (Django's
session hash) and its API tokens (``portal.auth``).
"""

from dataclasses import dataclass

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .codes import code_parse, secret_matches
from .models import AccountState, ResetCode

MAX_FAILED_ATTEMPTS = 5
_WINDOW_SECONDS = 60 * 60
_FAILURES = "reset-code-failures"

REFUSED_MESSAGE = _(
    "用户名或重置码不正确，或重置码已过期、已使用。请核对后重试，或请物管会、街道工作人员重新签发。"
)
THROTTLED_MESSAGE = _("此地址尝试次数过多，请一小时后再试。")


class ResetRefused(Exception):
    """The code cannot reset this account. One message for every reason, on purpose."""

    message = REFUSED_MESSAGE


class ResetThrottled(Exception):
    """This client address failed too often within the hour."""

    message = THROTTLED_MESSAGE


@dataclass(frozen=True)
class _Outcome:
    row: ResetCode | None
    usable: bool


def _counter_key(kind: str, ip: str | None) -> str:
    return f"portal:{kind}:{ip or 'unknown'}"


def address_throttled(kind: str, ip: str | None) -> bool:
    """Whether ``ip`` has used up its ``RESET_CODE_FAILURES_PER_HOUR`` tries of ``kind``
    ("reset-code-failures", "email-reset-requests") within the hour."""
    return (cache.get(_counter_key(kind, ip)) or 0) >= settings.RESET_CODE_FAILURES_PER_HOUR


def address_count(kind: str, ip: str | None) -> None:
    key = _counter_key(kind, ip)
    cache.add(key, 0, _WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, _WINDOW_SECONDS)


def reset_throttled(ip: str | None) -> bool:
    return address_throttled(_FAILURES, ip)


def _count_failure(ip: str | None) -> None:
    address_count(_FAILURES, ip)


def _check(username: str, selector: str, secret: str) -> _Outcome:
    """Checks the code under a row lock and counts a wrong secret against it; the count
    is committed whatever the caller does next."""
    now = timezone.now()
    row = (
        ResetCode.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(selector=selector)
        .first()
    )
    matches = secret_matches(secret, row.secret_hash if row is not None else None)
    if row is None:
        return _Outcome(None, False)
    locked = row.failed_attempts >= MAX_FAILED_ATTEMPTS
    open_ = row.used_at is None and row.revoked_at is None and row.expires_at > now
    if not matches and not locked and open_:
        row.failed_attempts += 1
        row.save(update_fields=["failed_attempts"])
        if row.failed_attempts >= MAX_FAILED_ATTEMPTS:
            audit_record(
                action="reset_code.locked",
                compound=row.compound,
                obj=row,
                data={"username": row.user.get_username(), "selector": row.selector},
            )
    usable = (
        matches
        and not locked
        and open_
        and row.user.is_active
        and row.user.get_username() == username
    )
    return _Outcome(row, usable)


def reset_code_redeem(*, username: str, code: str, password: str, ip: str | None) -> User:
    """Set ``username``'s password to ``password`` with the reset code ``code``.

    Raises :class:`ResetThrottled`, :class:`ResetRefused` (any reason at all), or Django's
    ``ValidationError`` from the password validators (nothing changed, the code still
    usable). On success the code is used, the one-time-password flag cleared, the
    account's login lockout lifted, and the reset audited."""
    if reset_throttled(ip):
        raise ResetThrottled
    parsed = code_parse(code)
    if parsed is None:
        secret_matches("-", None)  # the same time as a code that was looked up
        _count_failure(ip)
        raise ResetRefused
    selector, secret = parsed
    with transaction.atomic():
        outcome = _check(username.strip(), selector, secret)
    if not outcome.usable or outcome.row is None:
        _count_failure(ip)
        raise ResetRefused
    with transaction.atomic():
        row = (
            ResetCode.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=outcome.row.pk)
        )
        if row.used_at is not None or row.revoked_at is not None:  # a parallel redeem won
            raise ResetRefused
        user = row.user
        validate_password(password, user=user)
        user.set_password(password)
        user.save(update_fields=["password"])  # ends its tokens (portal.auth)
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        AccountState.objects.filter(user=user, must_change_password=True).update(
            must_change_password=False
        )
        audit_record(
            action="reset_code.use",
            actor=user,
            compound=row.compound,
            obj=row,
            data={"username": user.get_username(), "selector": row.selector, "ip": ip or ""},
        )
    axes_reset(username=user.get_username())
    return user
