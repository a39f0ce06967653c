"""API v1's list of the caller's compounds and one compound's register totals.

They sit in ``board`` because they count the register's rows (households), and the
foundation imports no app. Views under ``compounds/{code}/`` inherit
:class:`portal.api.CompoundScopedAPIView`.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from rest_framework import generics

from households.models import Building, Unit
from portal.access import compounds_for
from portal.api import CompoundScopedAPIView
from portal.models import Compound

from .serializers import CompoundDetailSerializer, CompoundSerializer


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
