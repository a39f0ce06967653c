"""The public pages of a compound's works (工程公示, no login): per project its scope and
items, the basis (the decision item and its certified result, or the emergency case),
the funding plan with the money raised per line (a server-drawn chart), the contractor
and contract sum, acceptance and final settlement.

Nothing personal: no names, ID numbers, phones, and no unit-level owner data (shares and
payments appear only as sums per funding line). A project still being proposed is not
published."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render

from portal.models import Compound
from voting.models import DecisionState
from voting.selectors import certified_tally
from voting.snapshot import ItemResult

from . import receipt_selectors
from .api import document_response
from .models import (
    FundingLine,
    Project,
    ProjectBuilding,
    ProjectDocument,
    ProjectItem,
    ProjectStatus,
)


def _public_projects(compound: Compound) -> QuerySet[Project]:
    return Project.objects.filter(compound=compound).exclude(status=ProjectStatus.PROPOSED)


@dataclass(frozen=True)
class Basis:
    """What a project rests on, as published: the item with its certified result (and a
    link to the decision's public result once published), or the emergency case."""

    result: ItemResult | None
    decision_title: str = ""
    decision_id: int | None = None
    published: bool = False


def _basis(project: Project) -> Basis | None:
    item = project.basis_item
    if item is None:
        return None
    decision = item.decision
    snapshot = certified_tally(decision)
    return Basis(
        result=snapshot.item(item.pk) if snapshot else None,
        decision_title=decision.title,
        decision_id=decision.pk,
        published=decision.state == DecisionState.PUBLISHED,
    )


def public_projects(request: HttpRequest, code: str) -> HttpResponse:
    compound = get_object_or_404(Compound, code=code)
    projects = _public_projects(compound).prefetch_related(
        Prefetch("funding", queryset=FundingLine.objects.order_by("position"))
    )
    return render(request, "works/public_list.html", {"compound": compound, "projects": projects})


def public_project(request: HttpRequest, code: str, project_id: int) -> HttpResponse:
    compound = get_object_or_404(Compound, code=code)
    project = get_object_or_404(
        _public_projects(compound)
        .select_related("emergency_case", "basis_item__decision")
        .prefetch_related(
            Prefetch(
                "scope_buildings",
                queryset=ProjectBuilding.objects.select_related("building").order_by(
                    "building__sort_key", "building__number"
                ),
            ),
            Prefetch(
                "items",
                queryset=ProjectItem.objects.select_related("building").order_by("id"),
            ),
            Prefetch(
                "documents",
                queryset=ProjectDocument.objects.filter(public=True).order_by("uploaded_at", "id"),
                to_attr="public_documents",
            ),
        ),
        pk=project_id,
    )
    return render(
        request,
        "works/public.html",
        {
            "compound": compound,
            "project": project,
            "basis": _basis(project),
            "scope_units": project.scope_units.count(),
            "progress": receipt_selectors.project_progress(compound, project),
        },
    )


def public_document(
    request: HttpRequest, code: str, project_id: int, document_id: int
) -> HttpResponseBase:
    """A document the committee marked public (an acceptance report, a settlement) of a
    published project; any other document answers 404, as an absent one."""
    compound = get_object_or_404(Compound, code=code)
    project = get_object_or_404(_public_projects(compound), pk=project_id)
    document = ProjectDocument.objects.filter(
        compound=compound, project=project, pk=document_id, public=True
    ).first()
    if document is None:
        raise Http404
    return document_response(document)
