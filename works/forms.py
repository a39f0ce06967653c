"""Forms of the works project pages. They only parse input; the rules live in the
services (whose refusals land back on the form: portal.errors.errors_to_form)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.widgets import DateInput

from .models import DocumentKind, FundingKind
from .services.funding import MAX_LINES, FundingLineInput
from .services.projects import ItemInput


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("工程名称"), max_length=200)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    budget = forms.DecimalField(label=_("预算（元）"), max_digits=12, decimal_places=2)
    proposed_on = forms.DateField(label=_("提出日期"), required=False, widget=DateInput())
    building_numbers = forms.MultipleChoiceField(
        label=_("范围：楼栋"), required=False, widget=forms.CheckboxSelectMultiple
    )
    units_text = forms.CharField(
        label=_("范围：单独的房屋"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一套：楼号 房号，如“16 1-0101”"),
    )
    items_text = forms.CharField(
        label=_("工程内容"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一项：名称 | 注册代码 | 楼号，如“1单元电梯 | 3110-11-0001 | 16”"),
    )
    illustrative = forms.BooleanField(label=_("示意数据（演示用）"), required=False)

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building_numbers"].choices = [(b.number, b.label) for b in buildings]

    def clean_units_text(self) -> list[tuple[str, str]]:
        rows = []
        for n, line in enumerate(self.cleaned_data["units_text"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ValidationError(_("第 %(n)d 行应为“楼号 房号”") % {"n": n})
            rows.append((parts[0], parts[1]))
        return rows

    def clean_items_text(self) -> list[ItemInput]:
        items = []
        for line in self.cleaned_data["items_text"].splitlines():
            parts = [p.strip() for p in line.split("|")]
            if not any(parts):
                continue
            parts += [""] * (3 - len(parts))
            items.append(
                ItemInput(
                    name=parts[0], registration_number=parts[1][:64], building_number=parts[2]
                )
            )
        return items


class FundingForm(forms.Form):
    """The whole plan: the budget and up to :data:`MAX_LINES` lines (empty rows ignored)."""

    budget = forms.DecimalField(label=_("预算（元）"), max_digits=12, decimal_places=2)

    def __init__(self, *args, rows: int = 6, property_units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = min(rows, MAX_LINES)
        kinds = [("", "—"), *FundingKind.choices]
        units = [("", "—"), *((str(p.pk), p.name) for p in property_units)]
        for n in range(1, self.rows + 1):
            self.fields[f"kind{n}"] = forms.ChoiceField(
                label=_("类型"), choices=kinds, required=False
            )
            self.fields[f"payer{n}"] = forms.CharField(
                label=_("出资方"), max_length=200, required=False
            )
            self.fields[f"property_unit{n}"] = forms.ChoiceField(
                label=_("产权单位"), choices=units, required=False
            )
            self.fields[f"amount{n}"] = forms.DecimalField(
                label=_("金额（元）"), max_digits=12, decimal_places=2, required=False
            )

    def line_rows(self) -> list[list[forms.BoundField]]:
        """The line fields row by row, for the template."""
        return [
            [self[f"{name}{n}"] for name in ("kind", "payer", "property_unit", "amount")]
            for n in range(1, self.rows + 1)
        ]

    def clean(self) -> dict:
        super().clean()
        lines = []
        for n in range(1, self.rows + 1):
            kind = self.cleaned_data.get(f"kind{n}")
            amount = self.cleaned_data.get(f"amount{n}")
            if not kind and amount is None:
                continue
            if not kind:
                self.add_error(f"kind{n}", _("请选择类型"))
                continue
            if amount is None:
                self.add_error(f"amount{n}", _("请填写金额"))
                continue
            unit = self.cleaned_data.get(f"property_unit{n}")
            lines.append(
                FundingLineInput(
                    kind=kind,
                    payer=self.cleaned_data.get(f"payer{n}") or "",
                    amount=amount,
                    property_unit_id=int(unit) if unit else None,
                )
            )
        self.cleaned_data["lines"] = lines
        return self.cleaned_data


class TransitionForm(forms.Form):
    to_status = forms.CharField(widget=forms.HiddenInput)
    on = forms.DateField(label=_("日期"), required=False, widget=DateInput())
    basis_item = forms.TypedChoiceField(
        label=_("依据：已通过的表决事项"), coerce=int, empty_value=None, required=False
    )
    emergency_case = forms.ChoiceField(label=_("或：应急使用情形"), required=False)
    contractor = forms.CharField(label=_("施工单位"), max_length=200, required=False)
    contract_sum = forms.DecimalField(
        label=_("合同金额（元）"), max_digits=12, decimal_places=2, required=False
    )
    settled_amount = forms.DecimalField(
        label=_("结算金额（元）"), max_digits=12, decimal_places=2, required=False
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)
    confirm = forms.BooleanField(
        label=_("确认"), error_messages={"required": _("请勾选确认后再变更状态")}
    )

    def __init__(self, *args, items=(), cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["basis_item"].choices = [("", "—")] + [
            (i.pk, f"{i.decision.title} · {i.position}. {i.title}") for i in items
        ]
        self.fields["emergency_case"].choices = [("", "—")] + [(c.code, c.title) for c in cases]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("标题"), max_length=200, required=False)
    file = forms.FileField(label=_("文件（PDF、JPEG 或 PNG）"))
    public = forms.BooleanField(label=_("在公示页公开（不得含个人信息）"), required=False)
