"""Pages of the compound register: buildings, units and the committee."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from portal.access import get_compound_for_user, is_staff_in
from portal.models import STAFF_ROLES
from portal.typing import AuthenticatedHttpRequest

from . import selectors
from .access import get_building_for_user, get_unit_for_user


@login_required
def building_detail(request: AuthenticatedHttpRequest, code: str, number: str) -> HttpResponse:
    building = get_building_for_user(request.user, code, number)
    return render(
        request,
        "households/building.html",
        {
            "compound": building.compound,
            "building": building,
            "units": selectors.building_units(building),
        },
    )


@login_required
def unit_detail(request: AuthenticatedHttpRequest, code: str, unit_id: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, unit_id)
    staff = is_staff_in(request.user, unit.compound)
    return render(
        request,
        "households/unit.html",
        {
            "compound": unit.compound,
            "unit": unit,
            "ownerships": selectors.unit_ownerships(unit, viewer=request.user, staff=staff),
            "is_staff": staff,
        },
    )


@login_required
def committee_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    committee = selectors.latest_committee(compound)
    return render(
        request,
        "households/committee.html",
        {
            "compound": compound,
            "committee": committee,
            "members": selectors.committee_members(committee) if committee else [],
            "problems": committee.composition_problems() if committee else [],
        },
    )
