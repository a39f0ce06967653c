"""Role-aware home page and the dashboards of street offices and compounds."""

from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from households import selectors as register
from portal.access import (
    acting_roles,
    compounds_for,
    districts_for,
    get_compound_for_user,
    get_street_office_for_user,
    street_offices_for,
)
from portal.db import with_prepared_statements
from portal.models import STAFF_ROLES, Role
from portal.typing import AuthenticatedHttpRequest

from . import selectors
from .trends import compound_trend

_Row = TypeVar("_Row", bound=Model)


def _listed(rows: QuerySet[_Row]) -> list[_Row]:
    """The rows of ``rows``; none() is known empty without compiling a query."""
    return [] if rows.query.is_empty() else list(rows)


# Outside login_required, so the user's own query is prepared too (portal/db.py).
@with_prepared_statements
@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each role lands on what it works with: offices, managed compounds, or, for a
    resident, the votes waiting for them, what each flat owes, and the flats."""
    user = request.user
    # Residents open this page most: what they do not hold costs no query (the role
    # lookups read the memberships loaded once per request).
    managed = _listed(compounds_for(user, STAFF_ROLES - {Role.STREET_OFFICER}))
    balances = selectors.resident_balances(user)
    context = {
        "districts": _listed(districts_for(user)),
        "street_offices": _listed(street_offices_for(user)),
        "managed_compounds": register.compound_summaries(managed) if managed else [],
        "my_units": [b.unit for b in balances],
        "open_votes": selectors.open_votes(user),
        "balances": balances,
        "works_shares": selectors.works_shares(balances),
    }
    return render(request, "board/home.html", context)


@login_required
def street_office_overview(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    office = get_street_office_for_user(request.user, code)
    summaries = register.compound_summaries(register.street_office_compounds(office))
    return render(
        request,
        "board/street_office.html",
        {
            "office": office,
            "summaries": summaries,
            "kind_labels": register.building_kind_labels(),
            "total_households": sum(s.households for s in summaries),
            "total_area": sum(s.known_area for s in summaries),
        },
    )


@login_required
def compound_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    (summary,) = register.compound_summaries([compound])
    trend = compound_trend(compound, timezone.localdate())
    return render(
        request,
        "board/compound.html",
        {
            "compound": compound,
            "trend": trend.as_dict() if trend else None,
            "summary": summary,
            "buildings": register.compound_buildings(compound),
            "roles": acting_roles(request.user, compound),
            "kind_labels": register.building_kind_labels(),
        },
    )
