"""Panels the fees app adds to other apps' pages, so their views need not change."""

from django import template
from django.utils import timezone

from fees import selectors

register = template.Library()


@register.inclusion_tag("fees/_subsidy_endings.html")
def fees_subsidy_endings_panel(office):
    """On the street office's page: subsidies ending within six months and what each
    household will pay afterwards (two queries)."""
    return {"endings": selectors.office_subsidy_endings(office, timezone.localdate())}
