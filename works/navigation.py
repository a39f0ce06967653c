"""The works app's links in the compound's navigation (portal.navigation): the projects
for those who read them, the maintenance fund for those who read it."""

from django.utils.translation import gettext_lazy as _

from portal.access import AnyUser, has_role
from portal.models import Compound
from portal.navigation import CompoundLink, compound_link_register

from .access import PROJECT_READERS
from .fund_access import FUND_READERS


def _reads_projects(user: AnyUser, compound: Compound) -> bool:
    return has_role(user, compound, PROJECT_READERS)


def _reads_fund(user: AnyUser, compound: Compound) -> bool:
    return has_role(user, compound, FUND_READERS)


def register() -> None:
    compound_link_register(
        CompoundLink("works", _("维修工程"), "works:projects", _reads_projects, position=20)
    )
    compound_link_register(
        CompoundLink("fund", _("维修资金"), "works:fund", _reads_fund, position=30)
    )
