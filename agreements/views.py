"""Pages of the agreements app: registers, the agreement with its signing forms, PDF
downloads, filing, and the public verifier."""

import io
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from households.models import PropertyRightUnit
from portal.access import get_compound_for_user, get_street_office_for_user
from portal.errors import errors_to_form, errors_to_messages
from portal.models import STAFF_ROLES, Compound
from portal.typing import AuthenticatedHttpRequest
from portal.widgets import DateInput
from voting.models import Item

from . import selectors, services, verification
from .access import (
    FILER_ROLES,
    get_agreement_for_user,
    get_compound_for_generator,
    get_party_for_user,
    get_revision_for_user,
    get_template_for_user,
    may_file,
    may_generate,
)
from .facts import PLACEHOLDERS
from .models import Agreement, AgreementRevision, AgreementStatus

User = get_user_model()

DEFAULT_VERIFY_MAX_BYTES = 10 * 1024 * 1024
VERIFY_RATE = (30, 10 * 60)  # uploads per client address and window (s)


def verify_max_bytes() -> int:
    return getattr(settings, "AGREEMENT_VERIFY_MAX_BYTES", DEFAULT_VERIFY_MAX_BYTES)


class SignForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("请再次输入您的登录密码以确认签署"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )


class VerifyForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("协议PDF文件"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = verify_max_bytes()
        if upload.size > limit:
            raise ValidationError(
                _("文件过大：%(size)s MB，上限为 %(limit)s MB")
                % {"size": f"{upload.size / 1048576:.1f}", "limit": limit // 1048576}
            )
        head = upload.read(1024)
        upload.seek(0)
        if b"%PDF-" not in head[:1024]:
            raise ValidationError(_("文件不是PDF格式，请上传协议的PDF文件"))
        return upload


class RepresentativeField(forms.ModelChoiceField):
    """A user who may sign for a party, shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        return services.representative_name(obj)


class GenerateForm(forms.Form):
    """Generate an agreement from a passed decision item; each party's representative is
    chosen among the users who hold that party's role in the compound."""

    item = forms.ModelChoiceField(queryset=Item.objects.none(), label=gettext_lazy("授权表决事项"))
    term_start = forms.DateField(label=gettext_lazy("期限开始"), widget=DateInput())
    term_end = forms.DateField(label=gettext_lazy("期限结束"), widget=DateInput())
    committee_rep = RepresentativeField(
        queryset=User.objects.none(), label=gettext_lazy("甲方（物业管理委员会）授权代表")
    )
    company_rep = RepresentativeField(
        queryset=User.objects.none(), label=gettext_lazy("乙方（物业服务企业）授权代表")
    )
    office_rep = RepresentativeField(
        queryset=User.objects.none(), label=gettext_lazy("丙方（街道办事处）授权代表")
    )
    property_units = forms.ModelMultipleChoiceField(
        queryset=PropertyRightUnit.objects.none(),
        label=gettext_lazy("丁方（产权单位，由其授权代表签署）"),
        widget=forms.CheckboxSelectMultiple,
    )
    supersedes = forms.ModelChoiceField(
        queryset=Agreement.objects.none(),
        required=False,
        label=gettext_lazy("取代的协议（修订草案或续签时选择）"),
    )

    def __init__(self, *args, compound: Compound, **kwargs):
        super().__init__(*args, **kwargs)
        self.compound = compound
        for name, queryset in selectors.generation_choices(compound).items():
            cast(forms.ModelChoiceField, self.fields[name]).queryset = queryset

    def party_specs(self) -> list[services.PartySpec]:
        data = self.cleaned_data
        return services.party_specs_for(
            compound=self.compound,
            committee_rep=data["committee_rep"],
            company_rep=data["company_rep"],
            office_rep=data["office_rep"],
            property_units=list(data["property_units"]),
        )


@login_required
def agreement_generate(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_generator(request.user, code)
    form = GenerateForm(request.POST or None, compound=compound)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_generate(
                item=form.cleaned_data["item"],
                parties=form.party_specs(),
                term_start=form.cleaned_data["term_start"],
                term_end=form.cleaned_data["term_end"],
                actor=request.user,
                supersedes=form.cleaned_data["supersedes"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("协议已生成，PDF生成后各方即可签署。"))
            return redirect(agreement)
    items = [
        (item, services.generation_blockers(item), services.term_start_window(item))
        for item in selectors.authorising_items(compound)
    ]
    return render(
        request,
        "agreements/generate.html",
        {
            "compound": compound,
            "form": form,
            "items": items,
            "max_months": services.max_months_after_decision(),
            "short_names": services.missing_legal_names(compound),
        },
    )


class TemplateForm(forms.Form):
    """The template as people edit it: one clause per block, each starting with
    ``## 标题`` on its own line, its text below."""

    title = forms.CharField(label=gettext_lazy("协议标题"), max_length=200)
    preamble = forms.CharField(
        label=gettext_lazy("序言"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    clauses = forms.CharField(
        label=gettext_lazy("条款（每条以“## 标题”开头）"),
        widget=forms.Textarea(attrs={"rows": 30}),
    )

    @staticmethod
    def clauses_as_text(clauses: list[dict]) -> str:
        return "\n\n".join(f"## {c['title']}\n{c['body']}" for c in clauses)

    def clean_clauses(self) -> list[dict]:
        text = self.cleaned_data["clauses"].replace("\r\n", "\n").strip()
        if not text.startswith("## "):
            raise ValidationError(_("条款须以“## 标题”开头"))
        clauses = []
        for block in text.split("\n## "):
            head, _sep, body = block.removeprefix("## ").partition("\n")
            clauses.append({"title": head.strip(), "body": body.strip()})
        return clauses


@login_required
def template_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Edit the compound's agreement template; saving makes a new version."""
    template = get_template_for_user(request.user, code)
    compound = template.compound
    initial = {
        "title": template.title,
        "preamble": template.preamble,
        "clauses": TemplateForm.clauses_as_text(template.clauses),
    }
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.agreement_template_update(
                template=template,
                title=form.cleaned_data["title"],
                preamble=form.cleaned_data["preamble"],
                clauses=form.cleaned_data["clauses"],
                actor=request.user,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("模板已保存为第%(v)s版，之后生成的协议将使用新版本。") % {"v": new.version},
            )
            return redirect("agreement_template", code=compound.code)
    return render(
        request,
        "agreements/template.html",
        {
            "compound": compound,
            "template": template,
            "form": form,
            "placeholders": PLACEHOLDERS,
        },
    )


# ---------------------------------------------------------------- registers


@login_required
def agreement_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    rows = selectors.agreement_rows(selectors.compound_agreements(compound))
    can_generate = may_generate(request.user, compound)
    return render(
        request,
        "agreements/list.html",
        {"compound": compound, "rows": rows, "can_generate": can_generate},
    )


@login_required
def office_agreement_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    office = get_street_office_for_user(request.user, code)
    rows = selectors.agreement_rows(selectors.office_agreements(office))
    return render(
        request,
        "agreements/office_list.html",
        {"office": office, "rows": rows, "today": timezone.localdate()},
    )


# ---------------------------------------------------------------- one agreement


@login_required
def agreement_detail(
    request: AuthenticatedHttpRequest, code: str, agreement_id: int
) -> HttpResponse:
    agreement = get_agreement_for_user(request.user, code, agreement_id)
    agreement = selectors.compound_agreements(agreement.compound).get(pk=agreement.pk)
    row = selectors.agreement_row(agreement)
    mine = [
        p for p in selectors.parties_of_user(agreement, request.user) if not hasattr(p, "signature")
    ]
    return render(
        request,
        "agreements/detail.html",
        {
            "compound": agreement.compound,
            "agreement": agreement,
            "row": row,
            "my_parties": mine if agreement.is_signable else [],
            "sign_form": SignForm(),
            "revisions": agreement.revisions.order_by("number"),
            "can_file": agreement.status == AgreementStatus.EFFECTIVE
            and may_file(request.user, agreement.compound),
            "successor": next(iter(agreement.successors.all()), None),
        },
    )


@login_required
@require_POST
def agreement_sign(
    request: AuthenticatedHttpRequest, code: str, agreement_id: int, party_id: int
) -> HttpResponse:
    party = get_party_for_user(request.user, code, agreement_id, party_id)
    agreement = party.agreement
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请输入登录密码以确认签署"))
        return redirect(agreement)
    try:
        signature = services.agreement_sign(
            agreement=agreement,
            party=party,
            user=request.user,
            password=form.cleaned_data["password"],
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
        return redirect(agreement)
    agreement.refresh_from_db()
    if agreement.status == AgreementStatus.EFFECTIVE:
        messages.success(
            request,
            _("已代表%(org)s签署。各方均已签署，协议已生效，请于%(deadline)s前报街道办事处备案。")
            % {"org": party.organisation, "deadline": agreement.filing_deadline},
        )
    else:
        messages.success(
            request,
            _("已代表%(org)s签署（第%(n)s次修订）。")
            % {"org": party.organisation, "n": signature.revision_number},
        )
    return redirect(agreement)


@login_required
def agreement_pdf(request: AuthenticatedHttpRequest, code: str, agreement_id: int) -> FileResponse:
    """The latest revision, or ``?revision=N``."""
    number = request.GET.get("revision")
    if number is not None and not number.isdigit():
        raise Http404
    revision = get_revision_for_user(
        request.user, code, agreement_id, int(number) if number is not None else None
    )
    return pdf_response(revision)


def pdf_response(revision: AgreementRevision) -> FileResponse:
    data = services.revision_bytes(revision)
    return FileResponse(
        io.BytesIO(data),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{revision.agreement.number}-r{revision.number}.pdf",
    )


@login_required
@require_POST
def agreement_file(request: AuthenticatedHttpRequest, code: str, agreement_id: int) -> HttpResponse:
    agreement = get_agreement_for_user(request.user, code, agreement_id, FILER_ROLES)
    try:
        services.agreement_file(agreement=agreement, actor=request.user)
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(request, _("已登记备案"))
    return redirect(agreement)


@login_required
def agreement_verify_stored(
    request: AuthenticatedHttpRequest, code: str, agreement_id: int
) -> HttpResponse:
    """Run the public verifier over the stored latest revision."""
    revision = get_revision_for_user(request.user, code, agreement_id)
    agreement = revision.agreement
    report = verification.verify_document(services.revision_bytes(revision))
    return render(
        request,
        "agreements/verify.html",
        {
            "report": report,
            "compound": agreement.compound,
            "agreement": agreement,
        },
    )


# ---------------------------------------------------------------- public verifier


def too_large_message() -> str:
    return _("文件过大：上限为 %(limit)s MB") % {"limit": verify_max_bytes() // 1048576}


def _client_key(request: HttpRequest) -> str:
    return f"agreements:verify-rate:{request.META.get('REMOTE_ADDR', '')}"


def verify_rate_limited(request: HttpRequest) -> bool:
    """Uploads to the public verifier are limited per client address (validation is CPU)."""
    limit, window = VERIFY_RATE
    key = _client_key(request)
    if cache.add(key, 1, window):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:
        return False


def _verify_upload(
    request: HttpRequest,
) -> tuple[int, VerifyForm, str, verification.VerificationReport | None]:
    """The HTTP status, the form, an error outside the form, and the report if any."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > verify_max_bytes() + 64 * 1024:
        # Refuse before Django reads the body into a temporary file.
        return 413, VerifyForm(), too_large_message(), None
    if verify_rate_limited(request):
        return 429, VerifyForm(), _("核验过于频繁，请稍后再试"), None
    form = VerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        return 400, form, "", None
    try:
        return 200, form, "", verification.verify_document(form.cleaned_data["file"].read())
    except verification.NotAPdfError as exc:
        form.add_error("file", str(exc))
        return 400, form, "", None


def verify_public(request: HttpRequest) -> HttpResponse:
    """Anyone uploads an agreement PDF and sees each signature and whether it was changed."""
    status, form, error, report = 200, VerifyForm(), "", None
    if request.method == "POST":
        status, form, error, report = _verify_upload(request)
    return render(
        request,
        "agreements/verify.html",
        {
            "form": form,
            "upload_error": error,
            "report": report,
            "max_mb": verify_max_bytes() // 1048576,
        },
        status=status,
    )
