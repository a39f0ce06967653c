"""The alerts panel at the top of a landing page (street office, compound), for the roles
that can act on each kind (``board.alerts.AUDIENCE``). One query."""

from typing import Any

from django import template
from django.db.models import Q

from portal.access import acting_roles, compounds_for
from portal.models import Role

from ..alerts import alert_message, kinds_for_roles
from ..board_data import compound_alerts
from ..models import Alert, AlertState

register = template.Library()
#: At most this many alerts on a landing page; the board's alerts page lists them all.
PANEL_LIMIT = 20


@register.inclusion_tag("board/board/_alerts.html", takes_context=True)
def board_alerts_office(context, office):
    """On the street office's page: the unresolved alerts of all its compounds."""
    request = context.get("request")
    kinds = kinds_for_roles({Role.STREET_OFFICER})
    alerts = compound_alerts(office.compounds.all(), kinds, limit=PANEL_LIMIT + 1)
    return {
        "alerts": alerts[:PANEL_LIMIT],
        "more": len(alerts) > PANEL_LIMIT,
        "office": office,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "show_compound": True,
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


@register.inclusion_tag("board/board/_alerts.html", takes_context=True)
def board_alerts_home(context: Any) -> dict[str, Any]:
    """At the top of the home page, where anyone who manages several compounds or offices
    lands: the unresolved alerts of every compound the user manages, each kind only where
    one of the user's roles there can act on it, open ones first. One query; none for a
    user without a managing role (a resident's home stays as fast as it was)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    alerts: list[Alert] = []
    if user is not None and user.is_authenticated:
        scope = Q()
        for role in (Role.STREET_OFFICER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF):
            compounds = compounds_for(user, [role])
            if not compounds.query.is_empty():
                scope |= Q(compound__in=compounds.values("id"), kind__in=kinds_for_roles({role}))
        if scope:
            alerts = list(
                Alert.objects.filter(scope)
                .exclude(state=AlertState.RESOLVED)
                .select_related("compound", "acknowledged_by")
                .order_by("-state", "due", "id")[: PANEL_LIMIT + 1]
            )
            for a in alerts:
                a.message = alert_message(a.kind, a.params, a.due)  # type: ignore[attr-defined]
    return {
        "alerts": alerts[:PANEL_LIMIT],
        "more": len(alerts) > PANEL_LIMIT,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "show_compound": True,
    }
