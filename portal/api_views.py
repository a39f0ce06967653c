"""API v1 at the top: obtaining a token, and the caller's compounds.

Everything below ``compounds/{code}/`` is a :class:`portal.api.CompoundScopedAPIView`.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from households.models import Building, Unit

from .access import compounds_for
from .api import CompoundScopedAPIView
from .audit import audit_record
from .auth import LockedOut, lockout_message, token_expired
from .models import Compound
from .serializers import CompoundDetailSerializer, CompoundSerializer


class TokenObtainThrottle(SimpleRateThrottle):
    """Password guessing through the token endpoint is slowed per client address."""

    scope = "auth_token"
    rate = "10/minute"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenObtainView(ObtainAuthToken):
    """Exchange a username and password for the caller's API token (one per user)."""

    # Credentials come in the body; a browser session must not turn this into a CSRF target.
    authentication_classes = ()
    throttle_classes = (TokenObtainThrottle,)

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("AuthTokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong username or password"),
            429: OpenApiResponse(description="Too many attempts, or locked out"),
        },
        auth=[],
        description=(
            "Send `username` and `password`; use the returned key as "
            "`Authorization: Token <key>`. Limited to 10 attempts per minute per address; "
            "after 5 failed logins the account and the address are locked for 15 minutes "
            "(429). A token expires after `API_TOKEN_LIFETIME_HOURS` (24) and is revoked by "
            "a password change, a logout or a deactivation."
        ),
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        # django-axes flags the request it was handed (DRF's) when the account or the
        # address is locked out: say so instead of "wrong password".
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(lockout_message())
        if not valid:
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, created = Token.objects.get_or_create(user=user)
        if not created and token_expired(token):
            token.delete()
            token, created = Token.objects.create(user=user), True
        if created:
            audit_record(action="api.token_issued", actor=user, obj=user)
        return Response({"token": token.key})


def _with_household_counts(compounds: QuerySet[Compound]) -> QuerySet[Compound]:
    """Annotate ``households`` (units) with a subquery, so no join multiplies the rows."""
    units = (
        Unit.objects.filter(compound=OuterRef("pk"))
        .order_by()
        .values("compound")
        .annotate(n=Count("id"))
        .values("n")
    )
    return compounds.annotate(households=Coalesce(Subquery(units, output_field=IntegerField()), 0))


def _with_register_totals(compounds: QuerySet[Compound]) -> QuerySet[Compound]:
    """Households plus buildings, known area and units without area."""
    units = Unit.objects.filter(compound=OuterRef("pk")).order_by().values("compound")
    buildings = (
        Building.objects.filter(compound=OuterRef("pk"))
        .order_by()
        .values("compound")
        .annotate(n=Count("id"))
        .values("n")
    )
    area = DecimalField(max_digits=14, decimal_places=2)
    return _with_household_counts(compounds).annotate(
        building_count=Coalesce(Subquery(buildings, output_field=IntegerField()), 0),
        known_area=Coalesce(
            Subquery(units.annotate(a=Sum("floor_area")).values("a"), output_field=area),
            Decimal("0.00"),
            output_field=area,
        ),
        units_without_area=Coalesce(
            Subquery(
                units.filter(floor_area__isnull=True).annotate(n=Count("id")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
    )


class CompoundListView(generics.ListAPIView):
    """The compounds the caller holds any role in, with their household counts."""

    serializer_class = CompoundSerializer

    def get_queryset(self) -> QuerySet[Compound]:
        return _with_household_counts(compounds_for(self.request.user)).order_by(
            "street_office__name", "name", "id"
        )


class CompoundDetailView(CompoundScopedAPIView, generics.RetrieveAPIView):
    """One compound of the caller's, with the totals of its register."""

    serializer_class = CompoundDetailSerializer
    lookup_field = "code"

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Compound]:
        return _with_register_totals(
            Compound.objects.filter(pk=compound.pk).select_related(
                "street_office", "service_company"
            )
        )
