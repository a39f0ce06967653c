"""The counter's pages for password reset codes: find the person within one's scope, check
their identity, issue a code and read it out or hand it over (shown once).
``/c/<code>/accounts/reset/`` for a compound's committee (and its street officers),
``/so/<code>/accounts/reset/`` for a street office's officers."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from portal.access import get_compound_for_user, get_street_office_for_user
from portal.lists import ListQuery, ListSpec, paginate
from portal.models import Compound, StreetOffice
from portal.typing import AuthenticatedHttpRequest

from .services.resets import (
    ISSUER_ROLES,
    reset_candidates_search,
    reset_code_issue,
    reset_scope,
)

SPEC = ListSpec(per_page=25)


@never_cache
@login_required
def compound_reset(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, ISSUER_ROLES)
    return _reset_page(request, compound=compound)


@never_cache
@login_required
def office_reset(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    office = get_street_office_for_user(request.user, code)
    return _reset_page(request, street_office=office)


def _reset_page(
    request: AuthenticatedHttpRequest,
    *,
    compound: Compound | None = None,
    street_office: StreetOffice | None = None,
) -> HttpResponse:
    scope = reset_scope(request.user, compound=compound, street_office=street_office)
    context: dict = {"compound": compound, "office": street_office, "scope": scope}
    errors: list[str] = []
    if request.method == "POST":
        raw_id = str(request.POST.get("user_id", ""))
        try:
            issued = reset_code_issue(
                issuer=request.user,
                # Not a whole number of at most 18 digits: nobody's id (no overflow).
                user_id=int(raw_id)
                if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18
                else 0,
                identity_checked=request.POST.get("identity_checked") == "on",
                compound=compound,
                street_office=street_office,
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            return render(request, "households/reset_issued.html", {**context, "issued": issued})
    query = ListQuery.from_request(request, SPEC)
    page = paginate(reset_candidates_search(scope, request.user, query.search), query)
    context.update({"list": page, "rows": page.rows, "errors": errors})
    status = 400 if errors else query.status
    return render(request, "households/reset_issue.html", context, status=status)
