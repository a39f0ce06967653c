"""The receipts pages of a works project (工程收款): record money received for a funding
line (an owner's contribution by building and unit, or another payer's part), list the
receipts a page at a time (searchable by building and unit, filtered by line, building,
method and date range, exported whole as XLSX with their refunds), and one receipt's page
with its refunds and the refund form (退款).

Committee members and the service company record and refund; the street office reads.
Anyone else gets 404, as for a project that does not exist."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fees.forms import IdempotentForm
from fees.models import PaymentMethod
from fees.money import ZERO
from households.models import Building
from portal.access import has_role
from portal.exports import list_export, refuse_invalid, register_export
from portal.lists import Filter, ListQuery, ListSpec, export_rows, paginate
from portal.models import Compound
from portal.typing import AuthenticatedHttpRequest
from portal.widgets import DateInput
from portal.xlsx import Sheet

from . import receipt_selectors
from .models import Contribution, FundingKind, FundingLine, Project, Receipt, ReceiptRefund
from .receipt_access import (
    RECEIPT_READERS,
    RECEIPT_RECORDERS,
    get_money_project_for_user,
    get_receipt_for_user,
)
from .services.receipts import receipt_record, receipt_refund

SPEC = ListSpec(per_page=50)
#: The receipts list's date range parameters (收款日期 from … to, both included).
DATE_PARAMS = ("from", "to")


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


class RefundForm(IdempotentForm):
    amount = forms.DecimalField(
        label=gettext_lazy("退款金额（元）"),
        max_digits=12,
        widget=forms.NumberInput({"step": "0.01", "inputmode": "decimal"}),
    )
    refunded_on = forms.DateField(label=gettext_lazy("退款日期"), widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("退款原因"), max_length=200)


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


# ---------------------------------------------------------------- the list and its export


def _date_param(query: ListQuery, params: Mapping[str, Any], name: str) -> dt.date | None:
    """The date parameter ``name`` (YYYY-MM-DD), or None; a bad one goes to the errors."""
    raw = str(params.get(name, "") or "").strip()[:20]
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        query.errors.append(_("日期“%(value)s”无效，请按 年-月-日 填写，已忽略。") % {"value": raw})
        return None


def _receipts_list(
    project: Project, params: Mapping[str, Any], lines: list[FundingLine]
) -> tuple[ListQuery, QuerySet[Receipt], dict[str, str]]:
    """The receipts list's query, rows and date range (the page and its export share it)."""
    compound = project.compound
    buildings = Building.objects.filter(
        compound=compound,
        pk__in=Contribution.objects.filter(compound=compound, project=project).values(
            "building_id"
        ),
    ).order_by("sort_key", "number")
    query = ListQuery.from_params(
        params,
        SPEC,
        [
            Filter(
                "line",
                _("资金来源"),
                [(str(line.pk), f"{line.get_kind_display()} · {line.payer}") for line in lines],
            ),
            Filter("building", _("楼栋"), [(b.number, b.label) for b in buildings]),
            Filter("method", _("方式"), PaymentMethod.choices),
        ],
    )
    received_from = _date_param(query, params, "from")
    received_to = _date_param(query, params, "to")
    if received_from and received_to and received_from > received_to:
        query.errors.append(_("起始日期晚于截止日期，已忽略日期范围。"))
        received_from = received_to = None
    rows = receipt_selectors.project_receipts(
        compound,
        project,
        search=query.search,
        received_from=received_from,
        received_to=received_to,
        **query.filters,
    )
    dates = {
        "from": received_from.isoformat() if received_from else "",
        "to": received_to.isoformat() if received_to else "",
    }
    return query, rows, dates


def _unit_cells(receipt: Receipt) -> list[object]:
    contribution = receipt.contribution
    if contribution is None:
        return ["", ""]
    return [contribution.unit.building.number, contribution.unit.number]


def _receipt_cells(receipt: Receipt) -> list[object]:
    refunded = receipt.refunded  # type: ignore[attr-defined]
    return [
        receipt.received_on,
        receipt.line.get_kind_display(),
        receipt.line.payer,
        *_unit_cells(receipt),
        receipt.amount,
        refunded,
        receipt.amount - refunded,
        receipt.get_method_display(),
        receipt.reference,
    ]


def _refund_cells(refund: ReceiptRefund) -> list[object]:
    receipt = refund.receipt
    return [
        receipt.received_on,
        receipt.line.payer,
        *_unit_cells(receipt),
        receipt.amount,
        refund.refunded_on,
        refund.amount,
        refund.reason,
    ]


def receipts_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    """The whole filtered receipts list and their refunds as XLSX (two sheets): what the
    receipts page shows, no owner names (the page has none)."""
    project = get_money_project_for_user(
        user, compound.code, int(params.get("project", 0)), RECEIPT_READERS
    )
    lines = list(project.funding.order_by("position"))
    query, rows, _dates = _receipts_list(project, params, lines)
    refuse_invalid(query)
    receipts = Sheet(
        _("收款"),
        [
            _("收款日期"),
            _("资金来源"),
            _("出资方"),
            _("楼号"),
            _("房号"),
            _("金额（元）"),
            _("已退款（元）"),
            _("净额（元）"),
            _("方式"),
            _("交易流水号"),
        ],
        export_rows(rows, _receipt_cells),
        text_columns=[3, 4, 9],
    )
    refunds = Sheet(
        _("退款"),
        [
            _("收款日期"),
            _("出资方"),
            _("楼号"),
            _("房号"),
            _("收款金额（元）"),
            _("退款日期"),
            _("退款金额（元）"),
            _("退款原因"),
        ],
        export_rows(receipt_selectors.receipt_refunds(project.compound, rows), _refund_cells),
        text_columns=[2, 3],
    )
    stem = _("工程收款")
    filename = f"{stem}-{compound.code}-{project.pk}-{timezone.localdate():%Y%m%d}.xlsx"
    return filename, [receipts, refunds]


register_export("works.receipts", receipts_export)


@login_required
def receipts_page(
    request: AuthenticatedHttpRequest, code: str, project_id: int
) -> HttpResponseBase:
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
    query, rows, dates = _receipts_list(project, request.GET, lines)
    if (
        request.method == "GET"
        and query.wants_export
        and (
            response := list_export(
                request, compound, "works.receipts", query, rows, project=project.pk, **dates
            )
        )
    ):
        return response
    return render(
        request,
        "works/receipts.html",
        {
            "compound": compound,
            "project": project,
            "form": form,
            "can_refund": can_record,
            "progress": receipt_selectors.project_progress(compound, project),
            "list": paginate(rows, query),
            "dates": dates,
            "extra_controls": "works/_receipt_dates.html",
        },
        status=status if request.method == "POST" else query.status,
    )


# ---------------------------------------------------------------- one receipt, refunds


@login_required
def receipt_page(
    request: AuthenticatedHttpRequest, code: str, project_id: int, receipt_id: int
) -> HttpResponse:
    """One receipt with its refunds; for those who record, the refund form (退款)."""
    receipt = get_receipt_for_user(request.user, code, project_id, receipt_id, RECEIPT_READERS)
    project = receipt.project
    compound = project.compound
    can_refund = has_role(request.user, compound, RECEIPT_RECORDERS)
    if request.method == "POST" and not can_refund:
        return HttpResponse(status=405)
    form = None
    status = 200
    if can_refund:
        data = request.POST if request.method == "POST" else None
        form = RefundForm(data, initial={"refunded_on": timezone.localdate()})
        if data is not None:
            if form.is_valid():
                try:
                    receipt_refund(
                        compound=compound,
                        project=project,
                        receipt=receipt,
                        actor=request.user,
                        **form.cleaned_data,
                    )
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    messages.success(request, _("已登记退款"))
                    return redirect("works:receipt", compound.code, project.pk, receipt.pk)
            status = 400
    refunds = list(receipt_selectors.refunds_of_receipt(compound, receipt))
    refunded = sum((r.amount for r in refunds), ZERO)
    return render(
        request,
        "works/receipt.html",
        {
            "compound": compound,
            "project": project,
            "receipt": receipt,
            "refunds": refunds,
            "refunded": refunded,
            "refundable": receipt.amount - refunded,
            "form": form,
        },
        status=status,
    )
