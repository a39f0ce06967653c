"""API of the maintenance fund under ``/api/v1/compounds/{code}/works/fund/``: balances per
unit, ledger entries, draws (publish, make) and credits (top-ups, interest).

Reads: the fund's readers (street office, committee, service company) see the compound;
a resident sees only their own units (balances, entries) and the draws whose project's
scope has one of them (each draw's amount, not other units' shares). Writes: the
committee and the street office; anyone else gets 404, as for an absent compound.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from households.models import Unit
from portal.access import get_compound_for_user
from portal.api import CompoundScopedAPIView
from portal.models import Compound, Role

from . import fund_selectors as fs
from . import selectors
from .fund_access import FUND_KEEPERS, FUND_READERS
from .models import EntryKind, FundDraw, FundDrawShare, FundEntry, Project
from .services.fund import fund_credit
from .services.fund_draws import fund_draw_make, fund_draw_publish


class BalanceSerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="pk", read_only=True)
    building = serializers.CharField(source="building.number", read_only=True)
    area = serializers.DecimalField(
        source="floor_area", max_digits=9, decimal_places=2, read_only=True, allow_null=True
    )
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    owed = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Unit
        fields = ["unit", "label", "building", "area", "balance", "owed"]


class EntrySerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="unit_id", read_only=True)
    label = serializers.CharField(source="unit.label", read_only=True)  # type: ignore[assignment]
    draw = serializers.IntegerField(source="draw_id", read_only=True, allow_null=True)

    class Meta:
        model = FundEntry
        fields = ["id", "unit", "label", "kind", "amount", "owed", "draw", "entry_date", "note"]


class DrawSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True)
    project_title = serializers.CharField(source="project.title", read_only=True)
    emergency_case = serializers.CharField(
        source="emergency_case.code", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = FundDraw
        fields = [
            "id",
            "project",
            "project_title",
            "amount",
            "status",
            "published_on",
            "made_on",
            "shortfall",
            "emergency_case",
        ]


class DrawShareSerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="unit_id", read_only=True)
    label = serializers.CharField(source="unit.label", read_only=True)  # type: ignore[assignment]
    building = serializers.CharField(source="building.number", read_only=True)
    taken = serializers.SerializerMethodField(
        help_text="what the fund paid of the share (the draw and later settlements)"
    )
    owed = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="still owed (flag rule)"
    )

    class Meta:
        model = FundDrawShare
        fields = ["unit", "label", "building", "area", "share", "taken", "owed"]

    def get_taken(self, share) -> str:
        return f"{-share.paid:.2f}"


class DrawInputSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    amount = serializers.CharField(max_length=30, help_text="yuan, e.g. `12000.00`")
    published_on = serializers.DateField(required=False, allow_null=True, default=None)


class MakeInputSerializer(serializers.Serializer):
    made_on = serializers.DateField(required=False, allow_null=True, default=None)


class CreditInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[EntryKind.TOP_UP.value, EntryKind.INTEREST.value])
    amount = serializers.CharField(max_length=30)
    unit = serializers.IntegerField(required=False, allow_null=True, default=None)
    building = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=32, help_text="楼号, e.g. `16`"
    )
    entry_date = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class _FundView(CompoundScopedAPIView):
    allowed_roles = FUND_READERS | {Role.RESIDENT}

    @property
    def staff(self) -> bool:
        return bool(self.roles & FUND_READERS)

    def _own_units(self, compound: Compound) -> QuerySet[Unit]:
        return compound.units.owned_by(self.request.user)


@extend_schema(
    parameters=[OpenApiParameter("building", OpenApiTypes.STR, description="楼号, e.g. `16`")]
)
class BalanceListView(_FundView, generics.ListAPIView):
    """维修资金余额: each unit's balance and what it owes (a resident: their own units)."""

    serializer_class = BalanceSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Unit]:
        units = fs.unit_balances_list(
            compound, building=self.request.query_params.get("building", "")[:32]
        )
        if not self.staff:
            units = units.filter(pk__in=self._own_units(compound).values("pk"))
        return units


@extend_schema(parameters=[OpenApiParameter("unit", OpenApiTypes.INT, description="unit id")])
class EntryListView(_FundView, generics.ListAPIView):
    """维修资金分户账: ledger entries by unit and date (a resident: their own units)."""

    serializer_class = EntrySerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[FundEntry]:
        entries = fs.compound_entries(compound)
        unit = self.request.query_params.get("unit", "")
        if unit:
            if not unit.isdigit() or len(unit) > 12:
                raise ValidationError({"unit": _("房屋编号须为正整数")})
            entries = entries.filter(unit_id=int(unit))
        if not self.staff:
            entries = entries.filter(unit_id__in=self._own_units(compound).values("pk"))
        return entries.select_related("unit__building")


class DrawListView(_FundView, generics.ListAPIView):
    """维修资金使用: the draws, newest first (a resident: those for projects whose scope has
    one of their units). POST (committee, street office) publishes a draw for an approved
    project; it is made later (``…/draws/{id}/make/``)."""

    serializer_class = DrawSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[FundDraw]:
        if self.staff:
            return fs.compound_draws(compound)
        return fs.draws_visible_to(self.request.user, compound)

    @extend_schema(request=DrawInputSerializer, responses={201: DrawSerializer})
    def post(self, request, code: str):
        compound = get_compound_for_user(request.user, code, FUND_KEEPERS)
        data = DrawInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = compound_project(compound, values.pop("project"))
        draw = fund_draw_publish(project=project, actor=request.user, **values)
        shown = fs.compound_draws(compound).get(pk=draw.pk)
        return Response(DrawSerializer(shown).data, status=status.HTTP_201_CREATED)


class DrawShareListView(_FundView, generics.ListAPIView):
    """维修资金分摊: each unit's share of a draw as fixed when it was published (the shares
    sum exactly to the draw), with what the fund paid of it and what is still owed once
    made. A resident gets only their own units' rows, of a draw whose project's scope has
    one of their units; a draw published before splits were kept lists none until it is
    made."""

    serializer_class = DrawShareSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[FundDrawShare]:
        draws = (
            fs.compound_draws(compound)
            if self.staff
            else fs.draws_visible_to(self.request.user, compound)
        )
        draw = draws.filter(pk=self.kwargs["draw_id"]).first()
        if draw is None:
            raise Http404
        shares = fs.draw_shares_list(draw)
        if not self.staff:
            shares = shares.filter(unit_id__in=self._own_units(compound).values("pk"))
        return shares


def compound_project(compound: Compound, project_id: int) -> Project:
    """The project ``project_id`` of ``compound``, else a 400 naming the field (a project
    of another compound is "not here")."""
    project = selectors.compound_projects(compound).filter(pk=project_id).first()
    if project is None:
        raise ValidationError({"project": _("本小区没有这个工程")})
    return project


class DrawMakeView(_FundView):
    """划拨: make a published draw (ledger entries written, split by area)."""

    serializer_class = DrawSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[FundDraw]:
        return fs.compound_draws(compound)

    @extend_schema(request=MakeInputSerializer, responses={200: DrawSerializer})
    def post(self, request, code: str, draw_id: int):
        compound = get_compound_for_user(request.user, code, FUND_KEEPERS)
        draw = fs.compound_draws(compound).filter(pk=draw_id).first()
        if draw is None:
            raise Http404
        data = MakeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fund_draw_make(draw=draw, actor=request.user, **data.validated_data)
        return Response(DrawSerializer(fs.compound_draws(compound).get(pk=draw.pk)).data)


class CreditView(_FundView):
    """续筹 / 增值收益: credit one unit, or a building's units split by area."""

    serializer_class = EntrySerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[FundEntry]:
        return fs.compound_entries(compound)

    @extend_schema(request=CreditInputSerializer, responses={201: EntrySerializer(many=True)})
    def post(self, request, code: str):
        compound = get_compound_for_user(request.user, code, FUND_KEEPERS)
        data = CreditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit_id, number = values.pop("unit"), values.pop("building")
        target: dict = {}
        if unit_id is not None:
            target["unit"] = compound.units.filter(pk=unit_id).first()
            if target["unit"] is None:
                raise ValidationError({"unit": _("本小区没有这个房屋")})
        if number:
            target["building"] = compound.buildings.filter(number=number).first()
            if target["building"] is None:
                raise ValidationError({"building": _("本小区没有这栋楼")})
        entries = fund_credit(compound=compound, actor=request.user, **values, **target)
        shown = fs.compound_entries(compound).filter(pk__in=[e.pk for e in entries])
        return Response(
            EntrySerializer(shown.select_related("unit__building"), many=True).data,
            status=status.HTTP_201_CREATED,
        )
