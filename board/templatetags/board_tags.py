"""The alerts panel at the top of a landing page (street office, compound), for the roles
that can act on each kind (``board.alerts.AUDIENCE``). One query."""

from django import template

from portal.access import acting_roles
from portal.models import Role

from ..alerts import kinds_for_roles
from ..board_data import compound_alerts

register = template.Library()


@register.inclusion_tag("board/board/_alerts.html", takes_context=True)
def board_alerts_office(context, office):
    """On the street office's page: the unresolved alerts of all its compounds."""
    request = context.get("request")
    return {
        "alerts": compound_alerts(office.compounds.all(), kinds_for_roles({Role.STREET_OFFICER})),
        "office": office,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "board_url": True,
    }


@register.inclusion_tag("board/board/_alerts.html", takes_context=True)
def board_alerts_compound(context, compound):
    """On a compound's page: its unresolved alerts that the user's roles can act on."""
    request = context.get("request")
    roles = acting_roles(request.user, compound) if request else set()
    kinds = kinds_for_roles(roles)
    return {
        "alerts": compound_alerts([compound], kinds) if kinds else [],
        "compound": compound,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
