"""The tickets app's link in the compound's navigation (portal.navigation): everyone with
a role in the compound files or follows requests there."""

from django.utils.translation import gettext_lazy as _

from portal.access import AnyUser, roles_in
from portal.models import Compound
from portal.navigation import CompoundLink, compound_link_register


def _sees_requests(user: AnyUser, compound: Compound) -> bool:
    return bool(roles_in(user, compound))


def register() -> None:
    compound_link_register(
        CompoundLink("requests", _("报事报修"), "tickets:list", _sees_requests, position=10)
    )
