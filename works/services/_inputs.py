"""Private helpers of the project services: the acting user, money and date input, and
the one shape of a refusal (a ValidationError naming the field)."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from fees.services._common import EARLIEST_RECORD_DATE, _money

#: The largest amount a project's budget, a line or a sum may have (a typo beyond this,
#: and below the column's 12 digits).
MAX_AMOUNT = Decimal("999999999.99")


def acting(user: User | AnonymousUser | None) -> User | None:
    """The user to record as the actor (None for the system or an anonymous caller)."""
    return user if isinstance(user, User) else None


def money(value: object, field_name: str, label: str, *, positive: bool = True) -> Decimal:
    """``value`` as yuan to the fen, within bounds, or a ValidationError on ``field_name``."""
    amount = _money(value, field_name, label)
    if amount < 0 or (positive and amount == 0):
        message = _("%(label)s必须大于零") if positive else _("%(label)s不能为负数")
        raise ValidationError({field_name: message % {"label": label}})
    if amount > MAX_AMOUNT:
        raise ValidationError(
            {field_name: _("%(label)s不能超过 %(max)s 元") % {"label": label, "max": MAX_AMOUNT}}
        )
    return amount


def record_date(
    value: dt.date | None, field_name: str, label: str, *, not_before: dt.date | None = None
) -> dt.date:
    """A date of a project's record: today when absent, never in the future, never before
    2000 nor before ``not_before`` (the previous step's date)."""
    today = timezone.localdate()
    on = value or today
    if on > today:
        raise ValidationError({field_name: _("%(label)s不能晚于今天") % {"label": label}})
    if on < EARLIEST_RECORD_DATE:
        raise ValidationError(
            {
                field_name: _("%(label)s不能早于%(limit)s")
                % {"label": label, "limit": EARLIEST_RECORD_DATE.isoformat()}
            }
        )
    if not_before is not None and on < not_before:
        raise ValidationError(
            {
                field_name: _("%(label)s不能早于上一步的日期%(limit)s")
                % {"label": label, "limit": not_before.isoformat()}
            }
        )
    return on
