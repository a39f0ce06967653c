"""Pages of the maintenance fund (住宅专项维修资金) under ``c/<code>/works/fund/``.

The committee and the street office keep the fund (import opening balances, credit
top-ups and interest, publish and make draws, apply on the emergency route, set the
overdraw rule); the service company reads. Residents see a unit's ledger only for their
own units and a draw only for their own units' shares (the owner's page shows their
balances: :func:`works.fund_selectors.unit_balances`). Everyone else gets 404.
"""

from decimal import Decimal
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from households.models import Unit
from households.roster.limits import human_size
from portal.access import acting_roles, check_compound_access, get_compound_for_user
from portal.errors import errors_to_form, errors_to_messages
from portal.exports import list_export, refuse_invalid, register_export
from portal.lists import Filter, ListQuery, ListSpec, export_rows, paginate
from portal.models import Compound, Role
from portal.typing import AuthenticatedHttpRequest
from portal.widgets import DateInput
from portal.xlsx import Sheet, xlsx_response

from . import fund_selectors as fs
from .fund_access import FUND_KEEPERS, FUND_READERS
from .models import (
    DrawStatus,
    EmergencyCase,
    EntryKind,
    FundEntry,
    OverdrawRule,
    Project,
    ProjectStatus,
)
from .services.fund import fund_credit, fund_settings, fund_settings_update
from .services.fund_draws import fund_draw_make, fund_draw_publish, fund_emergency_apply
from .services.fund_import import (
    COLUMNS,
    HEADERS,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    fund_import_enqueue,
)
from .services.projects import document_max_bytes

UNITS_LIST = ListSpec(per_page=50)
STATEMENT_LIST = ListSpec(per_page=50)


# ------------------------------------------------------------------ forms


class SettingsForm(forms.Form):
    overdraw = forms.ChoiceField(label=gettext_lazy("余额不足时"), choices=OverdrawRule.choices)


class CreditForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"),
        choices=[
            (EntryKind.TOP_UP, EntryKind.TOP_UP.label),
            (EntryKind.INTEREST, EntryKind.INTEREST.label),
        ],
    )
    target = forms.CharField(
        label=gettext_lazy("记入"),
        max_length=80,
        help_text=gettext_lazy("一栋楼（如 16，按面积分摊到各户），或一套房屋（如 16 1-0101）"),
    )
    amount = forms.CharField(label=gettext_lazy("金额（元）"), max_length=30)
    entry_date = forms.DateField(label=gettext_lazy("日期"), required=False, widget=DateInput())
    note = forms.CharField(label=gettext_lazy("摘要"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("余额文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("文件过大：上限为 %(size)s") % {"size": human_size(MAX_UPLOAD_BYTES)}
            )
        if Path(upload.name).suffix.lower() not in (".xlsx", ".csv"):
            raise ValidationError(_("只接受 .xlsx 或 .csv 文件"))
        return upload


class DrawForm(forms.Form):
    project = forms.ModelChoiceField(label=gettext_lazy("工程"), queryset=Project.objects.none())
    amount = forms.CharField(label=gettext_lazy("使用金额（元）"), max_length=30)
    published_on = forms.DateField(
        label=gettext_lazy("公示日期"), required=False, widget=DateInput()
    )

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = (
            projects if projects is not None else Project.objects.none()
        )


class EmergencyForm(DrawForm):
    emergency_case = forms.ModelChoiceField(
        label=gettext_lazy("应急使用情形"), queryset=EmergencyCase.objects.filter(active=True)
    )
    evidence = forms.FileField(
        label=gettext_lazy("证明材料"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    field_order = ["project", "emergency_case", "evidence", "amount", "published_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = _("PDF、JPEG 或 PNG，不超过 %(size)s") % {
            "size": human_size(document_max_bytes())
        }

    def clean_evidence(self):
        upload = self.cleaned_data["evidence"]
        if upload.size > document_max_bytes():
            raise ValidationError(
                _("文件过大：上限为 %(size)s") % {"size": human_size(document_max_bytes())}
            )
        return upload


class MakeForm(forms.Form):
    made_on = forms.DateField(label=gettext_lazy("划拨日期"), required=False, widget=DateInput())


# ------------------------------------------------------------------ helpers


def _compound(request: AuthenticatedHttpRequest, code: str, roles=FUND_READERS) -> Compound:
    return get_compound_for_user(request.user, code, roles)


def _context(request: AuthenticatedHttpRequest, compound: Compound, **extra) -> dict:
    return {
        "compound": compound,
        "can_keep": bool(acting_roles(request.user, compound) & FUND_KEEPERS),
        **extra,
    }


def _fund_url(compound: Compound) -> str:
    return reverse("works:fund", args=[compound.code])


def _find_target(compound: Compound, text: str) -> dict:
    """'16' → building 16; '16 1-0101' → that unit; else a ValidationError."""
    words = text.split()
    building = compound.buildings.filter(number=words[0]).first() if words else None
    if building is None or len(words) > 2:
        raise ValidationError({"target": _("本小区没有这个楼号或房屋：%(text)s") % {"text": text}})
    if len(words) == 1:
        return {"building": building}
    unit = compound.units.filter(building=building, number=words[1]).first()
    if unit is None:
        raise ValidationError({"target": _("本小区没有这个楼号或房屋：%(text)s") % {"text": text}})
    return {"unit": unit}


def _building_filter(compound: Compound) -> Filter:
    buildings = compound.buildings.order_by("sort_key", "number")
    return Filter("building", _("楼栋"), [(b.number, b.label) for b in buildings])


# ------------------------------------------------------------------ overview


@login_required
def fund(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """维修资金: totals and balances per building, the draws, the overdraw rule, and the
    keepers' forms (credit, settings) with links to import, draw and statements."""
    compound = _compound(request, code)
    return _render_fund(request, compound)


def _render_fund(request, compound, *, credit_form=None, settings_form=None, status=200):
    rule = fund_settings(compound)
    return render(
        request,
        "works/fund.html",
        _context(
            request,
            compound,
            totals=fs.building_balances(compound),
            draws=list(fs.compound_draws(compound)[:50]),
            rule=rule,
            settings_form=settings_form or SettingsForm(initial={"overdraw": rule.overdraw}),
            credit_form=credit_form or CreditForm(),
            trail=_("专项维修资金"),
        ),
        status=status,
    )


@login_required
@require_POST
def fund_settings_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = _compound(request, code, FUND_KEEPERS)
    form = SettingsForm(request.POST)
    if form.is_valid():
        fund_settings_update(
            compound=compound, overdraw=form.cleaned_data["overdraw"], actor=request.user
        )
        messages.success(request, _("已保存余额不足时的处理方式"))
        return redirect(_fund_url(compound))
    return _render_fund(request, compound, settings_form=form, status=400)


@login_required
@require_POST
def fund_credit_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Credit a top-up or interest to a building (by area) or a unit."""
    compound = _compound(request, code, FUND_KEEPERS)
    form = CreditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entries = fund_credit(
                compound=compound,
                kind=data["kind"],
                amount=data["amount"],
                entry_date=data["entry_date"],
                note=data["note"],
                actor=request.user,
                **_find_target(compound, data["target"].strip()),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            credited = [e for e in entries if e.kind != EntryKind.SETTLE]
            settled = [e for e in entries if e.kind == EntryKind.SETTLE]
            messages.success(request, _("已记入 %(n)d 户") % {"n": len(credited)})
            if settled:
                messages.info(
                    request,
                    _("其中 %(n)d 户先补划了欠缴，共 %(amount)s 元")
                    % {
                        "n": len({e.unit_id for e in settled}),
                        "amount": -sum(e.amount for e in settled),
                    },
                )
            return redirect(_fund_url(compound))
    return _render_fund(request, compound, credit_form=form, status=400)


# ------------------------------------------------------------------ units


def _units_list(compound: Compound, params) -> tuple[ListQuery, object]:
    numbers = list(
        compound.buildings.order_by("sort_key", "number").values_list("number", flat=True)
    )
    query = ListQuery.from_params(
        params, UNITS_LIST, filters=[Filter("building", _("楼栋"), [(n, n) for n in numbers])]
    )
    rows = fs.unit_balances_list(
        compound, search=query.search, building=query.filters.get("building", "")
    )
    return query, rows


def _unit_cells(unit: Unit) -> list[object]:
    return [
        unit.building.number,
        unit.number,
        unit.floor_area,
        unit.balance,  # type: ignore[attr-defined]
        unit.owed,  # type: ignore[attr-defined]
    ]


def units_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    compound = check_compound_access(user, compound, FUND_READERS)
    query, rows = _units_list(compound, params)
    refuse_invalid(query)
    headers = [_("楼号"), _("房号"), _("面积（m²）"), _("余额（元）"), _("欠缴（元）")]
    stem = _("维修资金余额")
    return f"{stem}-{compound.code}.xlsx", [
        Sheet(stem, headers, export_rows(rows, _unit_cells), text_columns=[0, 1])  # type: ignore[arg-type]
    ]


register_export("works.fund_units", units_export)


@login_required
def fund_units(request: AuthenticatedHttpRequest, code: str) -> HttpResponseBase:
    """Each unit's balance and what it owes, a page at a time, searchable, exported."""
    compound = _compound(request, code)
    query, rows = _units_list(compound, request.GET)
    if query.wants_export and (
        response := list_export(request, compound, "works.fund_units", query, rows)  # type: ignore[arg-type]
    ):
        return response
    return render(
        request,
        "works/fund_units.html",
        _context(request, compound, list=paginate(rows, query), trail=_("分户余额")),  # type: ignore[arg-type]
        status=query.status,
    )


@login_required
def fund_unit(request: AuthenticatedHttpRequest, code: str, unit_id: int) -> HttpResponse:
    """One unit's ledger with the running balance: for the fund's readers, and for a
    resident who owns the unit now."""
    compound = _compound(request, code, FUND_READERS | {Role.RESIDENT})
    staff = bool(acting_roles(request.user, compound) & FUND_READERS)
    units = compound.units.select_related("building")
    if not staff:
        units = units.owned_by(request.user)
    unit = units.filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    rows = fs.ledger_with_running_balance(list(fs.unit_ledger(compound, unit)))
    return render(
        request,
        "works/fund_unit.html",
        _context(
            request,
            compound,
            unit=unit,
            rows=rows,
            balance=rows[-1][1] if rows else Decimal("0.00"),
            owed=sum((e.owed for e, _b in rows), Decimal("0.00")),
            pending=fs.pending_shares_of_units([unit]),
            staff=staff,
            trail=unit.label,
        ),
    )


# ------------------------------------------------------------------ import


def _render_import(request, compound, *, form=None, job=None, status=200):
    return render(
        request,
        "works/fund_import.html",
        _context(
            request,
            compound,
            form=form or ImportForm(),
            job=job,
            job_entries=job.entries.count() if job and job.status == "done" else 0,
            columns=COLUMNS,
            max_rows=MAX_ROWS,
            max_size=human_size(MAX_UPLOAD_BYTES),
            imports=fs.fund_imports(compound)[:20],
            trail=_("期初余额导入"),
        ),
        status=status,
    )


@login_required
def fund_import_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """GET: the upload form and the past imports. POST: keep the file and queue its import
    (a worker checks every row and writes all or none), then show its progress."""
    compound = _compound(request, code, FUND_KEEPERS)
    if request.method != "POST":
        return _render_import(request, compound)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = fund_import_enqueue(
                compound=compound, data=upload.read(), filename=upload.name, actor=request.user
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            return redirect("works:fund-import-job", compound.code, job.pk)
    return _render_import(request, compound, form=form, status=400)


@login_required
def fund_import_job(request: AuthenticatedHttpRequest, code: str, import_id: int) -> HttpResponse:
    """An import's progress (the page reloads itself while it runs), then its outcome: the
    balances opened, or every bad row (nothing written)."""
    compound = _compound(request, code, FUND_KEEPERS)
    job = fs.fund_imports(compound).filter(pk=import_id).first()
    if job is None:
        raise Http404
    return _render_import(request, compound, job=job)


@login_required
def fund_template(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The import's columns with an example row. The example names building '示例' on
    purpose: uploaded unchanged, the file is refused."""
    compound = _compound(request, code, FUND_KEEPERS)
    guide = [[header, str(help_text)] for _f, header, help_text, _a in COLUMNS]
    return xlsx_response(
        f"维修资金期初余额模板-{compound.code}.xlsx",
        Sheet(
            _("期初余额"),
            HEADERS,
            [["示例", "1-0101", "5230.50", "2023-12-31", ""]],
            text_columns=[0, 1],
        ),
        Sheet(_("填写说明"), [_("列"), _("说明")], guide, widths=[16, 80]),
    )


# ------------------------------------------------------------------ statement


def _statement_cells(entry: FundEntry) -> list[object]:
    return [
        entry.building.number,
        entry.unit.number,
        entry.entry_date,
        entry.get_kind_display(),
        entry.amount,
        entry.owed,
        entry.draw.project.title if entry.draw else "",
        entry.note,
    ]


def _share_cells(share) -> list[object]:
    return [
        share.draw.published_on,
        share.draw.project.title,
        share.draw.get_status_display(),
        share.building.number,
        share.unit.number,
        share.area,
        share.share,
    ]


def _statement_rows(compound: Compound, params):
    numbers = list(
        compound.buildings.order_by("sort_key", "number").values_list("number", flat=True)
    )
    query = ListQuery.from_params(
        params, STATEMENT_LIST, filters=[Filter("building", _("楼栋"), [(n, n) for n in numbers])]
    )
    number = query.filters.get("building", "")
    building = compound.buildings.filter(number=number).first() if number else None
    return query, fs.compound_entries(compound, building=building), number


def _shares_sheet(compound: Compound, number: str) -> Sheet:
    """The split of every draw as fixed at publication (of one building's units when the
    statement is one building's), beside the ledger."""
    building = compound.buildings.filter(number=number).first() if number else None
    headers = [_("公示日期"), _("工程"), _("状态"), _("楼号"), _("房号"), _("面积（m²）")]
    headers += [_("分摊金额（元）")]
    shares = fs.compound_draw_shares(compound, building=building)
    return Sheet(_("使用分摊"), headers, export_rows(shares, _share_cells), text_columns=[3, 4])


def statement_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    compound = check_compound_access(user, compound, FUND_READERS)
    query, rows, number = _statement_rows(compound, params)
    refuse_invalid(query)
    headers = [_("楼号"), _("房号"), _("日期"), _("类型"), _("金额（元）"), _("欠缴（元）")]
    headers += [_("工程"), _("摘要")]
    stem = _("维修资金分户账")
    suffix = f"-{number}" if number else ""
    return f"{stem}-{compound.code}{suffix}.xlsx", [
        Sheet(stem, headers, export_rows(rows, _statement_cells), text_columns=[0, 1]),
        _shares_sheet(compound, number),
    ]


register_export("works.fund_statement", statement_export)


@login_required
def fund_statement(request: AuthenticatedHttpRequest, code: str) -> HttpResponseBase:
    """The ledger of the compound (or of one building, ``?building=16``) as XLSX: small
    in the request, large in the background with a progress page."""
    compound = _compound(request, code)
    params = request.GET.copy()
    params["export"] = "xlsx"
    query, rows, _number = _statement_rows(compound, params)
    response = list_export(request, compound, "works.fund_statement", query, rows)
    if response is None:
        for error in query.errors:
            messages.error(request, error)
        return redirect(_fund_url(compound))
    return response


# ------------------------------------------------------------------ draws


def _draw_form_page(request, compound, form, *, emergency: bool, status=200):
    return render(
        request,
        "works/fund_draw_form.html",
        _context(
            request,
            compound,
            form=form,
            emergency=emergency,
            cases=EmergencyCase.objects.filter(active=True),
            trail=_("应急使用申请") if emergency else _("公示维修资金使用"),
        ),
        status=status,
    )


@login_required
def fund_draw_new(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Publish a draw for an approved project (公示), split by area over its scope."""
    compound = _compound(request, code, FUND_KEEPERS)
    projects = fs.approved_projects(compound)
    if request.method != "POST":
        return _draw_form_page(request, compound, DrawForm(projects=projects), emergency=False)
    form = DrawForm(request.POST, projects=projects)
    if form.is_valid():
        data = form.cleaned_data
        try:
            draw = fund_draw_publish(
                project=data["project"],
                amount=data["amount"],
                published_on=data["published_on"],
                actor=request.user,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已公示，划拨日须晚于公示日"))
            return redirect("works:fund-draw", compound.code, draw.pk)
    return _draw_form_page(request, compound, form, emergency=False, status=400)


@login_required
def fund_emergency_new(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The emergency route: name the case, upload the evidence, publish the draw."""
    compound = _compound(request, code, FUND_KEEPERS)
    projects = fs.compound_projects_open(compound)
    if request.method != "POST":
        return _draw_form_page(request, compound, EmergencyForm(projects=projects), emergency=True)
    form = EmergencyForm(request.POST, request.FILES, projects=projects)
    if form.is_valid():
        data = form.cleaned_data
        upload = data["evidence"]
        try:
            draw = fund_emergency_apply(
                project=data["project"],
                case=data["emergency_case"],
                amount=data["amount"],
                evidence=upload.read(),
                filename=upload.name,
                published_on=data["published_on"],
                actor=request.user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "file" in exc.error_dict:
                exc = ValidationError({"evidence": exc.error_dict.pop("file"), **exc.error_dict})
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已向业主公示应急使用；工程据此批准后方可划拨"))
            return redirect("works:fund-draw", compound.code, draw.pk)
    return _draw_form_page(request, compound, form, emergency=True, status=400)


def _draw_for_user(request: AuthenticatedHttpRequest, code: str, draw_id: int):
    """The draw and whether the caller reads it as staff; a resident only a draw whose
    project's scope has one of their units."""
    compound = _compound(request, code, FUND_READERS | {Role.RESIDENT})
    staff = bool(acting_roles(request.user, compound) & FUND_READERS)
    draws = fs.compound_draws(compound) if staff else fs.draws_visible_to(request.user, compound)
    draw = draws.filter(pk=draw_id).first()
    if draw is None:
        raise Http404
    return compound, draw, staff


@login_required
def fund_draw(request: AuthenticatedHttpRequest, code: str, draw_id: int) -> HttpResponse:
    """A draw: project, amount, case, dates and each unit's share (a resident: their own
    units' only); the keepers make it here once published."""
    compound, draw, staff = _draw_for_user(request, code, draw_id)
    return _render_draw(request, compound, draw, staff=staff)


def _render_draw(request, compound, draw, *, staff: bool, form=None, status=200):
    units = None if staff else compound.units.owned_by(request.user)
    return render(
        request,
        "works/fund_draw.html",
        _context(
            request,
            compound,
            draw=draw,
            staff=staff,
            split=fs.draw_split(draw, units=units),
            rule=fund_settings(compound),
            form=form or MakeForm(initial={"made_on": timezone.localdate()}),
            can_make=draw.status == DrawStatus.PUBLISHED
            and draw.project.status != ProjectStatus.PROPOSED,
            trail=_("维修资金使用"),
        ),
        status=status,
    )


@login_required
@require_POST
def fund_draw_make_page(request: AuthenticatedHttpRequest, code: str, draw_id: int) -> HttpResponse:
    compound = _compound(request, code, FUND_KEEPERS)
    draw = fs.compound_draws(compound).filter(pk=draw_id).first()
    if draw is None:
        raise Http404
    form = MakeForm(request.POST)
    if form.is_valid():
        try:
            fund_draw_make(draw=draw, made_on=form.cleaned_data["made_on"], actor=request.user)
        except ValidationError as exc:
            errors_to_messages(request, exc)
            return _render_draw(request, compound, draw, staff=True, form=form, status=400)
        messages.success(request, _("已划拨，分户账已记入"))
        return redirect("works:fund-draw", compound.code, draw.pk)
    return _render_draw(request, compound, draw, staff=True, form=form, status=400)
