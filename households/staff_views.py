"""Staff-account pages (issue 11 item 2): a street office's accounts
(``/so/<code>/accounts/``) and a company administrator's staff (``/company/<id>/staff/``).

Lists are ``portal.lists`` lists (search by login or name, role and status filters, a page
at a time). Creating an account answers with the one-time password on the result page
itself, once: it is never stored in clear, never put in a redirect URL, a message or a
log, and the page is not cached. Changing roles, deactivating and reactivating each go
through a confirmation. The services (``households.services.staff``) decide who may do
what; these pages only choose what to show.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import get_street_office_for_user
from portal.errors import errors_to_form
from portal.lists import Filter, ListQuery, ListSpec, paginate
from portal.models import Compound, Membership, Role, ServiceCompany, StreetOffice
from portal.typing import AuthenticatedHttpRequest

from .services.staff import (
    GRANTABLE_ROLES,
    StaffScope,
    account_deactivate,
    account_reactivate,
    company_admin_set,
    staff_account_create,
    staff_membership_grant,
    staff_membership_revoke,
)
from .staff_selectors import (
    company_membership_q,
    get_company_for_admin,
    get_scoped_account,
    office_membership_q,
    scoped_accounts,
)

ACCOUNTS_LIST = ListSpec(per_page=50)
STATUS_CHOICES = [("active", gettext_lazy("在用")), ("inactive", gettext_lazy("已停用"))]
# Actions that change access go through a confirmation page first.
CONFIRMED_ACTIONS = {"deactivate", "reactivate", "revoke"}


class AccountForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("登录名"),
        max_length=150,
        help_text=gettext_lazy("字母、数字或 @ . + - _，创建后不能修改"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=150)


class RoleForm(forms.Form):
    """A role and where it applies: company staff belong to the company serving the chosen
    compound, a street officer to this street office."""

    role = forms.ChoiceField(label=gettext_lazy("角色"))
    compound = forms.ChoiceField(
        label=gettext_lazy("小区"),
        required=False,
        help_text=gettext_lazy("街道工作人员不需选择；物业企业人员属于为该小区服务的企业"),
    )
    company_admin = forms.BooleanField(
        label=gettext_lazy("设为企业管理员（可管理本企业人员账号）"), required=False
    )

    def __init__(self, *args, compounds: list[Compound], **kwargs):
        super().__init__(*args, **kwargs)
        self.compounds = {c.code: c for c in compounds}
        role_field = self.fields["role"]
        compound_field = self.fields["compound"]
        assert isinstance(role_field, forms.ChoiceField)
        assert isinstance(compound_field, forms.ChoiceField)
        role_field.choices = [(r.value, r.label) for r in GRANTABLE_ROLES]
        compound_field.choices = [("", "—")] + [(c.code, c.name) for c in compounds]

    def chosen_compound(self) -> Compound | None:
        return self.compounds.get(self.cleaned_data.get("compound") or "")


class CreateForm(AccountForm, RoleForm):
    pass


@dataclass
class Place:
    """The page's scope: a street office or a company, with its URLs and its accounts."""

    office: StreetOffice | None
    company: ServiceCompany | None
    scope: Q
    list_url: str
    detail_url: Callable[[int], str]
    title: str

    @property
    def roles(self) -> list[tuple[str, str]]:
        if self.company is not None:
            return [(Role.COMPANY_STAFF.value, str(Role.COMPANY_STAFF.label))]
        return [(r.value, str(r.label)) for r in Role]

    def compounds(self) -> list[Compound]:
        if self.office is None:
            return []
        return list(self.office.compounds.select_related("service_company").order_by("name"))


def _office_place(request: AuthenticatedHttpRequest, code: str) -> Place:
    office = get_street_office_for_user(request.user, code)
    return Place(
        office=office,
        company=None,
        scope=office_membership_q(office),
        list_url=reverse("office_accounts", args=[office.code]),
        detail_url=lambda pk: reverse("office_account", args=[office.code, pk]),
        title=_("%(office)s · 账号管理") % {"office": office.name},
    )


def _company_place(request: AuthenticatedHttpRequest, company_id: int) -> Place:
    company = get_company_for_admin(request.user, company_id)
    return Place(
        office=None,
        company=company,
        scope=company_membership_q(company),
        list_url=reverse("company_staff", args=[company.pk]),
        detail_url=lambda pk: reverse("company_staff_account", args=[company.pk, pk]),
        title=_("%(company)s · 员工账号") % {"company": company.name},
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


def _list_page(
    request: AuthenticatedHttpRequest,
    place: Place,
    form: forms.Form,
    status: int = 200,
) -> HttpResponse:
    query = ListQuery.from_request(
        request,
        ACCOUNTS_LIST,
        [
            Filter("role", _("角色"), place.roles),
            Filter("status", _("状态"), STATUS_CHOICES),
        ],
    )
    accounts = scoped_accounts(
        place.scope,
        search=query.search.text,
        role=query.filters["role"],
        status=query.filters["status"],
    )
    page = paginate(accounts, query)
    rows = [(account, place.detail_url(account.pk)) for account in page.rows]
    return render(
        request,
        "households/staff/accounts.html",
        {"place": place, "list": page, "rows": rows, "form": form},
        status=max(status, query.status),
    )


def _create(request: AuthenticatedHttpRequest, place: Place) -> HttpResponse:
    compounds = place.compounds()
    form: forms.Form
    if place.company is not None:
        form = AccountForm(request.POST)
    else:
        form = CreateForm(request.POST, compounds=compounds)
    if not form.is_valid():
        return _list_page(request, place, form, status=400)
    data = form.cleaned_data
    try:
        if place.company is not None:
            made = staff_account_create(
                actor=request.user,
                username=data["username"],
                display_name=data["name"],
                role=Role.COMPANY_STAFF,
                service_company=place.company,
            )
        else:
            assert isinstance(form, CreateForm)
            made = staff_account_create(
                actor=request.user,
                username=data["username"],
                display_name=data["name"],
                role=data["role"],
                street_office=place.office,
                compound=form.chosen_compound(),
                company_admin=data["company_admin"],
            )
    except ValidationError as exc:
        errors_to_form(form, exc)
        return _list_page(request, place, form, status=400)
    # The one-time password goes into this response only: no redirect, no message.
    response = render(
        request,
        "households/staff/created.html",
        {
            "place": place,
            "account": made.user,
            "membership": made.membership,
            "one_time_password": made.one_time_password,
            "detail_url": place.detail_url(made.user.pk),
        },
    )
    return _no_store(response)


def _blank_create_form(place: Place) -> forms.Form:
    if place.company is not None:
        return AccountForm()
    return CreateForm(compounds=place.compounds())


@login_required
def office_accounts(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """账号管理: the street office's accounts, and a form to create one."""
    place = _office_place(request, code)
    if request.method == "POST":
        return _create(request, place)
    return _list_page(request, place, _blank_create_form(place))


@login_required
def company_staff(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """员工账号: a company administrator's staff accounts, and a form to create one."""
    place = _company_place(request, company_id)
    if request.method == "POST":
        return _create(request, place)
    return _list_page(request, place, _blank_create_form(place))


def _membership_of(account: User, raw: str) -> Membership:
    """One of the account's memberships inside the page's scope, else 404."""
    for membership in account.scoped_memberships:  # type: ignore[attr-defined]
        if str(membership.pk) == raw:
            return membership
    raise Http404


def _detail(request: AuthenticatedHttpRequest, place: Place, user_id: int) -> HttpResponse:
    account = get_scoped_account(place.scope, user_id)
    actor_scope = StaffScope.of(request.user)
    compounds = place.compounds()
    grant_form = RoleForm(compounds=compounds) if place.company is None else None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        membership = None
        if action in {"revoke", "admin_on", "admin_off"}:
            membership = _membership_of(account, request.POST.get("membership", ""))
        if action in CONFIRMED_ACTIONS and request.POST.get("confirmed") != "1":
            return render(
                request,
                "households/staff/confirm.html",
                {
                    "place": place,
                    "account": account,
                    "action": action,
                    "membership": membership,
                    "detail_url": place.detail_url(account.pk),
                },
            )
        try:
            done = _act(request, place, account, action, membership, compounds)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            status = 400
        else:
            if isinstance(done, RoleForm):
                grant_form, status = done, 400
            else:
                messages.success(request, done)
                return redirect(place.detail_url(account.pk))
        account = get_scoped_account(place.scope, user_id)
    return render(
        request,
        "households/staff/account.html",
        {
            "place": place,
            "account": account,
            "grant_form": grant_form,
            "can_name_admins": place.company is None,
            "actor_scope": actor_scope,
            "is_self": account.pk == request.user.pk,
        },
        status=status,
    )


def _act(
    request: AuthenticatedHttpRequest,
    place: Place,
    account: User,
    action: str,
    membership: Membership | None,
    compounds: list[Compound],
) -> str | RoleForm:
    """Do one action; the success message, or the grant form with its errors."""
    actor = request.user
    name = account.get_full_name() or account.get_username()
    if action == "deactivate":
        account_deactivate(actor=actor, user=account)
        return _("已停用账号 %(name)s：其登录和 API 令牌已立即失效。") % {"name": name}
    if action == "reactivate":
        account_reactivate(actor=actor, user=account)
        return _("已恢复账号 %(name)s。") % {"name": name}
    if action == "revoke" and membership is not None:
        staff_membership_revoke(actor=actor, membership=membership)
        return _("已撤销 %(name)s 的角色：%(role)s。") % {
            "name": name,
            "role": membership.get_role_display(),
        }
    if action in {"admin_on", "admin_off"} and membership is not None and place.company is None:
        company_admin_set(actor=actor, membership=membership, value=action == "admin_on")
        if action == "admin_on":
            return _("已将 %(name)s 设为企业管理员。") % {"name": name}
        return _("已取消 %(name)s 的企业管理员。") % {"name": name}
    if action == "grant" and place.company is None:
        form = RoleForm(request.POST, compounds=compounds)
        if not form.is_valid():
            return form
        try:
            granted, created = staff_membership_grant(
                actor=actor,
                user=account,
                role=form.cleaned_data["role"],
                street_office=place.office,
                compound=form.chosen_compound(),
                company_admin=form.cleaned_data["company_admin"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
            return form
        if not created:
            return _("%(name)s 已有该角色。") % {"name": name}
        return _("已授予 %(name)s 角色：%(role)s。") % {
            "name": name,
            "role": granted.get_role_display(),
        }
    raise Http404


@login_required
def office_account(request: AuthenticatedHttpRequest, code: str, user_id: int) -> HttpResponse:
    """One account of the street office: its roles here, grant and revoke, deactivate."""
    return _detail(request, _office_place(request, code), user_id)


@login_required
def company_staff_account(
    request: AuthenticatedHttpRequest, company_id: int, user_id: int
) -> HttpResponse:
    """One staff account of the company: deactivate, reactivate, revoke."""
    return _detail(request, _company_place(request, company_id), user_id)
