"""Panels other pages include, e.g. the street office's agreements panel."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("agreements/_office_panel.html")
def agreements_office_panel(office):
    """Agreements the street office must file (BJ 63: within 15 days of taking effect) and
    renewals to prepare (BJ 75: six months before the term ends)."""
    attention = selectors.office_attention(office)
    return {"office": office, **attention}
