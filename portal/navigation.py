"""The compound's links in the top navigation, contributed by the apps.

The base layout is portal's and may not name the apps above it (tests/portal/test_layers):
an app registers its link from its ``AppConfig.ready`` with who may see it, and the layout
asks for the links of the page's compound (:func:`compound_links`, through the ``nav``
template tag library). A predicate reads the memberships already loaded for the request,
so the links cost no query.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from .access import AnyUser
from .models import Compound


@dataclass(frozen=True)
class CompoundLink:
    """One link of a compound's navigation: ``url_name`` takes the compound's code."""

    key: str
    label: str | Promise
    url_name: str
    shows: Callable[[AnyUser, Compound], bool]
    position: int = 100


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str | Promise
    url: str


_LINKS: dict[str, CompoundLink] = {}


def compound_link_register(link: CompoundLink) -> None:
    """Add (or replace, by key) an app's link; called from ``AppConfig.ready``."""
    _LINKS[link.key] = link


def compound_links(user: AnyUser, compound: object) -> list[NavLink]:
    """The registered links ``user`` may follow on ``compound``'s pages, in position
    order; none outside a compound or for an anonymous user."""
    if not isinstance(compound, Compound) or compound.pk is None or not user.is_authenticated:
        return []
    links = sorted(_LINKS.values(), key=lambda link: (link.position, link.key))
    return [
        NavLink(link.key, link.label, reverse(link.url_name, args=[compound.code]))
        for link in links
        if link.shows(user, compound)
    ]
