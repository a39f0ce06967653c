"""Private helpers shared by the fees services: the acting user, money input and the
bounds of dates and amounts."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..money import FEN


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


def _money(value: object, field_name: str, label: str) -> Decimal:
    """``value`` as Decimal with at most two places, or a ValidationError naming ``label``."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(
            {field_name: _("%(label)s不是有效的数字") % {"label": label}}
        ) from None
    if not amount.is_finite():
        raise ValidationError({field_name: _("%(label)s不是有效的数字") % {"label": label}})
    if amount != amount.quantize(FEN):
        raise ValidationError({field_name: _("%(label)s最多保留两位小数") % {"label": label}})
    return amount.quantize(FEN)


# Bounds of dates and amounts: what lies outside is a typo, never a record.
EARLIEST_RECORD_DATE = dt.date(2000, 1, 1)
STANDARD_MAX_YEARS_AHEAD = 5
LATEST_STANDARD_END = dt.date(2099, 12, 31)


def standard_start_problems(valid_from: dt.date, today: dt.date | None = None) -> list[str]:
    """Why a fee standard cannot start on ``valid_from``: before 2000 or more than five
    years ahead (a standard starting in year 1 is a typo)."""
    today = today or timezone.localdate()
    latest = today.replace(year=today.year + STANDARD_MAX_YEARS_AHEAD, day=1)
    if valid_from < EARLIEST_RECORD_DATE:
        return [_("起始月不能早于%(limit)s") % {"limit": f"{EARLIEST_RECORD_DATE:%Y-%m}"}]
    if valid_from > latest:
        return [
            _("起始月不能晚于%(limit)s（最多提前%(n)s年制定）")
            % {"limit": f"{latest:%Y-%m}", "n": STANDARD_MAX_YEARS_AHEAD}
        ]
    return []
