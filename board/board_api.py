"""API v1 of the street-office board (issue 12), in the schema:

- ``GET street-offices/{code}/board/``: every compound of the street office with its
  stage, the collection of its latest year with charges and its unresolved alerts;
- ``GET compounds/{code}/milestones/``: one compound's milestones;
- ``GET compounds/{code}/alerts/`` and ``POST compounds/{code}/alerts/{id}/acknowledge/``.

A street office's board answers its street officers (and superusers), and the officers of
its district (read-only: it is a GET) only: residents, company staff, other street offices
and other districts get 404, as for a missing office. Compound views
inherit :class:`portal.api.CompoundScopedAPIView` and show each caller only the kinds of
alert their roles can act on."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.access import get_street_office_board_for_user
from portal.api import CompoundScopedAPIView
from portal.models import STAFF_ROLES

from . import board_data, services
from .alerts import AUDIENCE, kinds_for_roles
from .milestones import STAGES, Progress, compounds_progress
from .models import Alert, AlertState


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.ChoiceField(choices=AlertState.choices)
    due = serializers.DateField()
    message = serializers.CharField()


class AlertDetailSerializer(AlertSerializer):
    params = serializers.JSONField()
    opened_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledge_note = serializers.CharField()


class BoardCollectionSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    rate_households = serializers.CharField(help_text="percent, 2 decimals")
    rate_amount = serializers.CharField(help_text="percent, 2 decimals")


class BoardCompoundSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    stage = serializers.ChoiceField(choices=STAGES)
    collection = BoardCollectionSerializer(allow_null=True)
    alerts = AlertSerializer(many=True)


class BoardSerializer(serializers.Serializer):
    compounds = BoardCompoundSerializer(many=True)


class MilestoneSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    done_on = serializers.DateField(allow_null=True)
    due = serializers.DateField(allow_null=True)
    reached = serializers.BooleanField()
    evidence = serializers.CharField()
    detail = serializers.CharField()


class MilestonesSerializer(serializers.Serializer):
    code = serializers.CharField()
    stage = serializers.ChoiceField(choices=STAGES)
    next_deadline = serializers.DateField(allow_null=True)
    milestones = MilestoneSerializer(many=True)


class AcknowledgeInSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500)


def _alert(a: Alert) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "state": a.state,
        "due": a.due,
        "message": a.message,  # type: ignore[attr-defined]
    }


def _collection(p: Progress) -> dict | None:
    c = p.latest_collection
    if c is None:
        return None
    return {
        "year": c.year,
        "rate_households": f"{c.rate_households:.2f}",
        "rate_amount": f"{c.rate_amount:.2f}",
    }


def board_compound(r: board_data.BoardRow) -> dict:
    """One compound of a board as :class:`BoardCompoundSerializer` reads it (the street
    office's board and the district's alike)."""
    return {
        "code": r.compound.code,
        "name": r.compound.name,
        "stage": r.progress.stage,
        "collection": _collection(r.progress),
        "alerts": [_alert(a) for a in r.alerts],
    }


class StreetOfficeBoardView(APIView):
    """The board across the street office's compounds (fixed number of queries)."""

    @extend_schema(responses=BoardSerializer, operation_id="street_office_board")
    def get(self, request: Request, code: str) -> Response:
        office, _writable = get_street_office_board_for_user(request.user, code)
        rows = board_data.board_rows(office, timezone.localdate())
        data = {"compounds": [board_compound(r) for r in rows]}
        return Response(BoardSerializer(data).data)


class CompoundMilestonesView(CompoundScopedAPIView):
    allowed_roles = STAFF_ROLES

    @extend_schema(responses=MilestonesSerializer, operation_id="compound_milestones")
    def get(self, request: Request, code: str) -> Response:
        (p,) = compounds_progress([self.compound], timezone.localdate())
        data = {
            "code": self.compound.code,
            "stage": p.stage,
            "next_deadline": p.next_deadline,
            "milestones": [vars(m) for m in p.milestones],
        }
        return Response(MilestonesSerializer(data).data)


class CompoundAlertsView(CompoundScopedAPIView):
    """Unresolved alerts of the compound that the caller's roles can act on."""

    allowed_roles = STAFF_ROLES

    @extend_schema(responses=AlertDetailSerializer(many=True), operation_id="compound_alerts")
    def get(self, request: Request, code: str) -> Response:
        alerts = board_data.compound_alerts([self.compound], kinds_for_roles(self.roles))
        return Response(
            AlertDetailSerializer([{**_alert(a), **_detail(a)} for a in alerts], many=True).data
        )


def _detail(a: Alert) -> dict:
    return {
        "params": a.params,
        "opened_at": a.opened_at,
        "acknowledged_at": a.acknowledged_at,
        "acknowledge_note": a.acknowledge_note,
    }


class AlertAcknowledgeView(CompoundScopedAPIView):
    """Acknowledge an open alert with a note (required); audited."""

    allowed_roles = STAFF_ROLES

    @extend_schema(
        request=AcknowledgeInSerializer,
        responses=AlertDetailSerializer,
        operation_id="compound_alert_acknowledge",
    )
    def post(self, request: Request, code: str, alert_id: int) -> Response:
        alert = Alert.objects.filter(pk=alert_id, compound=self.compound).first()
        if alert is None or not (AUDIENCE.get(alert.kind, frozenset()) & self.roles):
            raise Http404
        payload = AcknowledgeInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        alert = services.alert_acknowledge(
            alert=alert,
            actor=cast(AbstractBaseUser, request.user),
            note=payload.validated_data["note"],
        )
        alert.message = board_data.alert_message(alert.kind, alert.params, alert.due)  # type: ignore[attr-defined]
        return Response(AlertDetailSerializer({**_alert(alert), **_detail(alert)}).data)
