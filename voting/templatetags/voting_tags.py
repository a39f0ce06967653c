from django import template

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
    """How a rule's ratio is computed ('同意面积 / 参与表决面积'), from rules.RULE_LABELS."""
    return rules.rule_formula(name)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key)


@register.filter
def choice_label(value: str) -> str:
    from voting.models import Choice

    return str(Choice(value).label) if value in Choice.values else value
