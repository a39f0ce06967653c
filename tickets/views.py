"""Request pages: file one (a resident on a phone), follow and rate it; the queue, the
request's page with its actions, the photos, and the monthly rates with their chart."""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from households.models import Unit
from households.roster.limits import Limits
from portal.access import acting_roles, get_compound_for_user
from portal.errors import errors_to_form
from portal.lists import (
    Filter,
    ListQuery,
    ListSpec,
    export_response,
    export_rows,
    export_too_large,
    paginate,
)
from portal.models import Role
from portal.typing import AuthenticatedHttpRequest
from portal.xlsx import Sheet, xlsx_file_response

from . import selectors, services
from .access import (
    HOTLINE_KEEPERS,
    RATE_READERS,
    get_request_for_user,
    is_handler,
    requests_for_user,
)
from .hotline import EXPORT_HEADERS, HEADERS
from .models import (
    Category,
    HotlineImport,
    ImportStatus,
    Notification,
    NotificationPreference,
    Party,
    Rating,
    Request,
    State,
)
from .photos import MAX_PHOTOS
from .rates import DEFINITIONS, monthly_rates
from .scorecard import company_scorecard
from .services_hotline import (
    hotline_cases,
    hotline_export_rows,
    hotline_import_enqueue,
    hotline_import_rerun,
)
from .services_mail import mail_configured
from .trends import agreement_marker, monthly_trend

User = get_user_model()
QUEUE = ListSpec(per_page=25)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern); the service checks
    each file's content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return single(data, initial)


class RequestForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("类别"))
    unit = forms.TypedChoiceField(
        label=gettext_lazy("地点"), coerce=int, required=False, empty_value=None
    )
    place = forms.CharField(
        label=gettext_lazy("公共区域位置（选填）"), max_length=200, required=False
    )
    description = forms.CharField(
        label=gettext_lazy("诉求内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    emergency = forms.BooleanField(label=gettext_lazy("紧急（漏水、停电、困梯等）"), required=False)
    photo = MultipleFileField(
        label=gettext_lazy("照片（选填，可多张）"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png", "multiple": True}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            (c.code, c.name) for c in Category.objects.filter(active=True)
        ]
        self.fields["unit"].choices = [("", _("公共区域"))] + [(u.pk, u.label) for u in units]
        self.fields["photo"].help_text = _(
            "JPEG 或 PNG，每张不超过 %(mb)d MB，最多 %(n)d 张；照片中的位置等信息会被删除"
        ) % {"mb": settings.CLAIM_PHOTO_MAX_BYTES // (1024 * 1024), "n": MAX_PHOTOS}


@login_required
def request_new(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """我要报修: a resident for one of their units or a common area (staff for anyone)."""
    compound = get_compound_for_user(request.user, code)
    staff = is_handler(request.user, compound)
    units = (
        compound.units.select_related("building")
        if staff
        else Unit.objects.owned_by(request.user)
        .filter(compound=compound)
        .select_related("building")
    )
    unit_choices = list(units.order_by("building__sort_key", "building__number", "number")[:2000])
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, units=unit_choices)
        if form.is_valid():
            data = form.cleaned_data
            photos = [
                f.read(settings.CLAIM_PHOTO_MAX_BYTES + 1) for f in request.FILES.getlist("photo")
            ]
            try:
                created = services.request_create(
                    compound=compound,
                    actor=request.user,
                    data=services.NewRequest(
                        category=data["category"],
                        description=data["description"],
                        unit_id=data["unit"],
                        place=data["place"],
                        emergency=data["emergency"],
                        channel="phone" if staff else "online",
                    ),
                    photos=photos,
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
                status = 400
            else:
                messages.success(request, _("已提交，可在此页跟踪办理进度。"))
                return redirect("tickets:detail", code=compound.code, request_id=created.pk)
        else:
            status = 400
    else:
        # A resident with one flat files for it unless they pick a common area.
        initial = {"unit": unit_choices[0].pk} if not staff and len(unit_choices) == 1 else {}
        form = RequestForm(units=unit_choices, initial=initial)
    return render(request, "tickets/new.html", {"compound": compound, "form": form}, status=status)


def queue_headers() -> list[str]:
    return [
        _("编号"),
        _("渠道"),
        _("12345工单号"),
        _("类别"),
        _("地点"),
        _("内容"),
        _("状态"),
        _("受理时间"),
        _("办理时限"),
        _("责任方"),
        _("处理人"),
        _("来电号码"),
        _("办理结果"),
        _("评价"),
    ]


def queue_row(r: Request) -> list[object]:
    """One request as the queue's export shows it (the caller's phone masked)."""
    return [
        r.pk,
        r.get_channel_display(),
        r.hotline_case_number,
        r.category.name,
        r.place_label,
        r.description,
        r.get_state_display(),
        timezone.localtime(r.received_at).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(r.due_at).strftime("%Y-%m-%d %H:%M"),
        r.get_assigned_party_display(),
        r.assignee.username if r.assignee else "",
        r.caller_phone_masked,
        r.result,
        r.get_rating_display(),
    ]


@login_required
def request_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse | FileResponse:
    """工单: the queue for those who handle requests (filters: state, category, building,
    overdue); a resident's own requests; the compound's public counts for everyone."""
    compound = get_compound_for_user(request.user, code)
    handler = is_handler(request.user, compound)
    filters = [
        Filter("state", gettext_lazy("状态"), State.choices),
        Filter(
            "category", gettext_lazy("类别"), [(c.code, c.name) for c in Category.objects.all()]
        ),
    ]
    if handler:
        filters.append(
            Filter(
                "building",
                gettext_lazy("楼栋"),
                [(b.number, b.label) for b in compound.buildings.all()],
            )
        )
        filters.append(
            Filter("overdue", gettext_lazy("超时"), [("yes", gettext_lazy("仅超时未办结"))])
        )
    query = ListQuery.from_request(request, QUEUE, filters=filters)
    rows = selectors.queue(
        requests_for_user(request.user, compound), search=query.search, **query.filters
    )
    if query.wants_export and handler:
        refusal = export_too_large(rows)
        if not refusal:
            sheet = Sheet(
                _("工单"), queue_headers(), export_rows(rows, queue_row), text_columns=(2,)
            )
            return export_response(f"{compound.name}-工单.xlsx", sheet)
        query.errors.append(refusal)
    page = paginate(rows, query)
    return render(
        request,
        "tickets/list.html",
        {
            "compound": compound,
            "list": page,
            "handler": handler,
            "rates_reader": bool(acting_roles(request.user, compound) & RATE_READERS),
            "hotline_keeper": bool(acting_roles(request.user, compound) & HOTLINE_KEEPERS),
            "counts": selectors.public_counts(compound),
            "unread": selectors.unread_count(request.user, compound),
            "now": timezone.now(),
        },
        status=query.status,
    )


class AssignForm(forms.Form):
    party = forms.ChoiceField(label=gettext_lazy("责任方"), choices=Party.choices)
    assignee = forms.CharField(
        label=gettext_lazy("处理人登录名（选填）"), max_length=150, required=False
    )
    note = forms.CharField(label=gettext_lazy("说明（选填）"), max_length=1000, required=False)


@login_required
def request_detail(request: AuthenticatedHttpRequest, code: str, request_id: int) -> HttpResponse:
    """One request: what, where, the photos, its history; the handlers' actions, the
    reporter's comment and rating."""
    target = get_request_for_user(request.user, code, request_id)
    compound = target.compound
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        note = request.POST.get("note", "")
        try:
            if action == "assign":
                username = request.POST.get("assignee", "").strip()
                assignee = User.objects.filter(username=username).first() if username else None
                if username and assignee is None:
                    raise ValidationError(
                        {"assignee": _("没有登录名为“%(username)s”的账号") % {"username": username}}
                    )
                services.request_assign(
                    request=target,
                    actor=request.user,
                    party=request.POST.get("party", ""),
                    assignee=assignee,
                    note=note,
                )
            elif action == "start":
                services.request_start(request=target, actor=request.user, note=note)
            elif action == "resolve":
                services.request_resolve(request=target, actor=request.user, result=note)
            elif action == "close":
                services.request_close(request=target, actor=request.user, note=note)
            elif action == "reopen":
                services.request_reopen(request=target, actor=request.user, note=note)
            elif action == "comment":
                services.request_comment(request=target, actor=request.user, note=note)
            elif action == "rate":
                services.request_rate(
                    request=target,
                    actor=request.user,
                    rating=request.POST.get("rating", ""),
                    comment=request.POST.get("comment", ""),
                    # The form's "reopen if not satisfied" box is ticked by default: it
                    # only counts with a "not satisfied" rating.
                    reopen=request.POST.get("reopen") == "1"
                    and request.POST.get("rating") == Rating.NOT_SATISFIED,
                )
            else:
                raise ValidationError(_("未知的操作"))
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(request, _("已保存。"))
            return redirect("tickets:detail", code=compound.code, request_id=target.pk)
        target = get_request_for_user(request.user, code, request_id)
    services.notifications_read(user=request.user, request=target)
    handler = is_handler(request.user, compound)
    events = target.events.select_related("actor").order_by("created_at", "id")
    may_rate = target.state == State.RESOLVED and (
        target.reporter_id == request.user.pk or (target.reporter_id is None and handler)
    )
    return render(
        request,
        "tickets/detail.html",
        {
            "compound": compound,
            "r": target,
            "events": events,
            "photos": target.photos.order_by("id"),
            "handler": handler,
            "may_rate": may_rate,
            "ratings": Rating.choices,
            "assign_form": AssignForm(),
            "overdue": target.is_overdue(timezone.now()),
            "is_resident": Role.RESIDENT in acting_roles(request.user, compound) and not handler,
        },
        status=status,
    )


def _photo_response(name: str) -> FileResponse:
    if not name or not default_storage.exists(name):
        raise Http404
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def request_photo(
    request: AuthenticatedHttpRequest, code: str, request_id: int, photo_id: int
) -> FileResponse:
    """A request's photo, only to those who may see the request."""
    target = get_request_for_user(request.user, code, request_id)
    photo = target.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    return _photo_response(photo.image.name or "")


@login_required
def request_photo_thumbnail(
    request: AuthenticatedHttpRequest, code: str, request_id: int, photo_id: int
) -> FileResponse:
    target = get_request_for_user(request.user, code, request_id)
    photo = target.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    return _photo_response(photo.thumbnail.name or "")


@login_required
def rates_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """接诉即办三率: the year's months with the chart and the definitions."""
    compound = get_compound_for_user(request.user, code, RATE_READERS)
    this_year = timezone.localdate().year
    raw = request.GET.get("year", str(this_year))
    status = 200
    if raw.isascii() and raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= this_year:
        year = int(raw)
    else:
        messages.error(request, _("年份须为 2000 到 %(year)d 之间") % {"year": this_year})
        year, status = this_year, 400
    months = monthly_rates(compound, year)
    chart = {
        "months": [m.month for m in months],
        "received": [m.received for m in months],
        "response": [m.response_rate for m in months],
        "resolution": [m.resolution_rate for m in months],
        "satisfaction": [m.satisfaction_rate for m in months],
    }
    last = min(dt.date(year, 12, 31), timezone.localdate())
    trend = monthly_trend(
        compound, first=dt.date(year - 1, 1, 1), last=last, markers=agreement_marker(compound)
    )
    labels = {
        "received": _("受理量"),
        "response": _("响应率"),
        "resolution": _("解决率"),
        "satisfaction": _("满意率"),
    }
    return render(
        request,
        "tickets/rates.html",
        {
            "compound": compound,
            "year": year,
            "years": list(range(this_year, max(2000, this_year - 5) - 1, -1)),
            "months": months,
            "chart": chart,
            "chart_labels": labels,
            "trend": trend.as_dict(),
            "definitions": [str(d) for d in DEFINITIONS.values()],
        },
        status=status,
    )


class HotlineForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("12345工单表（XLSX）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


@login_required
def hotline_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse | FileResponse:
    """12345 工单导入与回传: street-office staff import the hotline's case file (all or
    nothing, a report by row) and export the cases back with their results."""
    compound = get_compound_for_user(request.user, code, HOTLINE_KEEPERS)
    if request.GET.get("export") == "xlsx":
        sheet = Sheet(
            _("12345工单"),
            EXPORT_HEADERS,
            hotline_export_rows(compound),
            text_columns=(0, 2, 3),
        )
        return xlsx_file_response(f"{compound.name}-12345工单.xlsx", sheet)
    status = 200
    form = HotlineForm()
    if request.method == "POST":
        form = HotlineForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = hotline_import_enqueue(
                    compound=compound,
                    actor=request.user,
                    data=upload.read(Limits.from_settings().upload_bytes + 1),
                    filename=upload.name or "",
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("文件已上传，正在后台检查和导入，进度见下方"))
                return redirect("tickets:hotline-import", compound.code, job.pk)
        status = 400
    return render(
        request,
        "tickets/hotline.html",
        {
            "compound": compound,
            "form": form,
            "headers": list(HEADERS.values()),
            "cases": hotline_cases(compound).count(),
            "imports": HotlineImport.objects.filter(compound=compound)
            .select_related("requested_by")
            .order_by("-created_at", "-id")[:10],
        },
        status=status,
    )


def _get_import_for_user(user, code: str, import_id: int) -> HotlineImport:  # noqa: ANN001
    """A hotline import of a compound the user keeps the hotline of, or 404."""
    compound = get_compound_for_user(user, code, HOTLINE_KEEPERS)
    job = HotlineImport.objects.filter(compound=compound, pk=import_id).first()
    if job is None:
        raise Http404
    job.compound = compound
    return job


def import_state(job: HotlineImport) -> dict:
    """What the job page shows and its JSON says, in the shape of the print jobs' page
    script (households/letters.js): status, progress, done/total and, once finished, the
    report's lines."""
    report = job.report or {}
    lines: list[str] = []
    if job.status == ImportStatus.DONE:
        lines.append(
            _("新建 %(created)d 件，合并重复行 %(merged)d 行，已导入过 %(already)d 件。")
            % {
                "created": report.get("created", 0),
                "merged": report.get("merged", 0),
                "already": report.get("already", 0),
            }
        )
    elif job.status == ImportStatus.FAILED:
        if report.get("file_error"):
            lines.append(report["file_error"])
        errors = report.get("errors", [])
        if errors:
            lines.append(_("未导入任何工单，请改正以下各行后重新导入："))
        lines.extend(
            _("第%(row)s行 %(column)s：%(message)s")
            % {"row": e["row"], "column": e["column"], "message": e["message"]}
            for e in errors[:50]
        )
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": job.done,
        "total": job.total,
        "progress": job.progress,
        "files": [],
        "lines": lines,
    }


@login_required
def hotline_import_page(
    request: AuthenticatedHttpRequest, code: str, import_id: int
) -> HttpResponse:
    """One 12345 import: its progress bar while it runs, then its report (rows imported,
    or every bad row and nothing imported)."""
    job = _get_import_for_user(request.user, code, import_id)
    return render(
        request,
        "tickets/hotline_import.html",
        {
            "compound": job.compound,
            "job": job,
            "state": import_state(job),
            "report": job.report or {},
            "stalled": job.is_stalled(timezone.now()),
        },
    )


@login_required
def hotline_import_status(
    request: AuthenticatedHttpRequest, code: str, import_id: int
) -> JsonResponse:
    """The job page's poll."""
    job = _get_import_for_user(request.user, code, import_id)
    response = JsonResponse(import_state(job))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def hotline_import_rerun_view(
    request: AuthenticatedHttpRequest, code: str, import_id: int
) -> HttpResponse:
    """重新运行: queue a job whose worker died again (nothing of it was written)."""
    job = _get_import_for_user(request.user, code, import_id)
    if hotline_import_rerun(job=job, actor=request.user):
        messages.info(request, _("已重新排队导入"))
    else:
        messages.info(request, _("该导入仍在进行或已结束，无需重新运行"))
    return redirect("tickets:hotline-import", job.compound.code, job.pk)


@login_required
def notifications_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """我的通知: the user's notifications about this compound's requests, newest first
    (opening a request marks its notifications read)."""
    compound = get_compound_for_user(request.user, code)
    preference = NotificationPreference.objects.filter(user_id=request.user.pk).first()
    form = MailPreferenceForm(instance=preference)
    status = 200
    if request.method == "POST":
        form = MailPreferenceForm(
            request.POST, instance=preference or NotificationPreference(user=request.user)
        )
        if form.is_valid():
            form.save()
            messages.success(request, _("邮件通知设置已保存"))
            return redirect("tickets:notifications", compound.code)
        status = 400
    notes = (
        Notification.objects.filter(user_id=request.user.pk, compound=compound)
        .select_related("request__category")
        .order_by("-created_at", "-id")[:100]
    )
    return render(
        request,
        "tickets/notifications.html",
        {
            "compound": compound,
            "notes": notes,
            "form": form,
            "mail": mail_configured(),
            "has_address": bool(request.user.email),
        },
        status=status,
    )


class MailPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email", "language"]


@login_required
def scorecard_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """服务评分卡: the company's half-year scorecard, for a renewal decision."""
    compound = get_compound_for_user(request.user, code, RATE_READERS)
    today = timezone.localdate()
    raw_year = request.GET.get("year", str(today.year))
    raw_half = request.GET.get("half", "1" if today.month <= 6 else "2")
    status = 200
    if (
        raw_year.isascii()
        and raw_year.isdigit()
        and len(raw_year) == 4
        and 2000 <= int(raw_year) <= today.year
        and raw_half in ("1", "2")
    ):
        year, half = int(raw_year), int(raw_half)
    else:
        messages.error(request, _("年份须为 2000 到 %(year)d 之间") % {"year": today.year})
        year, half, status = today.year, (1 if today.month <= 6 else 2), 400
    return render(
        request,
        "tickets/scorecard.html",
        {
            "compound": compound,
            "card": company_scorecard(compound, year, half),
            "years": list(range(today.year, max(2000, today.year - 5) - 1, -1)),
            "definitions": [str(d) for d in DEFINITIONS.values()],
        },
        status=status,
    )
