"""API v1's list of the caller's compounds and one compound's register totals.

They sit in ``board`` because they count the register's rows (households), and the
foundation imports no app. Views under ``compounds/{code}/`` inherit
:class:`portal.api.CompoundScopedAPIView`.
"""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, DecimalField, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from households.models import Building, Unit
from portal.access import compounds_for, street_offices_for
from portal.api import CompoundScopedAPIView
from portal.models import Compound, StreetOffice
from portal.services_compounds import compound_create

from .serializers import CompoundCreateSerializer, CompoundDetailSerializer, CompoundSerializer


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


class CompoundListView(generics.ListCreateAPIView):
    """GET: the compounds the caller holds any role in, with their household counts.
    POST: a new compound of a street office the caller works at (街道工作人员)."""

    serializer_class = CompoundSerializer

    def get_queryset(self) -> QuerySet[Compound]:
        return _with_household_counts(compounds_for(self.request.user)).order_by(
            "street_office__name", "name", "id"
        )

    def _office(self, code: object) -> StreetOffice:
        """The caller's street office named ``code``; 403 for any other (existing or
        not, so nobody learns which codes exist)."""
        office = (
            street_offices_for(self.request.user).filter(code=code).first()
            if isinstance(code, str)
            else None
        )
        if office is None:
            raise exceptions.PermissionDenied(_("只有该街道的工作人员可以在该街道新建小区"))
        return office

    @extend_schema(request=CompoundCreateSerializer, responses={201: CompoundSerializer})
    def post(self, request: Request, *args, **kwargs) -> Response:
        # Refuse a caller who is no street officer at all before reading the body.
        if not street_offices_for(request.user).exists():
            self._office(None)
        serializer = CompoundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        office = self._office(values.pop("street_office"))
        actor = request.user if isinstance(request.user, AbstractBaseUser) else None
        compound = compound_create(street_office=office, actor=actor, **values)
        created = _with_household_counts(
            Compound.objects.filter(pk=compound.pk).select_related(
                "street_office", "service_company"
            )
        ).get()
        return Response(CompoundSerializer(created).data, status=status.HTTP_201_CREATED)


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
