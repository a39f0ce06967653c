"""Where each role lands after login (``LOGIN_REDIRECT_URL``).

One district and nothing else (a district officer): its board (``/d/<code>/board/``). One
street office and nothing else: its overview (``/so/<code>/``). Managing exactly one
compound (committee member, company staff of a company serving one compound, property-
right unit representative) and nothing else: that compound (``/c/<code>/``). A resident,
and anyone with several scopes, lands on the home page (``/``), which shows a resident's
flats, votes and fees and lets everyone else choose. A safe ``?next=`` wins.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .access import compounds_for, districts_for, street_offices_for
from .models import STAFF_ROLES, Role
from .typing import AuthenticatedHttpRequest


def landing_url(user) -> str:
    """The page ``user`` starts on (see the module docstring)."""
    home = reverse("home")
    if getattr(user, "is_superuser", False):
        return home
    offices = list(street_offices_for(user).values_list("code", flat=True)[:2])
    compound_roles = STAFF_ROLES - {Role.STREET_OFFICER}
    compounds = list(compounds_for(user, compound_roles).values_list("code", flat=True)[:2])
    resident = compounds_for(user, [Role.RESIDENT]).exists()
    districts = list(districts_for(user).values_list("code", flat=True)[:2])
    if resident or len(offices) + len(compounds) + len(districts) != 1:
        return home
    if districts:
        return reverse("board:district-board", args=[districts[0]])
    if offices:
        return reverse("street_office", args=[offices[0]])
    return reverse("compound", args=[compounds[0]])


@login_required
def landing(request: AuthenticatedHttpRequest) -> HttpResponseRedirect:
    wanted = request.GET.get("next", "")
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(wanted)
    return HttpResponseRedirect(landing_url(request.user))
