"""Residents' own way in: activation with the letter's code (开通), claims without a letter
(房屋认领), and the committee's review of the claims.

``/activate/`` and ``/claims/new/`` are public (no login): they show nobody's data, only
what the visitor typed (and a prefilled code only in its clean printed form, so a forged
QR link reflects nothing). The review queue is for those who keep the roster.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal.access import get_compound_for_user
from portal.auth import client_ip
from portal.codes import code_format, code_parse
from portal.errors import errors_to_form
from portal.lists import Filter, ListQuery, ListSpec, paginate
from portal.typing import AuthenticatedHttpRequest

from .access import CLAIM_REVIEWERS, get_claim_for_user
from .models import ClaimStatus, OwnershipClaim
from .services.activation import ActivationRefused, ActivationThrottled, account_activate
from .services.claims import claim_approve, claim_create, claim_reject

_LOGIN_BACKEND = "portal.session_user.UserBackend"


class _NewLoginFields(forms.Form):
    """A new login: name and password twice (left out for a visitor already logged in)."""

    username = forms.CharField(
        label=gettext_lazy("登录名"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        help_text=gettext_lazy("字母、数字或 @ . + - _，以后用它登录"),
    )
    password = forms.CharField(
        label=gettext_lazy("密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("再次输入密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, logged_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.logged_in = logged_in
        if logged_in:
            for name in ("username", "password", "password2"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if not self.logged_in:
            if not data.get("username", "").strip():
                self.add_error("username", _("请填写登录名"))
            if not data.get("password"):
                self.add_error("password", _("请填写密码"))
            elif data.get("password") != data.get("password2"):
                self.add_error("password2", _("两次输入的密码不一致"))
        return data


class ActivationForm(_NewLoginFields):
    # No max_length: a code of any length that is not ours gets the one generic answer
    # (the service reads at most the first 64 characters).
    code = forms.CharField(
        label=gettext_lazy("开通码"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "maxlength": "40",
            }
        ),
        help_text=gettext_lazy("通知书上的开通码，如 ABCDE-FGHJK-MNPQR（不区分大小写）"),
    )
    id_suffix = forms.CharField(
        label=gettext_lazy("证件号码后6位"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        help_text=gettext_lazy("名册登记的身份证号码的最后6位，末位X大小写均可"),
    )
    field_order = ["code", "id_suffix", "username", "password", "password2"]


def _prefilled_code(raw: str) -> str:
    """The code from the QR link, only if it reads as one of ours (then in its printed
    form); anything else is dropped, never echoed."""
    parsed = code_parse(raw[:40])
    return code_format("".join(parsed)) if parsed else ""


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """开通账号: the letter's code and the ID suffix; a new login, or (logged in) the
    account in use. Then to the home page, which shows only the resident's flats."""
    logged_in = request.user.is_authenticated
    status = 200
    if request.method == "POST":
        form = ActivationForm(request.POST, logged_in=logged_in)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = account_activate(
                    code=data["code"],
                    id_suffix=data["id_suffix"],
                    username=data.get("username", ""),
                    password=data.get("password", ""),
                    ip=client_ip(request),
                    user=request.user if logged_in else None,  # type: ignore[arg-type]
                )
            except (ActivationRefused, ActivationThrottled) as exc:
                form.add_error(None, str(exc.message))
                status = 429 if isinstance(exc, ActivationThrottled) else 400
            except ValidationError as exc:
                errors_to_form(form, exc)
                status = 400
            else:
                if not logged_in:
                    login(request, result.user, backend=_LOGIN_BACKEND)
                messages.success(
                    request,
                    _("开通成功：已关联 %(n)d 套房屋。") % {"n": len(result.units)},
                )
                return redirect("home")
        else:
            status = 400
    else:
        form = ActivationForm(
            initial={"code": _prefilled_code(request.GET.get("code", ""))}, logged_in=logged_in
        )
    return render(
        request,
        "households/activate.html",
        {"form": form, "logged_in": logged_in},
        status=status,
    )


class ClaimForm(_NewLoginFields):
    compound_code = forms.CharField(
        label=gettext_lazy("小区代码"),
        max_length=50,
        help_text=gettext_lazy("小区公告栏或物管会告知的代码"),
    )
    building = forms.CharField(label=gettext_lazy("楼号"), max_length=32)
    unit_number = forms.CharField(label=gettext_lazy("房号"), max_length=32)
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100)
    id_number = forms.CharField(
        label=gettext_lazy("证件号码"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("须与业主名册登记的一致；仅供物管会核对，页面上只显示脱敏号码"),
    )
    certificate_number = forms.CharField(
        label=gettext_lazy("不动产权证号（选填）"), max_length=64, required=False
    )
    photo = forms.FileField(
        label=gettext_lazy("产权证照片（选填）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    field_order = [
        "compound_code",
        "building",
        "unit_number",
        "name",
        "id_number",
        "certificate_number",
        "photo",
        "username",
        "password",
        "password2",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = _(
            "JPEG 或 PNG，不超过 %(mb)d MB；照片中的位置等信息会被删除"
        ) % {"mb": settings.CLAIM_PHOTO_MAX_BYTES // (1024 * 1024)}

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > settings.CLAIM_PHOTO_MAX_BYTES:
            raise ValidationError(
                _("照片不能超过 %(mb)d MB")
                % {"mb": settings.CLAIM_PHOTO_MAX_BYTES // (1024 * 1024)}
            )
        return photo


@require_http_methods(["GET", "POST"])
def claim_new(request: HttpRequest) -> HttpResponse:
    """认领房屋: for owners without a letter; makes a login when the visitor has none."""
    logged_in = request.user.is_authenticated
    status = 200
    if request.method == "POST":
        form = ClaimForm(request.POST, request.FILES, logged_in=logged_in)
        if form.is_valid():
            data = form.cleaned_data
            photo = data.get("photo")
            try:
                claim = claim_create(
                    user=request.user if logged_in else None,  # type: ignore[arg-type]
                    compound_code=data["compound_code"],
                    building=data["building"],
                    unit_number=data["unit_number"],
                    name=data["name"],
                    id_number=data["id_number"],
                    certificate_number=data["certificate_number"],
                    photo=photo.read(settings.CLAIM_PHOTO_MAX_BYTES + 1) if photo else None,
                    username=data.get("username", ""),
                    password=data.get("password", ""),
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
                status = 400
            else:
                if not logged_in:
                    login(request, claim.user, backend=_LOGIN_BACKEND)
                messages.success(request, _("认领申请已提交，物管会审核后会在此显示结果。"))
                return redirect("my_claims")
        else:
            status = 400
    else:
        form = ClaimForm(logged_in=logged_in)
    return render(
        request, "households/claim_new.html", {"form": form, "logged_in": logged_in}, status=status
    )


@login_required
def my_claims(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的认领: the visitor's own claims, with the committee's answer."""
    claims = request.user.ownership_claims.select_related("unit__building", "compound").order_by(
        "-created_at", "-id"
    )[:50]
    return render(request, "households/my_claims.html", {"claims": claims})


CLAIMS_LIST = ListSpec(per_page=25)
_STATUS_FILTER = Filter("status", gettext_lazy("状态"), ClaimStatus.choices)


@login_required
def claims_queue(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """认领审核: the compound's claims, pending first in the order they came."""
    compound = get_compound_for_user(request.user, code, CLAIM_REVIEWERS)
    query = ListQuery.from_request(request, CLAIMS_LIST, filters=[_STATUS_FILTER])
    status = query.filters["status"] or ClaimStatus.PENDING
    claims = (
        OwnershipClaim.objects.filter(compound=compound, status=status)
        .select_related("unit__building")
        .order_by("created_at", "id")
    )
    page = paginate(claims, query)
    return render(
        request,
        "households/claims.html",
        {
            "compound": compound,
            "list": page,
            "status": status,
            "statuses": ClaimStatus.choices,
        },
        status=query.status,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("驳回理由（申请人可见）"), max_length=200, widget=forms.Textarea
    )


@login_required
@require_http_methods(["GET", "POST"])
def claim_detail(request: AuthenticatedHttpRequest, code: str, claim_id: int) -> HttpResponse:
    """One claim: what the resident gave, the photo, and approve or reject."""
    claim = get_claim_for_user(request.user, code, claim_id)
    reject_form = RejectForm()
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "approve":
                claim_approve(claim=claim, actor=request.user)
                messages.success(request, _("已通过：账号已关联该业主的房屋。"))
                return redirect("claims_queue", code=claim.compound.code)
            if request.POST.get("action") == "reject":
                reject_form = RejectForm(request.POST)
                claim_reject(claim=claim, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("已驳回，申请人会看到理由。"))
                return redirect("claims_queue", code=claim.compound.code)
            raise ValidationError(_("请选择通过或驳回"))
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "reason" in exc.error_dict:
                errors_to_form(reject_form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
            status = 400
            claim = get_claim_for_user(request.user, code, claim_id)
    return render(
        request,
        "households/claim_detail.html",
        {"compound": claim.compound, "claim": claim, "reject_form": reject_form},
        status=status,
    )


@login_required
def claim_photo(request: AuthenticatedHttpRequest, code: str, claim_id: int) -> FileResponse:
    """The claim's photo, only to those who review the compound's claims."""
    claim = get_claim_for_user(request.user, code, claim_id)
    name = claim.photo.name
    if not name or not default_storage.exists(name):
        raise Http404
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
