"""API v1 of works projects under ``/api/v1/compounds/{code}/works/``.

Reads: everyone who manages the compound; residents read the project list and detail
(what the public page shows anyway) and only their own units' shares. Writes (create,
change while proposed, the funding plan, state changes): the committee and the street
office; documents also the service company. A caller without the right gets 404, as for
an absent compound. Every view is a :class:`portal.api.CompoundScopedAPIView`; the
services do the validation (their ValidationError becomes a 400 in one handler).
"""

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal.access import get_compound_for_user
from portal.api import CompoundScopedAPIView
from portal.models import Compound
from voting.models import Item

from . import access, selectors
from .models import Contribution, EmergencyCase, FundingLine, Project, ProjectDocument
from .serializers import (
    FundingLineDetailSerializer,
    FundingPlanInputSerializer,
    ProjectDetailSerializer,
    ProjectDocumentInputSerializer,
    ProjectDocumentSerializer,
    ProjectInputSerializer,
    ProjectSerializer,
    ProjectTransitionInputSerializer,
    ShareSerializer,
)
from .services.funding import FundingLineInput, funding_plan_set
from .services.projects import (
    ItemInput,
    Transition,
    document_max_bytes,
    document_upload,
    project_create,
    project_transition,
    project_update,
)


def _items(rows: list[dict]) -> list[ItemInput]:
    return [
        ItemInput(
            name=row["name"],
            registration_number=row.get("registration_number", ""),
            building_number=row.get("building", ""),
            quantity=row.get("quantity", 1),
            note=row.get("note", ""),
        )
        for row in rows
    ]


def _detail(project: Project) -> dict:
    return ProjectDetailSerializer(selectors.project_detail(project)).data


class ProjectListView(CompoundScopedAPIView, generics.ListAPIView):
    """维修改造工程: the compound's projects with scope, basis and funding lines. The
    committee and the street office POST a new (proposed) project."""

    serializer_class = ProjectSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Project]:
        return selectors.compound_projects(compound)

    @extend_schema(request=ProjectInputSerializer, responses={201: ProjectDetailSerializer})
    def post(self, request, code: str):
        compound = get_compound_for_user(request.user, code, access.PROJECT_EDITORS)
        data = ProjectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        project = project_create(
            compound=compound,
            actor=request.user,
            title=values["title"],
            description=values["description"],
            budget=values["budget"],
            proposed_on=values.get("proposed_on"),
            building_numbers=values["buildings"],
            unit_ids=values["units"],
            items=_items(values["items"]),
            illustrative=values["illustrative"],
        )
        return Response(_detail(project), status=status.HTTP_201_CREATED)


class ProjectDetailView(CompoundScopedAPIView, generics.RetrieveAPIView):
    """One project with dates, contractor, sums and items; PATCH changes a proposed one
    (any of the POST fields; a new scope recomputes the owners' shares)."""

    serializer_class = ProjectDetailSerializer
    lookup_url_kwarg = "project_id"

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Project]:
        return selectors.compound_projects(compound).prefetch_related(
            "scope_units", "items__building"
        )

    @extend_schema(
        request=ProjectInputSerializer(partial=True), responses={200: ProjectDetailSerializer}
    )
    def patch(self, request, code: str, project_id: int):
        project = access.get_project_for_user(
            request.user, code, project_id, access.PROJECT_EDITORS
        )
        data = ProjectInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        # A partial serializer still fills defaults: keep only what was sent.
        values = {k: v for k, v in values.items() if k in request.data}
        project_update(
            project=project,
            actor=request.user,
            building_numbers=values.pop("buildings", None),
            unit_ids=values.pop("units", None),
            items=_items(values.pop("items")) if "items" in values else None,
            **values,
        )
        return Response(_detail(project))


class FundingView(CompoundScopedAPIView, generics.ListAPIView):
    """资金计划: the project's funding lines with what each has received. PUT replaces the
    whole plan (lines summing exactly to the budget; ``budget`` may change with them while
    the project is proposed) and recomputes the owners' shares."""

    serializer_class = FundingLineDetailSerializer
    allowed_roles = access.PROJECT_READERS
    pagination_class = None

    def get_compound_queryset(self, compound: Compound) -> QuerySet[FundingLine]:
        project = get_object_or_404(compound_projects_only(compound), pk=self.kwargs["project_id"])
        raised = selectors.raised_by_line(project)
        lines = list(project.funding.order_by("position"))
        for line in lines:
            line.raised = raised.get(line.pk, selectors.ZERO)  # type: ignore[attr-defined]
        return lines  # type: ignore[return-value]

    @extend_schema(
        request=FundingPlanInputSerializer, responses={200: FundingLineDetailSerializer(many=True)}
    )
    def put(self, request, code: str, project_id: int):
        project = access.get_project_for_user(
            request.user, code, project_id, access.PROJECT_EDITORS
        )
        data = FundingPlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        funding_plan_set(
            project=project,
            actor=request.user,
            budget=data.validated_data.get("budget"),
            lines=[
                FundingLineInput(
                    kind=line["kind"],
                    payer=line["payer"],
                    amount=line["amount"],
                    property_unit_id=line["property_unit"],
                )
                for line in data.validated_data["lines"]
            ],
        )
        return self.list(request, code=code, project_id=project_id)


def compound_projects_only(compound: Compound) -> QuerySet[Project]:
    return Project.objects.filter(compound=compound)


class TransitionView(CompoundScopedAPIView):
    """Move a project one step on. ``approved`` needs ``basis_item`` (a passed CC 278
    (5)–(8) item covering the scope) or ``emergency_case`` (with published emergency use
    and evidence); ``contracted`` needs ``contractor`` and ``contract_sum``; ``settled``
    needs ``settled_amount``."""

    serializer_class = ProjectDetailSerializer
    allowed_roles = access.PROJECT_EDITORS
    queryset = Project.objects.none()  # for the schema only

    @extend_schema(
        request=ProjectTransitionInputSerializer, responses={200: ProjectDetailSerializer}
    )
    def post(self, request, code: str, project_id: int):
        project = access.get_project_for_user(
            request.user, code, project_id, access.PROJECT_EDITORS
        )
        data = ProjectTransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = case = None
        if values["basis_item"] is not None:
            item = Item.objects.filter(compound=project.compound, pk=values["basis_item"]).first()
            if item is None:
                return Response(
                    {"basis_item": [_("本小区没有这个表决事项")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        if values["emergency_case"]:
            case = EmergencyCase.objects.filter(code=values["emergency_case"]).first()
            if case is None:
                return Response(
                    {"emergency_case": [_("没有这个应急使用情形")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        project = project_transition(
            project=project,
            actor=request.user,
            step=Transition(
                to_status=values["to_status"],
                on=values.get("on"),
                note=values["note"],
                basis_item=item,
                emergency_case=case,
                contractor=values["contractor"],
                contract_sum=values.get("contract_sum"),
                settled_amount=values.get("settled_amount"),
            ),
        )
        return Response(_detail(project))


class ShareListView(CompoundScopedAPIView, generics.ListAPIView):
    """业主分摊: each unit's share of the owners' line (they sum exactly to it). Units of
    unknown area and flats of a property-right unit paying its own line have none. A
    resident gets only their own units' rows."""

    serializer_class = ShareSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Contribution]:
        project = get_object_or_404(compound_projects_only(compound), pk=self.kwargs["project_id"])
        if self.is_resident_only:
            return selectors.own_shares(project, self.request.user)
        return selectors.project_shares(project)


class DocumentListView(CompoundScopedAPIView, generics.ListAPIView):
    """工程文件: the project's documents. POST (multipart) uploads one: a PDF, JPEG or PNG
    by content, at most ``WORKS_DOCUMENT_MAX_BYTES``; the committee, the street office and
    the service company."""

    serializer_class = ProjectDocumentSerializer
    allowed_roles = access.PROJECT_READERS
    parser_classes = [MultiPartParser, FormParser]

    def get_compound_queryset(self, compound: Compound) -> QuerySet[ProjectDocument]:
        return ProjectDocument.objects.filter(
            compound=compound, project_id=self.kwargs["project_id"]
        ).order_by("uploaded_at", "id")

    @extend_schema(
        request=ProjectDocumentInputSerializer, responses={201: ProjectDocumentSerializer}
    )
    def post(self, request, code: str, project_id: int):
        project = access.get_project_for_user(
            request.user, code, project_id, access.DOCUMENT_UPLOADERS
        )
        data = ProjectDocumentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        limit = document_max_bytes()
        document = document_upload(
            project=project,
            actor=request.user,
            kind=data.validated_data["kind"],
            title=data.validated_data["title"],
            content=upload.read(limit + 1),
            filename=upload.name or "",
            public=data.validated_data["public"],
        )
        return Response(ProjectDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentFileView(CompoundScopedAPIView):
    """The document's file, for those who read the project (never a bare media URL)."""

    queryset = ProjectDocument.objects.none()  # for the schema only
    allowed_roles = access.PROJECT_READERS

    @extend_schema(
        responses={
            (200, media): OpenApiResponse(OpenApiTypes.BINARY, description="PDF, JPEG or PNG")
            for media in ("application/pdf", "image/jpeg", "image/png")
        }
    )
    def get(self, request, code: str, project_id: int, document_id: int):
        document = access.get_document_for_user(request.user, code, project_id, document_id)
        return document_response(document)


def document_response(document: ProjectDocument) -> FileResponse:
    """The stored file as its sniffed type, never rendered by the browser as anything
    else (nosniff), offered as a download."""
    extension = (document.file.name or "").rsplit(".", 1)[-1]
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=f"works-{document.project_id}-{document.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
