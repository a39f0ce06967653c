"""Fee pages: standards, runs and notices, payments, arrears, collection, subsidies, the
resident's page and the public disclosure. Each view resolves the compound through the
access helper first, so an outsider gets 404 before anything is read or validated."""

from collections.abc import Callable, Iterable
from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.access import get_building_for_user, sees_owner_names
from households.selectors import units_of_user
from portal import lists
from portal.access import acting_roles, check_compound_access, get_compound_for_user
from portal.errors import errors_to_form
from portal.exports import list_export, refuse_invalid, register_export
from portal.lists import (
    EXPORT_CHUNK,
    Filter,
    ListQuery,
    ListSpec,
    export_rows,
    paginate,
)
from portal.models import STAFF_ROLES, Compound, Role
from portal.typing import AuthenticatedHttpRequest
from portal.xlsx import Sheet, xlsx_response

from . import access, pdf, selectors, services
from .access import CASHIERS, RUN_EDITORS, STANDARD_EDITORS
from .charts import rate_line_chart
from .forms import (
    BillingRunForm,
    FeeStandardForm,
    PaymentForm,
    RefundForm,
    ReminderForm,
)
from .models import ChunkStatus, NoticeStatus, PaymentKind, PaymentMethod, ReminderKind
from .money import ZERO
from .params import parse_year


def _pdf_response(content: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response


# What a form's save step returns: the success message and where to go next.
Saved = tuple[str, HttpResponse]


def _submit(
    request: AuthenticatedHttpRequest,
    code: str,
    roles: Iterable[Role],
    form_class: Callable[..., forms.Form],
    save: Callable[[Compound, dict], Saved],
    *,
    initial: dict | None = None,
) -> tuple[forms.Form, HttpResponse | None]:
    """A page's write form, the same way for every page.

    GET: the unbound form (with ``initial``) and no response. POST: the caller must hold one
    of ``roles`` (404 otherwise, before anything is read from the request); if the form is
    valid, ``save(compound, cleaned_data)`` calls the service (the forms name their fields
    as the services name their arguments) and returns the success message and the
    redirect, which is flashed and returned. A ValidationError from the service lands on
    the form, and the page is shown again with it.
    """
    if request.method != "POST":
        return form_class(initial=initial), None
    compound = get_compound_for_user(request.user, code, roles)
    form = form_class(request.POST)
    if not form.is_valid():
        return form, None
    try:
        message, response = save(compound, form.cleaned_data)
    except ValidationError as exc:
        errors_to_form(form, exc)
        return form, None
    messages.success(request, message)
    return form, response


def _context(request: AuthenticatedHttpRequest, compound: Compound, **extra) -> dict:
    roles = acting_roles(request.user, compound)
    return {
        "compound": compound,
        "roles": roles,
        "can_edit_standards": bool(roles & STANDARD_EDITORS),
        "can_run": bool(roles & RUN_EDITORS),
        "can_collect": bool(roles & CASHIERS),
        **extra,
    }


def _year(request: AuthenticatedHttpRequest, compound: Compound) -> tuple[int, str | None]:
    """The ``?year=`` asked for (default: the latest billed year), or the default and why
    the value given was refused (the page then answers 400 with that message)."""
    years = selectors.collection_years(compound)
    default = years[0] if years else timezone.localdate().year
    try:
        return parse_year(request.GET.get("year"), default=default), None
    except ValidationError as exc:
        return default, " ".join(exc.messages)


# --- overview and standards -------------------------------------------------------------


@login_required
def overview(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    year, problem = _year(request, compound)
    if problem:
        messages.error(request, problem)
    return render(
        request,
        "fees/overview.html",
        _context(
            request,
            compound,
            standards=selectors.current_standards(compound, timezone.localdate()),
            runs=selectors.compound_runs(compound)[:6],
            report=selectors.collection_report(compound, year, with_time=False),
            year=year,
        ),
        status=400 if problem else 200,
    )


@login_required
def standards(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)

    def save(compound: Compound, data: dict) -> Saved:
        services.fee_standard_create(
            compound=compound,
            building_kind=data["building_kind"],
            appraised_rate=data["appraised_rate"],
            charged_rate=data["charged_rate"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            shares=[services.ShareInput(name, share) for name, share in data["shares"]],
            non_residential_mode=data["non_residential_mode"],
            non_residential_rate=data["non_residential_rate"],
            service_standard=data["service_standard"],
            basis_item_id=data["basis_item_id"],
            pending_vote=data["pending_vote"],
            actor=request.user,
        )
        return _("收费标准已保存"), redirect("fees:standards", compound.code)

    form_class = partial(FeeStandardForm, basis_items=selectors.fee_basis_items(compound))
    form, done = _submit(request, code, STANDARD_EDITORS, form_class, save)
    if done:
        return done
    return render(
        request,
        "fees/standards.html",
        _context(request, compound, standards=selectors.compound_standards(compound), form=form),
    )


# --- runs and notices -------------------------------------------------------------------


@login_required
def runs(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)

    def save(compound: Compound, data: dict) -> Saved:
        outcome = services.billing_run_create(compound=compound, actor=request.user, **data)
        message = _("已计费 %(created)s 户，调整 %(adjusted)s 户，未计费 %(blocked)s 户") % {
            "created": outcome.created,
            "adjusted": outcome.adjusted,
            "blocked": len(outcome.blocked),
        }
        return message, redirect("fees:run", compound.code, outcome.run.pk)

    form, done = _submit(request, code, RUN_EDITORS, BillingRunForm, save)
    if done:
        return done
    return render(
        request,
        "fees/runs.html",
        _context(request, compound, runs=selectors.compound_runs(compound), form=form),
    )


@login_required
def run_detail(request: AuthenticatedHttpRequest, code: str, run_id: int) -> HttpResponse:
    run = access.get_run_for_user(request.user, code, run_id)
    compound = run.compound
    labels = dict(services.BLOCK_REASON_LABELS)
    blocked = [{**b, "reason_label": labels.get(b["reason"], "")} for b in run.blocked_units]
    return render(
        request,
        "fees/run_detail.html",
        _context(
            request,
            compound,
            run=run,
            buildings=_with_paid_up(selectors.run_building_summary(compound, run)),
            blocked=blocked,
            refresh=run.notice_status == NoticeStatus.RUNNING,
            job_lines=services.notice_job_state(run=run).describe(timezone.now())
            if run.notice_status == NoticeStatus.RUNNING
            else [],
        ),
    )


def _with_paid_up(buildings: list[dict]) -> list[dict]:
    """How many households of each finished building file got no notice: they owe nothing."""
    for b in buildings:
        chunk = b["chunk"]
        done = chunk is not None and chunk.status == ChunkStatus.DONE
        b["paid_up"] = b["households"] - chunk.notices if done else 0
    return buildings


@login_required
@require_POST
def run_notices(request: AuthenticatedHttpRequest, code: str, run_id: int) -> HttpResponse:
    run = access.get_run_for_user(request.user, code, run_id, RUN_EDITORS)
    compound = run.compound
    started = services.notices_start(compound=compound, run=run, actor=request.user)
    queued, buildings = services.notices.notice_chunks_requeue(run_id=run.pk)
    if started:
        messages.success(request, _("正在生成各楼栋的缴费通知单"))
    else:  # say what "continue" did, not what it was hoped to do
        requeued = []
        if queued == buildings and queued:
            requeued = [_("已重新排队 %(n)s 个楼栋") % {"n": queued}]
        elif queued:
            requeued = [
                _("已重新排队 %(n)s 个楼栋的 %(parts)s 段") % {"n": buildings, "parts": queued}
            ]
        state = services.notice_job_state(run=run).describe(timezone.now())
        messages.info(request, "；".join((requeued or [_("没有需要重新排队的楼栋")]) + state))
    return redirect("fees:run", compound.code, run.pk)


@login_required
def run_building(
    request: AuthenticatedHttpRequest, code: str, run_id: int, number: str
) -> HttpResponse:
    run = access.get_run_for_user(request.user, code, run_id)
    compound = run.compound
    building = get_building_for_user(request.user, code, number)
    return render(
        request,
        "fees/run_building.html",
        _context(
            request,
            compound,
            run=run,
            building=building,
            charges=selectors.run_charges(compound, run, building),
        ),
    )


@login_required
def building_file(
    request: AuthenticatedHttpRequest, code: str, run_id: int, number: str
) -> FileResponse:
    chunk = access.get_notice_file_for_user(request.user, code, run_id, number)
    compound, run = chunk.run.compound, chunk.run
    if not chunk.file or not default_storage.exists(chunk.file):
        raise Http404
    name = f"{compound.code}-{run.period_label}-{chunk.building.number}.pdf".replace(" ", "")
    response = FileResponse(
        default_storage.open(chunk.file, "rb"), content_type="application/pdf", filename=name
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- payments ---------------------------------------------------------------------------


PAYMENTS_LIST = ListSpec(per_page=50)
ARREARS_LIST = ListSpec(per_page=50)


def _building_filter(compound: Compound) -> Filter:
    buildings = compound.buildings.order_by("sort_key", "number").only("compound", "number", "kind")
    return Filter("building", _("楼栋"), [(b.number, b.label) for b in buildings])


def _list_filename(stem: str, compound: Compound) -> str:
    return f"{stem}-{compound.code}-{timezone.localdate():%Y%m%d}.xlsx"


def _payment_cells(p) -> list[object]:
    return [
        p.receipt_number,
        p.unit.building.number,
        p.unit.number,
        p.get_kind_display(),
        p.get_method_display(),
        p.amount,
        p.received_on,
        p.reference,
        _("是") if p.is_prepayment else "",
        p.note,
    ]


def _payments_list(compound: Compound, user, params) -> tuple[ListQuery, QuerySet]:
    """The payments list's query and rows (the page and its export share it)."""
    today = timezone.localdate()
    years = selectors.payment_years(compound, selectors.collection_years(compound), today)
    query = ListQuery.from_params(
        params,
        PAYMENTS_LIST,
        [
            _building_filter(compound),
            Filter("kind", _("类型"), PaymentKind.choices),
            Filter("method", _("方式"), PaymentMethod.choices),
            Filter("year", _("收款年度"), [(str(y), str(y)) for y in years]),
            Filter("amount", _("金额"), selectors.AMOUNT_CHOICES),
        ],
    )
    names_visible = sees_owner_names(user, compound)
    rows = selectors.payments_list(
        compound, search=query.search, names_visible=names_visible, **query.filters
    )
    return query, rows


def payments_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    compound = check_compound_access(user, compound, STAFF_ROLES)
    query, rows = _payments_list(compound, user, params)
    refuse_invalid(query)
    headers = [
        _("收据号"),
        _("楼号"),
        _("房号"),
        _("类型"),
        _("方式"),
        _("金额（元）"),
        _("收款日期"),
        _("交易流水号"),
        _("预缴"),
        _("备注"),
    ]
    sheet = Sheet(_("收款"), headers, export_rows(rows, _payment_cells), text_columns=[0, 1, 2, 7])
    return _list_filename(_("收款"), compound), [sheet]


register_export("fees.payments", payments_export)


@login_required
def payments(request: AuthenticatedHttpRequest, code: str) -> HttpResponseBase:
    """收款: the cashier's form, and every payment and refund a page at a time, searchable
    and filtered, exported whole as XLSX."""
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)

    def save(compound: Compound, data: dict) -> Saved:
        data = dict(data)
        unit = selectors.unit_by_number(compound, data.pop("building"), data.pop("unit_number"))
        if unit is None:
            raise ValidationError({"unit_number": _("本小区没有这个房号")})
        payment = services.payment_record(compound=compound, unit=unit, actor=request.user, **data)
        message = _("已记录收款，收据号 %(n)s") % {"n": payment.receipt_number}
        return message, redirect("fees:payments", compound.code)

    initial = {
        "building": request.GET.get("building", "")[:20],
        "unit_number": request.GET.get("unit", "")[:20],
        "received_on": timezone.localdate(),
    }
    form, done = _submit(request, code, CASHIERS, PaymentForm, save, initial=initial)
    if done:
        return done
    query, rows = _payments_list(compound, request.user, request.GET)
    if query.wants_export and (
        response := list_export(request, compound, "fees.payments", query, rows)
    ):
        return response
    return render(
        request,
        "fees/payments.html",
        _context(request, compound, form=form, list=paginate(rows, query)),
        status=query.status if request.method != "POST" else 200,
    )


@login_required
def receipt(request: AuthenticatedHttpRequest, code: str, payment_id: int) -> HttpResponse:
    """Staff see every receipt; a resident those of the units they own now."""
    payment = access.get_payment_for_user(request.user, code, payment_id)
    return _pdf_response(
        pdf.render_receipt(selectors.receipt(payment.compound, payment)),
        f"receipt-{payment.receipt_number}.pdf",
    )


@login_required
def refund(request: AuthenticatedHttpRequest, code: str, payment_id: int) -> HttpResponse:
    payment = access.get_refundable_payment_for_user(request.user, code, payment_id)
    compound = payment.compound

    def save(compound: Compound, data: dict) -> Saved:
        services.refund_record(compound=compound, payment=payment, actor=request.user, **data)
        return _("已记录退款"), redirect("fees:payments", compound.code)

    initial = {"method": payment.method, "received_on": timezone.localdate()}
    form, done = _submit(request, code, CASHIERS, RefundForm, save, initial=initial)
    if done:
        return done
    return render(
        request,
        "fees/refund.html",
        _context(
            request, compound, form=form, payment=payment, refundable=selectors.refundable(payment)
        ),
    )


# --- arrears and the reminder ladder ------------------------------------------------------


def _arrears_cells(row: selectors.ArrearsListRow) -> list[object]:
    return [
        row.building_number,
        row.unit_number,
        *row.buckets,
        row.total,
        f"{row.oldest:%Y-%m}",
        row.last_step.get_kind_display() if row.last_step else "",
    ]


def _bucket_labels() -> list[str]:
    return [_("3个月内"), _("3–6个月"), _("6–12个月"), _("12个月以上")]


def _arrears_list(compound: Compound, user, params) -> tuple[ListQuery, QuerySet]:
    """The arrears list's query and rows (the page and its export share it)."""
    query = ListQuery.from_params(
        params,
        ARREARS_LIST,
        [
            _building_filter(compound),
            Filter("age", _("欠费时长"), selectors.AGE_CHOICES),
            Filter("amount", _("欠费金额"), selectors.AMOUNT_CHOICES),
        ],
    )
    names_visible = sees_owner_names(user, compound)
    rows = selectors.arrears_units(
        compound,
        timezone.localdate(),
        search=query.search,
        names_visible=names_visible,
        **query.filters,
    )
    return query, rows


def arrears_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    compound = check_compound_access(user, compound, STAFF_ROLES)
    query, rows = _arrears_list(compound, user, params)
    refuse_invalid(query)
    headers = [
        _("楼号"),
        _("房号"),
        *(_("%(age)s（元）") % {"age": label} for label in _bucket_labels()),
        _("合计（元）"),
        _("最早欠费期间"),
        _("催缴进度"),
    ]
    listed = selectors.arrears_export_rows(compound, rows, EXPORT_CHUNK, lists.EXPORT_MAX_ROWS)
    sheet = Sheet(_("欠费"), headers, map(_arrears_cells, listed), text_columns=[0, 1])
    return _list_filename(_("欠费"), compound), [sheet]


register_export("fees.arrears", arrears_export)


@login_required
def arrears(request: AuthenticatedHttpRequest, code: str) -> HttpResponseBase:
    """欠费与催缴: the units that owe, by age of the bill, a page at a time, searchable and
    filtered (building, how long, how much), exported whole as XLSX."""
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    query, rows = _arrears_list(compound, request.user, request.GET)
    bucket_labels = _bucket_labels()
    if query.wants_export and (
        response := list_export(request, compound, "fees.arrears", query, rows)
    ):
        return response
    page = paginate(rows, query)
    totals = selectors.arrears_totals(rows)
    return render(
        request,
        "fees/arrears.html",
        _context(
            request,
            compound,
            list=page,
            rows=selectors.arrears_rows(compound, page.rows),
            totals=totals,
            total=sum(totals, ZERO),
            bucket_labels=bucket_labels,
        ),
        status=query.status,
    )


@login_required
def unit_reminders(request: AuthenticatedHttpRequest, code: str, unit_id: int) -> HttpResponse:
    unit = access.get_debtor_unit_for_user(request.user, code, unit_id)
    compound = unit.compound

    def save(compound: Compound, data: dict) -> Saved:
        step = services.reminder_step_record(
            compound=compound, unit=unit, actor=request.user, **data
        )
        message = _("已记录：%(kind)s") % {"kind": step.get_kind_display()}
        return message, redirect("fees:unit-reminders", compound.code, unit.pk)

    form, done = _submit(request, code, CASHIERS, ReminderForm, save)
    if done:
        return done
    steps = list(selectors.unit_reminder_steps(compound, unit))
    owed, _oldest = services.unit_outstanding(compound, unit.pk)
    next_kind, why = services.reminder_next_kind(steps, timezone.localdate())
    return render(
        request,
        "fees/unit_reminders.html",
        _context(
            request,
            compound,
            unit=unit,
            steps=steps,
            owed=owed,
            next_kind=ReminderKind(next_kind).label if next_kind else "",
            why=why,
            form=form,
        ),
    )


@login_required
def demand_letter(request: AuthenticatedHttpRequest, code: str, step_id: int) -> HttpResponse:
    step = access.get_demand_for_user(request.user, code, step_id)
    return _pdf_response(
        pdf.render_demand_letter(selectors.demand_letter(step.compound, step)),
        f"demand-{step.pk}.pdf",
    )


# --- collection rate --------------------------------------------------------------------


def _collection_chart(report: selectors.CollectionReport):
    points = [(f"{p.month:%m}", p.rate) for p in report.over_time]
    return rate_line_chart(
        points, title=_("%(year)s年收缴率（按金额，累计）") % {"year": report.year}
    )


@login_required
def collection(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    year, problem = _year(request, compound)
    if problem:
        messages.error(request, problem)
    report = selectors.collection_report(compound, year)
    return render(
        request,
        "fees/collection.html",
        _context(
            request,
            compound,
            report=report,
            year=year,
            years=selectors.collection_years(compound),
            chart=_collection_chart(report),
        ),
        status=400 if problem else 200,
    )


def _collection_rows(rows):
    for r in rows:
        yield [
            r.label,
            r.billed_households,
            r.paid_households,
            r.rate_households,
            r.amount_due,
            r.amount_collected,
            r.rate_amount,
            r.due_with_subsidy,
            r.collected_with_subsidy,
            r.rate_amount_with_subsidy,
        ]


@login_required
def collection_xlsx(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    year, problem = _year(request, compound)
    if problem:
        return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
    report = selectors.collection_report(compound, year)
    headers = [
        _("范围"),
        _("计费户数"),
        _("缴清户数"),
        _("户数收缴率（%）"),
        _("业主应缴（元）"),
        _("业主已缴（元）"),
        _("金额收缴率（%）"),
        _("含补贴应收（元）"),
        _("含补贴已收（元）"),
        _("含补贴收缴率（%）"),
    ]
    return xlsx_response(
        f"{compound.code}-{year}-收缴率.xlsx",
        Sheet(_("楼栋"), headers, _collection_rows([report.compound, *report.buildings])),
        Sheet(_("计费期间"), headers, _collection_rows(report.periods)),
        Sheet(
            _("按月累计"),
            [_("月份"), _("累计已缴（元）"), _("收缴率（%）")],
            ([f"{p.month:%Y-%m}", p.collected, p.rate] for p in report.over_time),
        ),
    )


# --- subsidies --------------------------------------------------------------------------


@login_required
def subsidies(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    today = timezone.localdate()
    return render(
        request,
        "fees/subsidies.html",
        _context(
            request,
            compound,
            rows=selectors.subsidy_summary(compound),
            endings=selectors.subsidy_endings([compound], today),
        ),
    )


def _statement(
    request: AuthenticatedHttpRequest, code: str, run_id: int, payer_id: int
) -> tuple[Compound, selectors.Reconciliation]:
    run = access.get_run_for_user(request.user, code, run_id)
    payer = access.get_subsidy_payer_for_user(request.user, code, payer_id)
    compound = run.compound
    return compound, selectors.subsidy_reconciliation(compound, payer, run)


@login_required
def reconciliation(
    request: AuthenticatedHttpRequest, code: str, run_id: int, payer_id: int
) -> HttpResponse:
    compound, statement = _statement(request, code, run_id, payer_id)
    return render(request, "fees/reconciliation.html", _context(request, compound, s=statement))


@login_required
def reconciliation_pdf(request: AuthenticatedHttpRequest, code: str, run_id: int, payer_id: int):
    _compound, statement = _statement(request, code, run_id, payer_id)
    return _pdf_response(
        pdf.render_reconciliation(statement),
        f"subsidy-{statement.run.period_label}-{statement.payer.pk}.pdf".replace(" ", ""),
    )


@login_required
def reconciliation_xlsx(request: AuthenticatedHttpRequest, code: str, run_id: int, payer_id: int):
    compound, s = _statement(request, code, run_id, payer_id)
    return xlsx_response(
        f"{compound.code}-{s.payer.name}-{s.run.period_label}-补贴对账.xlsx".replace(" ", ""),
        Sheet(
            _("对账明细"),
            [_("楼栋"), _("房屋"), _("面积（m²）"), _("补贴金额（元）")],
            [
                *(
                    [line.building_label, line.unit_label, line.area, line.amount]
                    for line in s.lines
                ),
                [_("合计"), len(s.lines), s.total_area, s.total_amount],
            ],
        ),
        Sheet(
            _("按楼栋"),
            [_("楼栋"), _("户数"), _("面积（m²）"), _("补贴金额（元）")],
            [list(b) for b in s.by_building],
        ),
    )


@login_required
def subsidy_ending(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The fee each household will face once the subsidy ends."""
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    endings = selectors.subsidy_endings([compound], timezone.localdate())
    sections = [(e, selectors.households_after_subsidy(compound, e)) for e in endings]
    return render(
        request, "fees/subsidy_ending.html", _context(request, compound, sections=sections)
    )


# --- the resident -----------------------------------------------------------------------


@login_required
def my_fees(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """My charges, payments, arrears and notices: the units I own now in this compound."""
    compound = get_compound_for_user(request.user, code)
    units = units_of_user(compound, request.user)
    return render(
        request,
        "fees/my.html",
        {
            "compound": compound,
            "company": compound.service_company,
            "fees": selectors.fees_of_units(compound, units),
            "standards": selectors.current_standards(compound, timezone.localdate()),
        },
    )


@login_required
def unit_notice(request: AuthenticatedHttpRequest, code: str, unit_id: int) -> HttpResponse:
    """The unit's latest notice, rendered on demand (staff, or the unit's owner)."""
    charge = access.get_unit_notice_charge_for_user(request.user, code, unit_id)
    unit = charge.unit
    try:
        notice = selectors.unit_notice(unit.compound, charge)
    except selectors.NoticeNotNeeded as exc:
        return render(
            request,
            "fees/notice_not_needed.html",
            {"compound": unit.compound, "unit": unit, "charge": charge, "message": exc.message},
        )
    return _pdf_response(
        pdf.render_notices(unit.compound, [notice]),
        f"notice-{unit.building.number}-{unit.number}-{charge.run.period_start:%Y%m}.pdf",
    )


# --- public (双晒) ----------------------------------------------------------------------


def disclosure(request: HttpRequest, code: str) -> HttpResponse:
    compound = get_object_or_404(
        Compound.objects.select_related("service_company", "street_office"), code=code
    )
    return render(
        request,
        "fees/public_disclosure.html",
        {"d": selectors.disclosure(compound, timezone.localdate()), "compound": compound},
    )
