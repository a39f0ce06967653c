"""The base layout's compound navigation (portal.navigation)."""

from django import template

from portal.access import AnyUser
from portal.navigation import NavLink, compound_links

register = template.Library()


@register.simple_tag
def compound_nav(user: AnyUser, compound: object) -> list[NavLink]:
    """The links of ``compound`` that ``user`` may follow (no query)."""
    return compound_links(user, compound)
