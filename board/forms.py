"""Forms of the board: what a street office types (renovation, target) and an alert's note.
They only parse; the services validate the rules (future dates, negatives, 0–100)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class RenovationForm(forms.Form):
    started_on = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    finished_on = forms.DateField(
        label=_("完成日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    money_invested = forms.DecimalField(
        label=_("投入资金（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    illegal_structures_removed = forms.DecimalField(
        label=_("拆除违建面积（m²）"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    ground_locks_removed = forms.IntegerField(label=_("拆除地锁（个）"), min_value=0)
    buildings_renovated = forms.IntegerField(label=_("改造楼栋（栋）"), min_value=0)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class TargetForm(forms.Form):
    collection_target = forms.DecimalField(
        label=_("收缴率目标（%）"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
    )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("说明"),
        max_length=500,
        error_messages={"required": _("确认提醒须填写说明（例如已安排的处理办法）")},
    )
