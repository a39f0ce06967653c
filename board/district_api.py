"""API v1 of the district board (issue 12 item 4), in the schema:

``GET districts/{code}/board/`` → ``{"street_offices": [{"code", "name", "figures",
"compounds"}]}``: every street office of the district with its figures aggregated over its
compounds, and its compounds as the street office's board API gives them (the same
serializer, :class:`board.board_api.BoardCompoundSerializer`).

It answers the district's officers (and superusers) only: residents, company staff,
street officers of any office and officers of another district get 404, as for a missing
district. A fixed number of queries whatever the number of street offices and compounds.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.access import get_district_for_user

from .board_api import BoardCollectionSerializer, BoardCompoundSerializer, board_compound
from .district_data import OfficeFigures, OfficeRow, district_rows
from .milestones import STAGES, YearCollection


class DistrictCollectionSerializer(BoardCollectionSerializer):
    """A year's collection summed over the street office's compounds."""

    households = serializers.IntegerField(help_text="户数 billed")
    paid_households = serializers.IntegerField(help_text="户数 paid in full")
    owner_due = serializers.CharField(help_text="应收 (yuan, 2 decimals)")
    collected = serializers.CharField(help_text="实收 (yuan, 2 decimals)")


StageCountsSerializer = type(
    "StageCountsSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Compounds of the street office at each stage (the furthest step reached).",
        **{stage: serializers.IntegerField() for stage in STAGES},
    },
)


class OfficeFiguresSerializer(serializers.Serializer):
    compounds = serializers.IntegerField()
    households = serializers.IntegerField(help_text="户数 (units) of all its compounds")
    collection_target = serializers.CharField(help_text="percent, 2 decimals")
    collection_this_year = DistrictCollectionSerializer(allow_null=True)
    collection_last_year = DistrictCollectionSerializer(allow_null=True)
    collection_latest = DistrictCollectionSerializer(
        allow_null=True, help_text="the latest year any of its compounds was billed"
    )
    stages = StageCountsSerializer()
    open_alerts = serializers.IntegerField()
    unresolved_alerts = serializers.IntegerField(help_text="open and acknowledged")
    below_target = serializers.IntegerField(
        help_text="compounds whose latest year billed is below the target (by amount)"
    )
    agreements_expiring = serializers.IntegerField(help_text="term ends within 90 days")
    agreements_expired = serializers.IntegerField()
    subsidies_ending = serializers.IntegerField(help_text="subsidy ends within 6 months")
    subsidies_ended = serializers.IntegerField()
    subsidy_months_left = serializers.IntegerField(
        allow_null=True, help_text="the soonest end among compounds still subsidised"
    )


class DistrictOfficeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    figures = OfficeFiguresSerializer()
    compounds = BoardCompoundSerializer(many=True)


class DistrictBoardSerializer(serializers.Serializer):
    street_offices = DistrictOfficeSerializer(many=True)


def _collection(c: YearCollection | None) -> dict | None:
    if c is None:
        return None
    return {
        "year": c.year,
        "rate_households": f"{c.rate_households:.2f}",
        "rate_amount": f"{c.rate_amount:.2f}",
        "households": c.households,
        "paid_households": c.paid_households,
        "owner_due": f"{c.owner_due:.2f}",
        "collected": f"{c.collected:.2f}",
    }


def _figures(f: OfficeFigures) -> dict:
    return {
        "compounds": f.compounds,
        "households": f.households,
        "collection_target": f"{f.target:.2f}",
        "collection_this_year": _collection(f.this_year),
        "collection_last_year": _collection(f.last_year),
        "collection_latest": _collection(f.latest),
        "stages": f.stages,
        "open_alerts": f.open_alerts,
        "unresolved_alerts": f.unresolved_alerts,
        "below_target": f.below_target,
        "agreements_expiring": f.agreements_expiring,
        "agreements_expired": f.agreements_expired,
        "subsidies_ending": f.subsidies_ending,
        "subsidies_ended": f.subsidies_ended,
        "subsidy_months_left": f.subsidy_months_left,
    }


def district_office(o: OfficeRow) -> dict:
    return {
        "code": o.office.code,
        "name": o.office.name,
        "figures": _figures(o.figures),
        "compounds": [board_compound(r) for r in o.rows],
    }


class DistrictBoardView(APIView):
    """Every street office of the district with its figures and compounds (read-only)."""

    @extend_schema(responses=DistrictBoardSerializer, operation_id="district_board")
    def get(self, request: Request, code: str) -> Response:
        district = get_district_for_user(request.user, code)
        offices = district_rows(district, timezone.localdate())
        data = {"street_offices": [district_office(o) for o in offices]}
        return Response(DistrictBoardSerializer(data).data)
