"""The receipts page of a works project (工程收款): record money received for a funding
line (an owner's contribution by building and unit, or another payer's part) and list the
receipts a page at a time, searchable by building and unit.

Committee members and the service company record; the street office reads. Anyone else
gets 404, as for a project that does not exist."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fees.forms import IdempotentForm
from fees.models import PaymentMethod
from portal.access import has_role
from portal.lists import ListQuery, ListSpec, paginate
from portal.typing import AuthenticatedHttpRequest
from portal.widgets import DateInput

from . import receipt_selectors
from .models import FundingKind, FundingLine, Project
from .receipt_access import RECEIPT_READERS, RECEIPT_RECORDERS, get_money_project_for_user
from .services.receipts import receipt_record

SPEC = ListSpec(per_page=50)


class ReceiptForm(IdempotentForm):
    line = forms.TypedChoiceField(label=gettext_lazy("资金来源"), coerce=int)
    building = forms.CharField(
        label=gettext_lazy("楼号（业主自筹时填写）"), max_length=32, required=False
    )
    unit_number = forms.CharField(
        label=gettext_lazy("房号（业主自筹时填写）"), max_length=32, required=False
    )
    amount = forms.DecimalField(label=gettext_lazy("金额（元）"), max_digits=12)
    method = forms.ChoiceField(label=gettext_lazy("方式"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=gettext_lazy("交易流水号"), max_length=64, required=False)
    received_on = forms.DateField(label=gettext_lazy("收款日期"), widget=DateInput())
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def __init__(self, *args, lines: list[FundingLine], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["line"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (line.pk, f"{line.get_kind_display()} · {line.payer}（{line.amount}）")
            for line in lines
        ]


def _save(request: AuthenticatedHttpRequest, project: Project, form: ReceiptForm) -> None:
    """Record the form's receipt, or raise a ValidationError naming the field."""
    data = dict(form.cleaned_data)
    line = project.funding.filter(pk=data.pop("line")).first()
    if line is None:
        raise ValidationError({"line": _("该资金来源不属于本工程")})
    building, number = data.pop("building").strip(), data.pop("unit_number").strip()
    unit = None
    if line.kind == FundingKind.OWNERS:
        contribution = receipt_selectors.contribution_by_label(
            project.compound, project, f"{building}-{number}"
        )
        if contribution is None:
            raise ValidationError(
                {"unit_number": _("本工程业主自筹的分摊范围内没有这个房屋（楼号、房号）")}
            )
        unit = contribution.unit
    elif building or number:
        raise ValidationError({"unit_number": _("只有业主自筹的收款按房屋记录，请清空楼号和房号")})
    receipt_record(
        compound=project.compound, project=project, line=line, unit=unit, actor=request.user, **data
    )


@login_required
def receipts_page(request: AuthenticatedHttpRequest, code: str, project_id: int) -> HttpResponse:
    project = get_money_project_for_user(request.user, code, project_id, RECEIPT_READERS)
    compound = project.compound
    can_record = has_role(request.user, compound, RECEIPT_RECORDERS)
    lines = list(project.funding.order_by("position"))
    form = None
    status = 200
    if can_record:
        initial = {"received_on": timezone.localdate()}
        data = request.POST if request.method == "POST" else None
        form = ReceiptForm(data, lines=lines, initial=initial)
        if data is not None:
            if form.is_valid():
                try:
                    _save(request, project, form)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    messages.success(request, _("已记录收款"))
                    return redirect("works:receipts", compound.code, project.pk)
            status = 400
    elif request.method == "POST":
        return HttpResponse(status=405)
    query = ListQuery.from_request(request, SPEC)
    rows = receipt_selectors.project_receipts(compound, project, search=query.search)
    return render(
        request,
        "works/receipts.html",
        {
            "compound": compound,
            "project": project,
            "form": form,
            "progress": receipt_selectors.project_progress(compound, project),
            "list": paginate(rows, query),
        },
        status=status if request.method == "POST" else query.status,
    )
