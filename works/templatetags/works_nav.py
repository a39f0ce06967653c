"""The navigation's works link: shown only to those who may open the works pages."""

from django import template

from portal.access import AnyUser, has_role
from portal.models import Compound

from ..access import PROJECT_READERS

register = template.Library()


@register.simple_tag
def manages_works(user: AnyUser, compound: object) -> bool:
    """Whether ``user`` reads the works projects of ``compound`` (no query: the user's
    memberships are already loaded for the request)."""
    if not isinstance(compound, Compound) or compound.pk is None:
        return False
    return has_role(user, compound, PROJECT_READERS)
