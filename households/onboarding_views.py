"""Bringing a compound on board (接管新小区): a street office starts a compound, then works
through a checklist whose state is read from the data (``households.onboarding``).

Street officers of the compound's street office only; anyone else gets 404 as if the
compound did not exist. Every write is one service call: a refused input re-renders the
form with the service's reasons and nothing saved.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.access import get_compound_for_user, get_street_office_for_user
from portal.errors import errors_to_form, errors_to_messages
from portal.models import Compound, Role, ServiceCompany, StreetOffice
from portal.services_compounds import (
    compound_create,
    compound_service_company_set,
    service_company_create,
    service_company_update,
    street_office_companies,
)
from portal.typing import AuthenticatedHttpRequest
from portal.widgets import DateInput

from . import selectors
from .models import Committee, CommitteeMember, CommitteeRole
from .onboarding import latest_committee, onboarding_done, onboarding_steps
from .roster.limits import Limits, RosterFileError, check_size
from .roster_views import BuildingForm
from .services import building_create
from .services.committee import (
    committee_form,
    committee_member_add,
    committee_member_remove,
    committee_member_update,
    committee_update,
)
from .services.roster_buildings import roster_buildings_create

ONBOARDING_ROLES = frozenset({Role.STREET_OFFICER})


class CompoundForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("小区代码"),
        max_length=32,
        help_text=gettext_lazy("2–32位小写字母、数字或连字符，如 mdybl；用于网址，建后不改"),
    )
    name = forms.CharField(label=gettext_lazy("小区名称"), max_length=100)
    address = forms.CharField(label=gettext_lazy("地址"), max_length=200, required=False)
    built_years = forms.CharField(
        label=gettext_lazy("建成年代"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("如 20世纪80年代"),
    )


class CompanyForm(forms.Form):
    """物业服务企业: the name owners know, the legal details contracts carry, and the
    collection account every fee notice prints."""

    name = forms.CharField(label=gettext_lazy("名称"), max_length=200)
    legal_name = forms.CharField(
        label=gettext_lazy("法定全称"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("营业执照上的名称，合同使用"),
    )
    credit_code = forms.CharField(
        label=gettext_lazy("统一社会信用代码"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("18位，见营业执照"),
    )
    contact_phone = forms.CharField(label=gettext_lazy("服务电话"), max_length=32, required=False)
    address = forms.CharField(label=gettext_lazy("地址"), max_length=200, required=False)
    bank_account_name = forms.CharField(
        label=gettext_lazy("收款户名"), max_length=200, required=False
    )
    bank_name = forms.CharField(label=gettext_lazy("开户银行"), max_length=200, required=False)
    bank_account_number = forms.CharField(
        label=gettext_lazy("收款账号"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("收款户名、开户银行、收款账号打印在每张收费通知单上"),
    )


class CompanyPickForm(forms.Form):
    service_company = forms.ModelChoiceField(
        label=gettext_lazy("本街道已合作的企业"),
        queryset=ServiceCompany.objects.none(),
        error_messages={"invalid_choice": gettext_lazy("只能选择本街道已合作的物业服务企业")},
    )

    def __init__(self, *args, office: StreetOffice, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["service_company"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = street_office_companies(office)


class RosterBuildingsForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("名册文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=gettext_lazy("读取文件中的楼号，登记尚未登记的楼栋（类型与层数按房号推测）"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size, Limits.from_settings())
        except RosterFileError as exc:
            raise ValidationError(str(exc)) from None
        return upload


_DATE_ERRORS = {"invalid": gettext_lazy("不是有效日期（格式：2021-06-18）")}


class CommitteeForm(forms.Form):
    formed_on = forms.DateField(
        label=gettext_lazy("成立日期"), widget=DateInput(), error_messages=_DATE_ERRORS
    )
    term_end = forms.DateField(
        label=gettext_lazy("任期届满"),
        widget=DateInput(),
        error_messages=_DATE_ERRORS,
        help_text=gettext_lazy("任期不超过3年"),
    )


class MemberForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100)
    role = forms.ChoiceField(
        label=gettext_lazy("职务"),
        choices=CommitteeRole.choices,
        error_messages={"invalid_choice": gettext_lazy("职务只能是主任、副主任、业主代表或委员")},
    )
    affiliation = forms.CharField(
        label=gettext_lazy("所在单位"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("如 社区居委会、业主 · 3号楼 2门301"),
    )
    term_start = forms.DateField(
        label=gettext_lazy("任期开始"),
        widget=DateInput(),
        required=False,
        error_messages=_DATE_ERRORS,
        help_text=gettext_lazy("不填：与物管会任期相同"),
    )
    term_end = forms.DateField(
        label=gettext_lazy("任期结束"),
        widget=DateInput(),
        required=False,
        error_messages=_DATE_ERRORS,
    )


def _compound(request: AuthenticatedHttpRequest, code: str) -> Compound:
    return get_compound_for_user(request.user, code, ONBOARDING_ROLES)


def _member(request: AuthenticatedHttpRequest, code: str, member_id: int) -> CommitteeMember:
    """A seat of the compound's committee, for its street officers; 404 otherwise."""
    compound = _compound(request, code)
    try:
        member = compound.committee_members.select_related("committee").get(pk=member_id)
    except CommitteeMember.DoesNotExist:
        raise Http404 from None
    member.compound = compound
    return member


@login_required
def onboarding_start(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """GET: a new compound's form and the office's compounds with what each still lacks.
    POST: create it and go on to its checklist."""
    office = get_street_office_for_user(request.user, code)
    status = 200
    form = CompoundForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                compound = compound_create(
                    street_office=office, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("已新建小区：%(name)s") % {"name": compound.name})
                return redirect("onboarding", compound.code)
        status = 400
    compounds = list(selectors.street_office_compounds(office))
    return render(
        request,
        "households/onboarding/start.html",
        {"office": office, "form": form, "compounds": compounds},
        status=status,
    )


@login_required
def onboarding_checklist(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = _compound(request, code)
    steps = onboarding_steps(compound)
    return render(
        request,
        "households/onboarding/checklist.html",
        {
            "compound": compound,
            "steps": steps,
            "done": onboarding_done(steps),
            "trail": _("接管新小区"),
        },
    )


def _render_company(request, compound, *, pick=None, new=None, edit=None, status=200):
    company = compound.service_company
    shared = (
        company is not None
        and company.compounds.exclude(street_office_id=compound.street_office_id).exists()
    )
    if edit is None and company is not None:
        edit = CompanyForm(initial={f: getattr(company, f) for f in CompanyForm.base_fields})
    return render(
        request,
        "households/onboarding/company.html",
        {
            "compound": compound,
            "company": company,
            "shared": shared,
            "pick": pick or CompanyPickForm(office=compound.street_office, prefix="pick"),
            "new": new or CompanyForm(prefix="new"),
            "edit": edit,
            "trail": _("物业服务企业"),
        },
        status=status,
    )


@login_required
def onboarding_company(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The compound's service company: pick one the street office works with, add a new
    one, or set the details of the current one (legal name, collection account)."""
    compound = _compound(request, code)
    if request.method != "POST":
        return _render_company(request, compound)
    action = request.POST.get("action")
    if action == "pick":
        pick = CompanyPickForm(request.POST, office=compound.street_office, prefix="pick")
        if pick.is_valid():
            try:
                compound_service_company_set(
                    compound=compound,
                    service_company=pick.cleaned_data["service_company"],
                    actor=request.user,
                )
            except ValidationError as exc:
                errors_to_form(pick, exc)
            else:
                messages.success(request, _("已选定物业服务企业"))
                return redirect("onboarding_company", compound.code)
        return _render_company(request, compound, pick=pick, status=400)
    if action in ("new", "edit"):
        form = CompanyForm(request.POST, prefix="new" if action == "new" else None)
        if form.is_valid():
            service = service_company_create if action == "new" else service_company_update
            try:
                service(compound=compound, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("已保存物业服务企业信息"))
                return redirect("onboarding_company", compound.code)
        kwargs = {"new": form} if action == "new" else {"edit": form}
        return _render_company(request, compound, status=400, **kwargs)
    return _render_company(request, compound, status=400)


def _render_buildings(request, compound, *, form=None, roster_form=None, status=200):
    return render(
        request,
        "households/onboarding/buildings.html",
        {
            "compound": compound,
            "buildings": selectors.compound_buildings(compound),
            "form": form or BuildingForm(),
            "roster_form": roster_form or RosterBuildingsForm(),
            "trail": _("楼栋与平房区"),
        },
        status=status,
    )


@login_required
def onboarding_buildings(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Buildings one by one, or all those a roster file names at once."""
    compound = _compound(request, code)
    if request.method != "POST":
        return _render_buildings(request, compound)
    if request.POST.get("action") == "roster":
        roster_form = RosterBuildingsForm(request.POST, request.FILES)
        if roster_form.is_valid():
            try:
                created = roster_buildings_create(
                    compound=compound,
                    data=roster_form.cleaned_data["file"].read(),
                    actor=request.user,
                )
            except ValidationError as exc:
                errors_to_form(roster_form, exc)
            else:
                if created:
                    messages.success(
                        request,
                        _("已从名册登记 %(n)d 栋：%(labels)s")
                        % {"n": len(created), "labels": "、".join(b.label for b in created)},
                    )
                else:
                    messages.info(request, _("名册中的楼号都已登记"))
                return redirect("onboarding_buildings", compound.code)
        return _render_buildings(request, compound, roster_form=roster_form, status=400)
    form = BuildingForm(request.POST)
    if form.is_valid():
        try:
            building = building_create(compound=compound, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已添加楼栋：%(label)s") % {"label": building.label})
            return redirect("onboarding_buildings", compound.code)
    return _render_buildings(request, compound, form=form, status=400)


def _render_committee(
    request, compound, committee: Committee | None, *, form=None, member_form=None, status=200
):
    if form is None:
        form = CommitteeForm(
            initial={"formed_on": committee.formed_on, "term_end": committee.term_end}
            if committee
            else None
        )
    return render(
        request,
        "households/onboarding/committee.html",
        {
            "compound": compound,
            "committee": committee,
            "members": list(selectors.committee_members(committee)) if committee else [],
            "problems": committee.composition_problems() if committee else [],
            "form": form,
            "member_form": member_form or MemberForm(prefix="member"),
            "trail": _("物业管理委员会"),
        },
        status=status,
    )


@login_required
def onboarding_committee(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Form the committee (dates), then seat its members; the BJ 54 check says what is
    still missing."""
    compound = _compound(request, code)
    committee = latest_committee(compound)
    if request.method != "POST":
        return _render_committee(request, compound, committee)
    if request.POST.get("action") == "member":
        member_form = MemberForm(request.POST, prefix="member")
        if committee is None:
            member_form.add_error(None, _("请先填写物管会的成立日期和任期"))
        elif member_form.is_valid():
            try:
                member = committee_member_add(
                    committee=committee, actor=request.user, **member_form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(member_form, exc)
            else:
                messages.success(request, _("已添加委员：%(name)s") % {"name": member.name})
                return redirect("onboarding_committee", compound.code)
        return _render_committee(request, compound, committee, member_form=member_form, status=400)
    form = CommitteeForm(request.POST)
    if form.is_valid():
        try:
            if committee is None:
                committee_form(compound=compound, actor=request.user, **form.cleaned_data)
            else:
                committee_update(committee=committee, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已保存物管会任期"))
            return redirect("onboarding_committee", compound.code)
    return _render_committee(request, compound, committee, form=form, status=400)


@login_required
def onboarding_member(request: AuthenticatedHttpRequest, code: str, member_id: int) -> HttpResponse:
    """Change one seat's name, role, affiliation or term."""
    member = _member(request, code, member_id)
    status = 200
    if request.method == "POST":
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                committee_member_update(member=member, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("已保存委员：%(name)s") % {"name": member.name})
                return redirect("onboarding_committee", member.compound.code)
        status = 400
    else:
        form = MemberForm(
            initial={
                f: getattr(member, f)
                for f in ("name", "role", "affiliation", "term_start", "term_end")
            }
        )
    return render(
        request,
        "households/onboarding/member.html",
        {"compound": member.compound, "member": member, "form": form, "trail": member.name},
        status=status,
    )


@login_required
@require_POST
def onboarding_member_remove(
    request: AuthenticatedHttpRequest, code: str, member_id: int
) -> HttpResponse:
    member = _member(request, code, member_id)
    try:
        committee_member_remove(member=member, actor=request.user)
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(request, _("已移除委员：%(name)s") % {"name": member.name})
    return redirect("onboarding_committee", member.compound.code)
