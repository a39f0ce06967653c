"""API v1 of the property management committee (物业管理委员会, BJ 52–58), scoped like
the committee page (``/c/{code}/committee/``): the compound's staff read it, the street
officers of its street office write it; anyone else gets 404.

- ``GET /api/v1/compounds/{code}/committee/``: the committee in office (term, state,
  members with their eligibility warnings, BJ 54 composition problems), the record of
  how it was formed (steps and candidates), and the formation under way if any.
- ``GET …/committee/formations/``: every formation, re-formations (换届) included, the
  latest first. ``POST`` ``{"announced_on"}`` starts one (组建公告): 201.
- ``POST …/committee/formations/{formation_id}/steps/`` ``{"step", "day", "term_end"?,
  "candidates"?}`` records the next step; at ``confirmed_on`` the candidates listed take
  their proposed seats.
- ``POST …/committee/formations/{formation_id}/candidates/`` ``{"name", "kind", "role"?,
  "affiliation"?}`` records a nominated candidate (推荐): 201 with its warnings.
- ``POST …/committee/formations/{formation_id}/corrections/`` ``{"step", "day",
  "reason"}`` corrects a recorded date (更正), audited with the old and new date.

Every write goes through :mod:`households.services.committee`: bad input answers 400 with
the errors by field (``day``, ``step``, ``reason``, ``candidates``, ``name``, …) in the
request's language and saves nothing. A caller who may read but not write gets 403.
Names are whole for those who read owners' names on the register, masked (张*) for the
others. Reads run a fixed number of queries whatever the number of members and
candidates.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api import CompoundScopedAPIView
from portal.models import Compound

from .access import sees_owner_names
from .committee_access import COMMITTEE_READERS, can_write_committee, get_formation_for_user
from .committee_checks import member_warnings
from .committee_selectors import (
    CandidateRow,
    CommitteeTerm,
    compound_committees,
    compound_formations,
    formation_candidates,
    formation_steps,
    pending_formation,
)
from .models import CandidateKind, CommitteeFormation, CommitteeRole, FormationStep
from .selectors import owner_name_shown
from .services import committee as services

_STEP_HELP = "One of: " + ", ".join(f"`{s.value}` ({s.label})" for s in FormationStep)
_KIND_HELP = "One of: " + ", ".join(f"`{k.value}` ({k.label})" for k in CandidateKind)
_ROLE_HELP = "One of: " + ", ".join(f"`{r.value}` ({r.label})" for r in CommitteeRole)
_NAME_HELP = "Whole for those who read owners' names on the register, else masked (张*)"

# --- output --------------------------------------------------------------------------------


class FormationStepRowSerializer(serializers.Serializer):
    step = serializers.CharField(help_text=_STEP_HELP)
    label = serializers.CharField()  # type: ignore[assignment]  # Field.label is not ours
    done_on = serializers.DateField(allow_null=True)
    due = serializers.DateField(
        allow_null=True, help_text="公示: the posting's last working day; 备案: the earliest day"
    )
    note = serializers.CharField()


class CommitteeCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text=_NAME_HELP)
    kind = serializers.CharField(help_text=_KIND_HELP)
    role = serializers.CharField(help_text="The seat proposed. " + _ROLE_HELP)
    affiliation = serializers.CharField()
    member = serializers.IntegerField(
        allow_null=True, help_text="The seat taken at 确定 (a member id), else null"
    )
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Eligibility warnings while the formation awaits 确定 (empty afterwards: "
        "the seats carry their own). Advisory: the street office decides.",
    )


class FormedCommitteeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    formed_on = serializers.DateField()
    term_end = serializers.DateField()


class CommitteeFormationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    committee = FormedCommitteeSerializer(
        allow_null=True, help_text="The committee formed at 确定, null before"
    )
    announced_on = serializers.DateField()
    nominated_on = serializers.DateField(allow_null=True)
    confirmed_on = serializers.DateField(allow_null=True)
    publicity_start = serializers.DateField(allow_null=True)
    publicity_end = serializers.DateField(
        allow_null=True, help_text="The last of the 10 working days of the posting"
    )
    filed_on = serializers.DateField(allow_null=True)
    next_step = serializers.CharField(allow_null=True, help_text="null once filed")
    illustrative = serializers.BooleanField(help_text="Demo dates, not a real record")
    steps = FormationStepRowSerializer(many=True)
    candidates = CommitteeCandidateSerializer(many=True)


class CommitteeMemberRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text=_NAME_HELP)
    role = serializers.CharField(help_text=_ROLE_HELP)
    affiliation = serializers.CharField()
    term_start = serializers.DateField()
    term_end = serializers.DateField()
    warnings = serializers.ListField(child=serializers.CharField())


class CommitteeInOfficeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    formed_on = serializers.DateField()
    term_end = serializers.DateField()
    state = serializers.CharField(help_text="in_term | ending (within 90 days) | ended")
    composition_problems = serializers.ListField(
        child=serializers.CharField(), help_text="What breaks BJ 54; empty when lawful"
    )
    members = CommitteeMemberRowSerializer(many=True)


class CommitteeOverviewSerializer(serializers.Serializer):
    committee = CommitteeInOfficeSerializer(allow_null=True, help_text="The committee in office")
    formation = CommitteeFormationSerializer(
        allow_null=True, help_text="How the committee in office was formed (null: no record)"
    )
    pending_formation = CommitteeFormationSerializer(
        allow_null=True, help_text="A formation announced and not yet confirmed"
    )


# --- input ---------------------------------------------------------------------------------


class FormationStartInSerializer(serializers.Serializer):
    announced_on = serializers.DateField(help_text="组建公告日期")


class FormationStepInSerializer(serializers.Serializer):
    step = serializers.CharField(max_length=32, help_text="The next step. " + _STEP_HELP)
    day = serializers.DateField()
    term_end = serializers.DateField(
        required=False, allow_null=True, help_text="confirmed_on only: default three years"
    )
    candidates = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=services.MAX_CANDIDATES,
        help_text="confirmed_on only: ids of this formation's candidates who take their "
        "proposed seats",
    )


class CommitteeCandidateInSerializer(serializers.Serializer):
    # Blank passes here so the service reports every field's error at once.
    name = serializers.CharField(max_length=100, allow_blank=True)
    kind = serializers.CharField(max_length=32, help_text=_KIND_HELP)
    role = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="The seat proposed (default: owner_rep for an owner, member otherwise). "
        + _ROLE_HELP,
    )
    affiliation = serializers.CharField(max_length=200, required=False, allow_blank=True)


class FormationCorrectionInSerializer(serializers.Serializer):
    step = serializers.CharField(max_length=32, help_text="A step already recorded. " + _STEP_HELP)
    day = serializers.DateField(help_text="The correct date")
    reason = serializers.CharField(
        max_length=services.MAX_REASON_LENGTH, help_text="Required; kept in the audit log"
    )


_ERRORS_400 = OpenApiResponse(
    description="Field errors in the request's language (zh-hans, en), e.g. "
    '`{"day": ["「推荐」的日期不能晚于今天（2025-03-03）"]}`; nothing is saved'
)
_NOT_WRITER_403 = OpenApiResponse(
    description="The caller reads the committee but only the street office writes it"
)
_NOT_FOUND_404 = OpenApiResponse(description="No such compound or formation, or not the caller's")


# --- data ----------------------------------------------------------------------------------


def _candidate_data(row: CandidateRow) -> dict[str, Any]:
    c = row.candidate
    return {
        "id": c.pk,
        "name": row.name,
        "kind": c.kind,
        "role": c.role,
        "affiliation": c.affiliation,
        "member": c.member_id,
        "warnings": row.warnings,
    }


def _formation_data(formation: CommitteeFormation, rows: list[CandidateRow]) -> dict[str, Any]:
    committee = formation.committee
    return {
        "id": formation.pk,
        "committee": (
            {"id": committee.pk, "formed_on": committee.formed_on, "term_end": committee.term_end}
            if committee is not None
            else None
        ),
        **{step.value: getattr(formation, step.value) for step in FormationStep},
        "publicity_end": formation.publicity_end,
        "next_step": formation.next_step.value if formation.next_step else None,
        "illustrative": formation.illustrative,
        "steps": [vars(s) for s in formation_steps(formation)],
        "candidates": [_candidate_data(r) for r in rows],
    }


def _committee_data(term: CommitteeTerm, names_visible: bool) -> dict[str, Any]:
    c = term.committee
    return {
        "id": c.pk,
        "formed_on": c.formed_on,
        "term_end": c.term_end,
        "state": term.state,
        "composition_problems": [str(p) for p in c.composition_problems()],
        "members": [
            {
                "id": m.pk,
                "name": owner_name_shown(m.name, names_visible=names_visible),
                "role": m.role,
                "affiliation": m.affiliation,
                "term_start": m.term_start,
                "term_end": m.term_end,
                "warnings": match.warnings if match else [],
            }
            for m, match in term.member_rows
        ],
    }


def _one_formation(compound: Compound, formation: CommitteeFormation, names_visible: bool) -> dict:
    formation = compound.committee_formations.select_related("committee").get(pk=formation.pk)
    rows = formation_candidates(compound, [formation], names_visible=names_visible)
    return CommitteeFormationSerializer(_formation_data(formation, rows[formation.pk])).data


# --- views ---------------------------------------------------------------------------------


class _CommitteeScope(CompoundScopedAPIView):
    """The compound's committee: read by its staff, written by its street officers."""

    allowed_roles = COMMITTEE_READERS

    @property
    def names_visible(self) -> bool:
        return sees_owner_names(self.request.user, self.compound)

    def writable_compound(self) -> Compound:
        """The compound, for a caller who writes its committee (404 outsiders, 403 the
        compound's other staff), before anything is read from the body."""
        compound = self.compound
        if not can_write_committee(self.request.user, compound):
            raise exceptions.PermissionDenied(
                _("只有该小区所属街道的工作人员可以记录物管会的组建、候选人和更正。")
            )
        return compound

    def writable_formation(self, formation_id: int) -> CommitteeFormation:
        self.writable_compound()
        return get_formation_for_user(self.request.user, self.kwargs["code"], formation_id)


class CommitteeView(_CommitteeScope):
    """物业管理委员会: the committee in office with its members and their eligibility
    warnings, how it was formed, and the formation under way."""

    serializer_class = CommitteeOverviewSerializer

    @extend_schema(responses={200: CommitteeOverviewSerializer, 404: _NOT_FOUND_404})
    def get(self, request: Request, code: str) -> Response:
        compound = self.compound
        names_visible = self.names_visible
        terms = compound_committees(compound, timezone.localdate())
        current = terms[0] if terms else None
        if current is not None:
            current.matches = dict(member_warnings(compound, current.members))
        pending = pending_formation(compound)
        formation = current.formation if current else None
        rows = formation_candidates(compound, [formation, pending], names_visible=names_visible)
        data = {
            "committee": _committee_data(current, names_visible) if current else None,
            "formation": _formation_data(formation, rows[formation.pk]) if formation else None,
            "pending_formation": _formation_data(pending, rows[pending.pk]) if pending else None,
        }
        return Response(CommitteeOverviewSerializer(data).data)


class FormationsView(_CommitteeScope):
    """组建记录: every formation of the compound, the latest first (GET); start one, the
    first or the next term's (POST, street office)."""

    serializer_class = CommitteeFormationSerializer

    @extend_schema(responses={200: CommitteeFormationSerializer(many=True), 404: _NOT_FOUND_404})
    def get(self, request: Request, code: str) -> Response:
        compound = self.compound
        formations = compound_formations(compound)
        rows = formation_candidates(compound, formations, names_visible=self.names_visible)
        return Response(
            CommitteeFormationSerializer(
                [_formation_data(f, rows[f.pk]) for f in formations], many=True
            ).data
        )

    @extend_schema(
        request=FormationStartInSerializer,
        responses={
            201: CommitteeFormationSerializer,
            400: _ERRORS_400,
            403: _NOT_WRITER_403,
            404: _NOT_FOUND_404,
        },
        examples=[OpenApiExample("Announce", value={"announced_on": "2025-01-02"})],
    )
    def post(self, request: Request, code: str) -> Response:
        compound = self.writable_compound()
        payload = FormationStartInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        formation = services.committee_formation_start(
            compound=compound,
            announced_on=payload.validated_data["announced_on"],
            actor=request.user,  # type: ignore[arg-type]
        )
        return Response(
            _one_formation(compound, formation, self.names_visible), status=status.HTTP_201_CREATED
        )


def _day_errors(exc: ValidationError) -> ValidationError:
    """A step's own date errors come back under ``day`` (the field the caller sent)."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        target = "day" if key in FormationStep.values or key == "formed_on" else key
        renamed.setdefault(target, []).extend(messages)
    return ValidationError(renamed)


class FormationStepView(_CommitteeScope):
    """Record the next step of a formation (公告 → 推荐 → 确定 → 公示 → 备案)."""

    serializer_class = CommitteeFormationSerializer

    @extend_schema(
        request=FormationStepInSerializer,
        responses={
            200: CommitteeFormationSerializer,
            400: _ERRORS_400,
            403: _NOT_WRITER_403,
            404: _NOT_FOUND_404,
        },
        examples=[
            OpenApiExample("Nominated", value={"step": "nominated_on", "day": "2025-01-10"}),
            OpenApiExample(
                "Confirmed, seating three candidates",
                value={"step": "confirmed_on", "day": "2025-01-20", "candidates": [4, 5, 6]},
            ),
        ],
    )
    def post(self, request: Request, code: str, formation_id: int) -> Response:
        formation = self.writable_formation(formation_id)
        payload = FormationStepInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            formation = services.committee_formation_step(
                formation=formation,
                step=data["step"],
                day=data["day"],
                term_end=data.get("term_end"),
                seat_candidates=data.get("candidates") or (),
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            raise _day_errors(exc) from None
        return Response(_one_formation(self.compound, formation, self.names_visible))


class FormationCandidatesView(_CommitteeScope):
    """候选人: record a candidate nominated at the 推荐 step (until 确定)."""

    serializer_class = CommitteeCandidateSerializer

    @extend_schema(
        request=CommitteeCandidateInSerializer,
        responses={
            201: CommitteeCandidateSerializer,
            400: _ERRORS_400,
            403: _NOT_WRITER_403,
            404: _NOT_FOUND_404,
        },
        examples=[
            OpenApiExample(
                "An owner",
                value={"name": "王伟", "kind": "owner", "affiliation": "3号楼 2门301"},
            ),
            OpenApiExample(
                "The chair",
                value={"name": "李娜", "kind": "residents_committee", "role": "chair"},
            ),
        ],
    )
    def post(self, request: Request, code: str, formation_id: int) -> Response:
        formation = self.writable_formation(formation_id)
        payload = CommitteeCandidateInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        candidate = services.committee_candidate_add(
            formation=formation,
            name=data["name"],
            kind=data["kind"],
            role=data.get("role") or None,
            affiliation=data.get("affiliation", ""),
            actor=request.user,  # type: ignore[arg-type]
        )
        rows = formation_candidates(self.compound, [formation], names_visible=self.names_visible)
        row = next(r for r in rows[formation.pk] if r.candidate.pk == candidate.pk)
        return Response(
            CommitteeCandidateSerializer(_candidate_data(row)).data, status=status.HTTP_201_CREATED
        )


class FormationCorrectionView(_CommitteeScope):
    """更正: correct the date of a recorded step, with the reason (audited)."""

    serializer_class = CommitteeFormationSerializer

    @extend_schema(
        request=FormationCorrectionInSerializer,
        responses={
            200: CommitteeFormationSerializer,
            400: _ERRORS_400,
            403: _NOT_WRITER_403,
            404: _NOT_FOUND_404,
        },
        examples=[
            OpenApiExample(
                "A typing mistake",
                value={
                    "step": "publicity_start",
                    "day": "2021-06-21",
                    "reason": "公示开始日期录入错误，以公示照片为准",
                },
            )
        ],
    )
    def post(self, request: Request, code: str, formation_id: int) -> Response:
        formation = self.writable_formation(formation_id)
        payload = FormationCorrectionInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        formation = services.committee_formation_correct(
            formation=formation,
            step=data["step"],
            day=data["day"],
            reason=data["reason"],
            actor=request.user,  # type: ignore[arg-type]
        )
        return Response(_one_formation(self.compound, formation, self.names_visible))
