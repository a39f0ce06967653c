"""Pages of the street-office board (issue 12): the board across compounds, its XLSX
export and chart, the on-demand alert check, the collection target; a compound's
milestones, its environment renovation, and acknowledging an alert.

Every view resolves its scope through ``portal.access`` (404 for outsiders and absent
objects alike) and writes only through ``board.services``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import (
    acting_roles,
    get_compound_for_user,
    get_street_office_board_for_user,
    get_street_office_for_user,
)
from portal.models import STAFF_ROLES, Compound, Role
from portal.typing import AuthenticatedHttpRequest
from portal.xlsx import Sheet, xlsx_response

from . import board_data, services
from .alerts import AUDIENCE, kinds_for_roles
from .board_data import SORTS
from .forms import AcknowledgeForm, RenovationForm, TargetForm
from .milestones import collection_target, compounds_progress
from .models import Alert, AlertState, Renovation
from .trends import office_hotline


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(str(m) for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(str(m) for m in exc.messages)


@login_required
def office_board(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The board; its district's officers read it without any control that acts."""
    office, writable = get_street_office_board_for_user(request.user, code)
    today = timezone.localdate()
    sort = request.GET.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    descending = request.GET.get("dir") == "desc"
    q = request.GET.get("q", "").strip()[:100]
    stage = request.GET.get("stage", "")
    alerts_only = request.GET.get("alerts") == "1"
    filters = {
        k: v for k, v in {"q": q, "stage": stage, "alerts": "1" if alerts_only else ""}.items() if v
    }
    rows = board_data.board_rows(
        office, today, q=q, stage=stage, alerts_only=alerts_only, sort=sort, descending=descending
    )
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            f"{office.name}-看板-{today.isoformat()}.xlsx",
            Sheet(
                title=_("看板"),
                headers=board_data.xlsx_headers(today.year),
                rows=board_data.xlsx_rows(rows),
                text_columns=(0,),
            ),
        )
    target = rows[0].progress.facts.target if rows else collection_target(office)
    return render(
        request,
        "board/board/office_board.html",
        {
            "office": office,
            "writable": writable,
            "rows": rows,
            "today": today,
            "year": today.year,
            "q": q,
            "stage": stage,
            "alerts_only": alerts_only,
            "sort": sort,
            "descending": descending,
            "stages": board_data.stage_choices(),
            "chart": board_data.chart_data(rows),
            "hotline": office_hotline([r.compound for r in rows], today),
            "target": target,
            "target_form": TargetForm(initial={"collection_target": target}),
            "columns": _columns(today.year, filters, sort, descending),
            "export_query": urlencode({**filters, "sort": sort, "format": "xlsx"}),
            "chart_labels": {
                "latest": _("各小区最近一年收缴率"),
                "years": _("各小区历年收缴率（按金额）"),
                "amount": _("按金额"),
                "households": _("按户数"),
                "target": _("目标"),
                "empty": _("尚无计费数据"),
                "hotline": _("各小区每月12345工单"),
            },
        },
    )


def _columns(
    year: int, filters: dict[str, str], sort: str, descending: bool
) -> list[tuple[str, str, str, bool]]:
    """(sort key, label, query string, active) of each column; a second click reverses."""
    labels = [
        ("name", _("小区")),
        ("stage", _("阶段")),
        ("deadline", _("下一期限")),
        ("rate", _("{year}年收缴率").format(year=year)),
        ("rate_last", _("{year}年收缴率").format(year=year - 1)),
        ("rate_latest", _("最近计费年度收缴率")),
        ("turnout", _("最近表决参与率")),
        ("", _("协议")),
        ("subsidy", _("补贴剩余（月）")),
        ("alerts", _("提醒")),
    ]
    columns = []
    for key, label in labels:
        params = {**filters, "sort": key}
        if key == sort and not descending:
            params["dir"] = "desc"
        columns.append((key, str(label), urlencode(params) if key else "", key == sort))
    return columns


@login_required
@require_POST
def office_refresh(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The daily check, now, for this street office's compounds."""
    office = get_street_office_for_user(request.user, code)
    compounds = list(office.compounds.select_related("street_office", "service_company"))
    result = services.alerts_refresh(compounds=compounds, actor=request.user)
    messages.success(
        request,
        _("已检查 {n} 个小区：新提醒 {opened} 条，已解除 {resolved} 条").format(
            n=result.compounds, opened=len(result.opened), resolved=len(result.resolved)
        ),
    )
    return redirect("board:office-board", code=office.code)


@login_required
@require_POST
def office_target(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    office = get_street_office_for_user(request.user, code)
    form = TargetForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("收缴率目标须在0到100之间")
            + "："
            + "；".join(str(e) for errs in form.errors.values() for e in errs),
        )
        return redirect("board:office-board", code=office.code)
    try:
        services.collection_target_set(
            office=office, actor=request.user, target=form.cleaned_data["collection_target"]
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("收缴率目标已保存；重新检查提醒后生效"))
    return redirect("board:office-board", code=office.code)


@login_required
def office_alerts(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Every alert of the street office's compounds, newest first, with who did what."""
    office = get_street_office_for_user(request.user, code)
    state = request.GET.get("state", "")
    alerts = Alert.objects.filter(compound__street_office=office).select_related(
        "compound", "acknowledged_by", "resolved_by"
    )
    if state in AlertState.values:
        alerts = alerts.filter(state=state)
    else:
        alerts = alerts.exclude(state=AlertState.RESOLVED)
    rows = list(alerts.order_by("due", "id")[:500])
    from .alerts import alert_message

    for a in rows:
        a.message = alert_message(a.kind, a.params, a.due)  # type: ignore[attr-defined]
    return render(
        request,
        "board/board/office_alerts.html",
        {"office": office, "alerts": rows, "state": state, "states": AlertState.choices},
    )


@login_required
def compound_milestones(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    today = timezone.localdate()
    (progress,) = compounds_progress([compound], today)
    roles = acting_roles(request.user, compound)
    alerts = board_data.compound_alerts([compound], kinds_for_roles(roles))
    return render(
        request,
        "board/board/compound_milestones.html",
        {
            "compound": compound,
            "progress": progress,
            "today": today,
            "alerts": alerts,
            "renovation": Renovation.objects.filter(compound=compound).first(),
            "may_record": Role.STREET_OFFICER in roles,
        },
    )


@login_required
def renovation_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, {Role.STREET_OFFICER})
    current = Renovation.objects.filter(compound=compound).first()
    if request.method == "POST":
        form = RenovationForm(request.POST)
        if form.is_valid():
            try:
                services.renovation_record(
                    compound=compound,
                    actor=request.user,
                    illustrative=bool(current and current.illustrative),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("环境整治情况已保存"))
                return redirect("board:compound-milestones", code=compound.code)
    else:
        initial = {}
        if current:
            initial = {
                f: getattr(current, f) for f in RenovationForm.base_fields if hasattr(current, f)
            }
        form = RenovationForm(initial=initial)
    return render(
        request,
        "board/board/renovation_form.html",
        {"compound": compound, "form": form, "current": current},
    )


def _alert_for_user(request: AuthenticatedHttpRequest, compound: Compound, alert_id: int) -> Alert:
    """An unresolved alert of ``compound`` that the user can act on, else 404."""
    alert = Alert.objects.filter(pk=alert_id, compound=compound).first()
    if alert is None or not (
        AUDIENCE.get(alert.kind, frozenset()) & acting_roles(request.user, compound)
    ):
        raise Http404
    return alert


@login_required
@require_POST
def alert_acknowledge(request: AuthenticatedHttpRequest, code: str, alert_id: int) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    alert = _alert_for_user(request, compound, alert_id)
    form = AcknowledgeForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        messages.error(request, _("确认提醒须填写说明（例如已安排的处理办法）"))
    else:
        try:
            services.alert_acknowledge(
                alert=alert, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("提醒已确认"))
    return redirect(back or compound.get_absolute_url())
