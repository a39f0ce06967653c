"""Forms of the fee pages. They only parse input; the rules live in the services."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from households.models import BuildingKind
from portal.widgets import DateInput, MonthInput

from .models import NonResidentialMode, PaymentMethod, ReminderKind


class MonthField(forms.DateField):
    """A month as ``YYYY-MM`` (the first of that month)."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]


class FeeStandardForm(forms.Form):
    building_kind = forms.ChoiceField(label=_("楼栋类型"), choices=BuildingKind.choices)
    appraised_rate = forms.DecimalField(label=_("评估价（元/m²·月）"), max_digits=8)
    charged_rate = forms.DecimalField(label=_("收费价（元/m²·月）"), max_digits=8)
    valid_from = MonthField(label=_("起始月"))
    valid_to = forms.DateField(
        label=_("终止日（补贴期限）"),
        required=False,
        widget=DateInput(),
    )
    payer1 = forms.CharField(label=_("补贴方一"), max_length=200, required=False)
    share1 = forms.DecimalField(label=_("份额一（%）"), max_digits=6, required=False)
    payer2 = forms.CharField(label=_("补贴方二"), max_length=200, required=False)
    share2 = forms.DecimalField(label=_("份额二（%）"), max_digits=6, required=False)
    payer3 = forms.CharField(label=_("补贴方三"), max_length=200, required=False)
    share3 = forms.DecimalField(label=_("份额三（%）"), max_digits=6, required=False)
    non_residential_mode = forms.ChoiceField(
        label=_("非住宅"), choices=NonResidentialMode.choices, initial=NonResidentialMode.SAME
    )
    non_residential_rate = forms.DecimalField(
        label=_("非住宅费率（元/m²·月）"), max_digits=8, required=False
    )
    service_standard = forms.CharField(
        label=_("服务标准（一句话）"), max_length=200, required=False
    )
    basis_item_id = forms.TypedChoiceField(
        label=_("依据（已通过的业主共同决定事项）"),
        coerce=int,
        empty_value=None,
        required=False,
    )
    pending_vote = forms.BooleanField(
        label=_("评估价，待业主共同决定（公示但不计费）"), required=False
    )

    def __init__(self, *args, basis_items=(), **kwargs):
        """``basis_items``: the compound's passed items that can set the fee standard."""
        super().__init__(*args, **kwargs)
        self.fields["basis_item_id"].choices = [("", "—")] + [
            (item.pk, f"{item.decision.title} · {item.title}") for item in basis_items
        ]

    def clean(self) -> dict:
        """``shares``: the filled payer rows as (name, share); checked only once every field
        has parsed, so a bad number is not reported twice."""
        super().clean()
        if not self.errors:
            self.cleaned_data["shares"] = self._share_rows()
        return self.cleaned_data

    def _share_rows(self) -> list[tuple[str, object]]:
        rows = []
        for n in (1, 2, 3):
            name = (self.cleaned_data.get(f"payer{n}") or "").strip()
            share = self.cleaned_data.get(f"share{n}")
            if name or share is not None:
                if not name:
                    self.add_error(f"payer{n}", _("填写了份额的补贴方须有名称"))
                if share is None:
                    self.add_error(f"share{n}", _("请填写该补贴方的份额"))
                rows.append((name, share))
        return rows


class BillingRunForm(forms.Form):
    period_start = MonthField(label=_("计费起始月"))
    months = forms.IntegerField(label=_("月数"), min_value=1, max_value=36, initial=12)


class IdempotentForm(forms.Form):
    """A hidden key made when the form is shown: submitting twice records once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class PaymentForm(IdempotentForm):
    building = forms.CharField(label=_("楼号"), max_length=32)
    unit_number = forms.CharField(label=_("房号"), max_length=32)
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=12)
    method = forms.ChoiceField(label=_("方式"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("交易流水号"), max_length=64, required=False)
    received_on = forms.DateField(label=_("收款日期"), widget=DateInput())
    is_prepayment = forms.BooleanField(label=_("预缴（允许超过欠费）"), required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class RefundForm(IdempotentForm):
    amount = forms.DecimalField(label=_("退款金额（元）"), max_digits=12)
    method = forms.ChoiceField(label=_("方式"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("交易流水号"), max_length=64, required=False)
    received_on = forms.DateField(label=_("退款日期"), widget=DateInput())
    note = forms.CharField(label=_("原因"), max_length=200, required=False)


class ReminderForm(forms.Form):
    kind = forms.ChoiceField(label=_("步骤"), choices=ReminderKind.choices)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
