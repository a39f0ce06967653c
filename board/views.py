"""Role-aware home page and the dashboards of street offices and compounds."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from households import selectors as register

from . import resident
from .access import (
    compounds_for,
    get_compound_for_user,
    get_street_office_for_user,
    roles_in,
    street_offices_for,
)
from .models import STAFF_ROLES, Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on what it works with: offices, managed compounds, or, for a
    resident, the votes waiting for them, what each flat owes, and the flats."""
    user = request.user
    managed = compounds_for(user, STAFF_ROLES - {Role.STREET_OFFICER})
    my_units = list(register.units_of_user_everywhere(user))
    context = {
        "street_offices": street_offices_for(user),
        "managed_compounds": register.compound_summaries(managed),
        "my_units": my_units,
        "open_votes": resident.open_votes(user),
        "balances": resident.unit_balances(my_units),
    }
    return render(request, "portal/home.html", context)


@login_required
def street_office_overview(request: HttpRequest, code: str) -> HttpResponse:
    office = get_street_office_for_user(request.user, code)
    summaries = register.compound_summaries(register.street_office_compounds(office))
    return render(
        request,
        "portal/street_office.html",
        {
            "office": office,
            "summaries": summaries,
            "kind_labels": register.building_kind_labels(),
            "total_households": sum(s.households for s in summaries),
            "total_area": sum(s.known_area for s in summaries),
        },
    )


@login_required
def compound_detail(request: HttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    (summary,) = register.compound_summaries([compound])
    return render(
        request,
        "portal/compound.html",
        {
            "compound": compound,
            "summary": summary,
            "buildings": register.compound_buildings(compound),
            "roles": roles_in(request.user, compound),
            "kind_labels": register.building_kind_labels(),
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the static icon
    (a temporary redirect, so a new hashed file name in production is picked up)."""
    return redirect(static("favicon.svg"))
