from django import template
from django.utils.translation import gettext as _

from portal.templatetags.figures import area_hundredths
from voting import rules

register = template.Library()


@register.filter
def area(hundredths) -> str:
    """Integer hundredths of m² as '1,234.56', grouped like every figure of the portal."""
    return area_hundredths(int(hundredths or 0))


@register.filter
def pct(value) -> str:
    return rules.percent(value)


@register.filter
def rule_label(name: str) -> str:
    return {
        "participation_owners": _("参与表决人数 / 总人数"),
        "participation_area": _("参与表决面积 / 总面积"),
        "consent_owners": _("同意人数 / 参与表决人数"),
        "consent_area": _("同意面积 / 参与表决面积"),
    }.get(name, name)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key)


@register.filter
def choice_label(value: str) -> str:
    from voting.models import Choice

    return str(Choice(value).label) if value in Choice.values else value
