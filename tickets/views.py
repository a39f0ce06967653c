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
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import Unit
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
from .models import Category, Notification, Party, Rating, Request, State
from .photos import MAX_PHOTOS
from .rates import DEFINITIONS, monthly_rates
from .scorecard import company_scorecard
from .services_hotline import hotline_cases, hotline_export_rows, hotline_import
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
        form = RequestForm(units=unit_choices)
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
                    raise ValidationError({"assignee": _("处理人不属于所选责任方")})
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
                    reopen=request.POST.get("reopen") == "1",
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
    report = None
    status = 200
    form = HotlineForm()
    if request.method == "POST":
        form = HotlineForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            report = hotline_import(
                compound=compound, actor=request.user, data=upload.read(50 * 1024 * 1024)
            )
            if report.ok:
                messages.success(
                    request,
                    _("已导入 %(created)d 件，合并重复行 %(merged)d 行，已导入过 %(already)d 件。")
                    % {
                        "created": report.created,
                        "merged": report.merged,
                        "already": report.already,
                    },
                )
            else:
                status = 400
        else:
            status = 400
    return render(
        request,
        "tickets/hotline.html",
        {
            "compound": compound,
            "form": form,
            "report": report,
            "headers": list(HEADERS.values()),
            "cases": hotline_cases(compound).count(),
        },
        status=status,
    )


@login_required
def notifications_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """我的通知: the user's notifications about this compound's requests, newest first
    (opening a request marks its notifications read)."""
    compound = get_compound_for_user(request.user, code)
    notes = (
        Notification.objects.filter(user_id=request.user.pk, compound=compound)
        .select_related("request__category")
        .order_by("-created_at", "-id")[:100]
    )
    return render(request, "tickets/notifications.html", {"compound": compound, "notes": notes})


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
