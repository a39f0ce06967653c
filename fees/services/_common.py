"""Private helpers shared by the fees services: the acting user and money input."""

from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..money import FEN


def _actor(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def _money(value, field_name: str, label: str) -> Decimal:
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
