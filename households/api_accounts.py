"""API v1: staff accounts of a compound (issue 11 item 2).

``GET /api/v1/compounds/{code}/members/`` lists the accounts holding a managing role
there (street officers of its office, its committee members and property-right-unit
representatives, the staff of the company serving it), with those roles; residents are
not listed. For street officers of the compound's office; a company administrator sees
their company's staff only.

``POST /api/v1/compounds/{code}/members/`` ``{"username", "name", "role"}`` creates an
account with one role and answers 201 ``{"username", "one_time_password"}``: the password
is the account's until its first change (a normal login and the token endpoint work with
it; the first page after login asks for a new one). For street officers of the compound's
street office, and for company administrators adding staff to their own company; anyone
else gets 404 (no role in the compound) or 403 (a role outside their scope), and nothing
is created. The rules are the pages' (``households.services.staff``).

One member of that list, ``/api/v1/compounds/{code}/members/{username}/`` … (issue 11
item 6), for the same callers:

- ``POST …/roles/`` ``{"role"}`` grants a role in this compound's scope (a street officer
  of its office, a committee member or property-right-unit representative of it, staff of
  the company serving it): 201 with the member as the list shows it, 200 if they held it;
- ``DELETE …/roles/{role}/`` revokes that role in this compound's scope: 204;
- ``POST …/deactivate/`` (sessions and API tokens end at once) and ``POST …/reactivate/``:
  200 with the member.

A username not in the caller's list answers 404 like a missing one (accounts elsewhere are
never revealed). The services' refusals (the office's last street officer, the caller's
own account, a role or account outside their scope) answer 400, or 403 for the scope, with
their message in the request's language, and change nothing.
"""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api import CompoundScopedAPIView
from portal.models import Compound, Role

from .models import PropertyRightUnit
from .services.staff import (
    GRANTABLE_ROLES,
    StaffScope,
    account_deactivate,
    account_reactivate,
    staff_account_create,
    staff_membership_grant,
    staff_membership_revoke,
)
from .staff_selectors import scoped_accounts

_ROLE_HELP = (
    "One of: "
    + ", ".join(r.value for r in GRANTABLE_ROLES)
    + ". `resident` is refused: residents activate with their letter or a claim."
)


class MemberInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="登录名（字母、数字、@.+-_）")
    name = serializers.CharField(max_length=150, help_text="姓名")
    role = serializers.CharField(max_length=32, help_text=_ROLE_HELP)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        max_length=128,
        help_text="Optional: a password of your choice instead of a generated one "
        "(Django's password validators apply); it must still be changed at first login.",
    )
    property_unit = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Optional, property_unit_rep only: the name of a property-right unit of "
        "this compound; the new account becomes its representative (授权代表).",
    )
    company_admin = serializers.BooleanField(
        required=False,
        default=False,
        help_text="company_staff only, street officers only: the new account administers "
        "the company's staff accounts (企业管理员).",
    )


class MemberCreatedSerializer(serializers.Serializer):
    username = serializers.CharField()
    one_time_password = serializers.CharField(
        help_text="Shown once, never stored in clear: hand it to the person."
    )


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.CharField()
    street_office = serializers.CharField(
        source="street_office.code", default=None, help_text="street_officer: the office code"
    )
    compound = serializers.CharField(
        source="compound.code", default=None, help_text="committee_member, property_unit_rep"
    )
    service_company = serializers.CharField(
        source="service_company.name", default=None, help_text="company_staff: the company"
    )
    company_admin = serializers.BooleanField(source="can_manage_staff")


class MemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="first_name")
    roles = MemberRoleSerializer(many=True, source="scoped_memberships")

    class Meta:
        model = User
        fields = ["username", "name", "is_active", "roles"]


def _has_code(error: ValidationError, code: str) -> bool:
    if hasattr(error, "error_dict"):
        return any(e.code == code for errors in error.error_dict.values() for e in errors)
    return any(e.code == code for e in error.error_list)


def _refusal(error: ValidationError) -> Exception:
    """A service's refusal as the API answers it: outside the caller's scope is 403, any
    other rule 400 (``portal.api.exception_handler``), with the service's message."""
    if _has_code(error, "outside_scope"):
        return exceptions.PermissionDenied(" ".join(error.messages))
    return error


class MembersOfCompound(CompoundScopedAPIView):
    """The compound's staff accounts the caller manages: street officers of its office see
    them all, a company administrator their company's staff; anyone else is refused."""

    allowed_roles = (Role.STREET_OFFICER, Role.COMPANY_STAFF)
    serializer_class = MemberSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[User]:
        user = self.request.user
        if not user.is_authenticated:  # refused with the compound already; narrows the type
            raise exceptions.NotAuthenticated
        scope = StaffScope.of(user)
        company = Q(role=Role.COMPANY_STAFF, service_company_id=compound.service_company_id)
        if scope.superuser or compound.street_office_id in scope.office_ids:
            members = (
                Q(role=Role.STREET_OFFICER, street_office_id=compound.street_office_id)
                | Q(role__in=[Role.COMMITTEE_MEMBER, Role.PROPERTY_UNIT_REP], compound=compound)
                | company
            )
        elif compound.service_company_id in scope.admin_company_ids:
            members = company
        else:
            raise exceptions.PermissionDenied(
                _("只有该小区所属街道的工作人员或物业企业管理员可以查看成员。")
            )
        return scoped_accounts(members)


class MemberCreateView(MembersOfCompound, generics.ListAPIView):
    """成员: the compound's staff accounts (GET), or create one with one role in this
    compound's scope (POST)."""

    @extend_schema(
        request=MemberInSerializer,
        responses={
            201: MemberCreatedSerializer,
            400: OpenApiResponse(
                description="Unknown role, resident, duplicate login, weak password, "
                "no service company, …: a message in the request's language"
            ),
            403: OpenApiResponse(description="The role lies outside the caller's scope"),
            404: OpenApiResponse(description="No such compound, or not the caller's"),
        },
        examples=[
            OpenApiExample(
                "A committee member",
                value={"username": "wang.wei", "name": "王伟", "role": "committee_member"},
                request_only=True,
            ),
            OpenApiExample(
                "Created",
                value={"username": "wang.wei", "one_time_password": "ABCDE-FGHJK-MN"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        compound = self.compound  # 404 before anything is read from the body
        payload = MemberInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        property_unit = None
        if data.get("property_unit"):
            property_unit = PropertyRightUnit.objects.filter(
                compound=compound, name=data["property_unit"].strip()
            ).first()
            if property_unit is None:
                raise exceptions.ValidationError(
                    {"property_unit": [_unknown_property_unit(compound, data["property_unit"])]}
                )
        try:
            made = staff_account_create(
                actor=request.user,  # type: ignore[arg-type]
                username=data["username"],
                display_name=data["name"],
                role=data["role"],
                compound=compound,
                property_unit=property_unit,
                password=data.get("password", ""),
                company_admin=data.get("company_admin", False),
            )
        except ValidationError as exc:
            raise _refusal(exc) from None
        response = Response(
            MemberCreatedSerializer(
                {"username": made.user.username, "one_time_password": made.one_time_password}
            ).data,
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response


def _unknown_property_unit(compound: Compound, name: str) -> str:
    return _("小区“%(compound)s”中没有名为“%(name)s”的产权单位") % {
        "compound": compound.name,
        "name": name,
    }


# --- one member: roles, deactivate, reactivate (issue 11 item 6) -----------------------------


class RoleInSerializer(serializers.Serializer):
    role = serializers.CharField(max_length=32, help_text=_ROLE_HELP)
    company_admin = serializers.BooleanField(
        required=False,
        default=False,
        help_text="company_staff only, street officers only: the member also administers "
        "the company's staff accounts (企业管理员); refused (400) with any other role.",
    )


class MemberActionView(MembersOfCompound):
    """The base of the one-member endpoints: the member named by ``username``, looked up
    among the caller's list of this compound (404 else)."""

    lookup_field = "username"
    lookup_url_kwarg = "username"

    def member(self) -> User:
        """The member (404 for a compound not the caller's, before the body is read)."""
        member: User = self.get_object()
        return member

    def answer(self, member: User, status_code: int = status.HTTP_200_OK) -> Response:
        """The member re-read as the list shows it (roles and state after the change)."""
        fresh = self.get_queryset().get(pk=member.pk)
        return Response(MemberSerializer(fresh).data, status=status_code)


_COMMON_REFUSALS = {
    403: OpenApiResponse(
        description="Outside the caller's scope (a company member without company "
        "administration, a role or an account the caller does not manage)"
    ),
    404: OpenApiResponse(
        description="No such compound or member, or not the caller's (accounts outside "
        "the caller's list of this compound are never revealed)"
    ),
}


class MemberRolesView(MemberActionView):
    """成员角色: grant the member a role in this compound's scope."""

    @extend_schema(
        request=RoleInSerializer,
        responses={
            201: MemberSerializer,
            200: OpenApiResponse(MemberSerializer, description="The member held it already"),
            400: OpenApiResponse(
                description="Unknown role, resident, a deactivated account, no service "
                "company: a message in the request's language"
            ),
            **_COMMON_REFUSALS,
        },
        examples=[
            OpenApiExample("A committee seat", value={"role": "committee_member"}),
            OpenApiExample(
                "The company's staff administrator",
                value={"role": "company_staff", "company_admin": True},
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.member()
        payload = RoleInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            _membership, created = staff_membership_grant(
                actor=request.user,  # type: ignore[arg-type]
                user=member,
                role=payload.validated_data["role"],
                compound=self.compound,
                company_admin=payload.validated_data["company_admin"],
            )
        except ValidationError as exc:
            raise _refusal(exc) from None
        return self.answer(member, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MemberRoleView(MemberActionView):
    """成员角色: revoke the member's role in this compound's scope."""

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Revoked"),
            400: OpenApiResponse(
                description="The street office's last active street officer: a message in "
                "the request's language"
            ),
            **_COMMON_REFUSALS,
        },
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.member()
        # The member's memberships inside the caller's list of this compound: one per role.
        membership = next(
            (
                m
                for m in member.scoped_memberships  # type: ignore[attr-defined]
                if m.role == self.kwargs["role"]
            ),
            None,
        )
        if membership is None:
            raise exceptions.NotFound
        try:
            staff_membership_revoke(actor=request.user, membership=membership)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise _refusal(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


_STATE_REFUSALS = {
    400: OpenApiResponse(
        description="The caller's own account, or the street office's last active street "
        "officer: a message in the request's language"
    ),
    403: OpenApiResponse(
        description="Outside the caller's scope, also an account holding roles the caller "
        "does not manage (revoke its roles here instead)"
    ),
    404: _COMMON_REFUSALS[404],
}


class MemberDeactivateView(MemberActionView):
    """停用成员: the account can no longer log in; its sessions and API tokens end now."""

    @extend_schema(request=None, responses={200: MemberSerializer, **_STATE_REFUSALS})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.member()
        try:
            account_deactivate(actor=request.user, user=member)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise _refusal(exc) from None
        return self.answer(member)


class MemberReactivateView(MemberActionView):
    """恢复成员: a deactivated account logs in again (with its old password)."""

    @extend_schema(request=None, responses={200: MemberSerializer, **_STATE_REFUSALS})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.member()
        try:
            account_reactivate(actor=request.user, user=member)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise _refusal(exc) from None
        return self.answer(member)
