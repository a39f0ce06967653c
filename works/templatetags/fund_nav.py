"""The navigation's maintenance-fund link: shown only to those who may open the fund's
pages (works.fund_access.FUND_READERS)."""

from django import template

from portal.access import AnyUser, has_role
from portal.models import Compound

from ..fund_access import FUND_READERS

register = template.Library()


@register.simple_tag
def reads_fund(user: AnyUser, compound: object) -> bool:
    """Whether ``user`` reads the maintenance fund of ``compound`` (no query: the user's
    memberships are already loaded for the request)."""
    if not isinstance(compound, Compound) or compound.pk is None:
        return False
    return has_role(user, compound, FUND_READERS)
