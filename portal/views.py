"""The foundation's one page: the favicon (dashboards and landing pages live in ``board``)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the static icon
    (a temporary redirect, so a new hashed file name in production is picked up)."""
    return redirect(static("favicon.svg"))
