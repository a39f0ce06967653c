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
from .services.staff import GRANTABLE_ROLES, StaffScope, staff_account_create
from .staff_selectors import scoped_accounts


class MemberInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="登录名（字母、数字、@.+-_）")
    name = serializers.CharField(max_length=150, help_text="姓名")
    role = serializers.CharField(
        max_length=32,
        help_text="One of: "
        + ", ".join(r.value for r in GRANTABLE_ROLES)
        + ". `resident` is refused: residents activate with their letter or a claim.",
    )
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


class MemberCreateView(CompoundScopedAPIView, generics.ListAPIView):
    """成员: the compound's staff accounts (GET), or create one with one role in this
    compound's scope (POST)."""

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
            if _has_code(exc, "outside_scope"):
                raise exceptions.PermissionDenied(" ".join(exc.messages)) from None
            raise
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
