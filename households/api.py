"""API v1 over the register: buildings, units and owners of one compound.

Every view is a :class:`portal.api.CompoundScopedAPIView`: the compound comes from the
access helper (404 for outsiders) and each queryset starts from it. Lists run a constant
number of queries whatever their length (select_related / prefetch_related).
"""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics

from portal.api import CompoundScopedAPIView
from portal.models import STAFF_ROLES, Compound

from . import selectors
from .access import units_for_user
from .models import Building, Owner, Ownership, Unit
from .serializers import BuildingSerializer, OwnerSerializer, UnitSerializer


class BuildingListView(CompoundScopedAPIView, generics.ListAPIView):
    """楼栋: the compound's buildings with unit counts and areas, for those who manage it."""

    allowed_roles = STAFF_ROLES
    serializer_class = BuildingSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Building]:
        return selectors.compound_buildings(compound)


class _UnitScope(CompoundScopedAPIView):
    """The units the caller may see (:func:`households.access.units_for_user`, as on the
    pages): staff every unit of the compound with its current owners; a resident only the
    units they own now, and in them only themselves (never a co-owner)."""

    def units_in_scope(self, compound: Compound) -> QuerySet[Unit]:
        user = self.request.user
        if not user.is_authenticated:  # refused with the compound already; narrows the type
            raise exceptions.NotAuthenticated
        only_of = user if self.is_resident_only else None
        return (
            units_for_user(user, compound)
            .prefetch_related(selectors.current_ownerships(only_of=only_of))
            .select_related("building")
            .order_by("building__sort_key", "building__number", "number", "id")
        )


@extend_schema(
    parameters=[
        OpenApiParameter(
            "building",
            OpenApiTypes.STR,
            description="楼号: only the units of this building, e.g. `16`",
        )
    ]
)
class UnitListView(_UnitScope, generics.ListAPIView):
    """房屋: units with their current owners (names only); residents see their own."""

    serializer_class = UnitSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Unit]:
        units = self.units_in_scope(compound)
        building = self.request.query_params.get("building")
        if building is not None:
            units = units.filter(building__number=building)
        return units


class UnitDetailView(_UnitScope, generics.RetrieveAPIView):
    """One unit with its current owners; a resident may open only a unit they own."""

    serializer_class = UnitSerializer
    lookup_url_kwarg = "unit_id"

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Unit]:
        return self.units_in_scope(compound)


class OwnerListView(CompoundScopedAPIView, generics.ListAPIView):
    """业主: the compound's owners for its staff, ID numbers and phones masked (PIPL)."""

    allowed_roles = STAFF_ROLES
    serializer_class = OwnerSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Owner]:
        current = Prefetch(
            "ownerships",
            queryset=Ownership.objects.current()
            .select_related("unit__building")
            .order_by("unit__building__sort_key", "unit__building__number", "unit__number"),
            to_attr="current_ownerships",
        )
        return (
            compound.owners.select_related("property_right_unit")
            .prefetch_related(current)
            .order_by("name", "id")
        )
