"""Pages of works projects under ``c/<code>/works/``: the list, the create and edit forms,
the project's page (scope, items, basis, funding with progress and a chart, documents,
events, blocked units, the next step), the funding plan form, and the owners' shares
(paginated, searchable, exported as XLSX).

Those who manage the compound read; the committee and the street office write
(:mod:`works.access`). Every page runs a fixed number of queries.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import acting_roles, check_compound_access, get_compound_for_user
from portal.errors import errors_to_form, errors_to_messages
from portal.exports import list_export, refuse_invalid, register_export
from portal.lists import ListQuery, ListSpec, export_rows, paginate
from portal.models import Compound
from portal.typing import AuthenticatedHttpRequest
from portal.xlsx import Sheet
from voting import selectors as vote_selectors
from voting.models import DecisionState, Item

from . import access, receipt_selectors, selectors
from .api import document_response
from .forms import DocumentForm, FundingForm, ProjectForm, TransitionForm
from .models import Contribution, EmergencyCase, Project, ProjectStatus
from .services.funding import funding_plan_set
from .services.projects import (
    BASIS_CATEGORIES,
    NEXT_STATUS,
    Transition,
    document_max_bytes,
    document_upload,
    project_create,
    project_transition,
    project_update,
)

SHARES_LIST = ListSpec(per_page=50)
#: Blocked units the project page lists (their count is always shown).
BLOCKED_SHOWN = 100


def _context(request: AuthenticatedHttpRequest, compound: Compound, **extra) -> dict:
    roles = acting_roles(request.user, compound)
    return {
        "compound": compound,
        "can_edit": bool(roles & access.PROJECT_EDITORS),
        "can_upload": bool(roles & access.DOCUMENT_UPLOADERS),
        **extra,
    }


@login_required
def projects(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """维修改造工程: the compound's projects with status, budget and scope."""
    compound = get_compound_for_user(request.user, code, access.PROJECT_READERS)
    rows = list(selectors.compound_projects(compound))
    return render(request, "works/projects.html", _context(request, compound, projects=rows))


def _unit_ids(compound: Compound, pairs: list[tuple[str, str]]) -> list[int]:
    """The ids of the units written as (楼号, 房号), or a ValidationError naming the first
    that is not in the compound (one query)."""
    if not pairs:
        return []
    wanted = Q(pk__in=[])
    for building, number in pairs:
        wanted |= Q(building__number=building, number=number)
    found = {
        (b, n): pk
        for pk, b, n in compound.units.filter(wanted).values_list(
            "pk", "building__number", "number"
        )
    }
    missing = [f"{b} {n}" for b, n in pairs if (b, n) not in found]
    if missing:
        raise ValidationError(
            {"units_text": _("本小区没有这些房屋：%(units)s") % {"units": "、".join(missing[:10])}}
        )
    return [found[pair] for pair in pairs]


@login_required
def project_new(request: AuthenticatedHttpRequest, code: str) -> HttpResponseBase:
    """A new (proposed) project: title, budget, scope of this compound, items."""
    compound = get_compound_for_user(request.user, code, access.PROJECT_EDITORS)
    buildings = list(compound.buildings.order_by("sort_key", "number"))
    form = ProjectForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = project_create(
                compound=compound,
                actor=request.user,
                title=data["title"],
                description=data["description"],
                budget=data["budget"],
                proposed_on=data["proposed_on"],
                building_numbers=data["building_numbers"],
                unit_ids=_unit_ids(compound, data["units_text"]),
                items=data["items_text"],
                illustrative=data["illustrative"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已登记工程“%(title)s”") % {"title": project.title})
            return redirect("works:project", compound.code, project.pk)
    return render(
        request,
        "works/project_form.html",
        _context(request, compound, form=form, project=None),
        status=400 if form.errors else 200,
    )


@login_required
def project_edit(request: AuthenticatedHttpRequest, code: str, project_id: int) -> HttpResponseBase:
    """Change a proposed project (its scope change recomputes the owners' shares)."""
    project = access.get_project_for_user(request.user, code, project_id, access.PROJECT_EDITORS)
    compound = project.compound
    buildings = list(compound.buildings.order_by("sort_key", "number"))
    detail = selectors.project_detail(project)
    initial = {
        "title": detail.title,
        "description": detail.description,
        "budget": detail.budget,
        "proposed_on": detail.proposed_on,
        "illustrative": detail.illustrative,
        "building_numbers": [row.building.number for row in detail.scope_buildings.all()],
        "units_text": "\n".join(
            f"{row.unit.building.number} {row.unit.number}" for row in detail.scope_units.all()
        ),
        "items_text": "\n".join(
            " | ".join([i.name, i.registration_number, i.building.number if i.building else ""])
            for i in detail.items.all()
        ),
    }
    form = ProjectForm(request.POST or None, buildings=buildings, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project_update(
                project=project,
                actor=request.user,
                building_numbers=data["building_numbers"],
                unit_ids=_unit_ids(compound, data["units_text"]),
                items=data["items_text"],
                title=data["title"],
                description=data["description"],
                budget=data["budget"],
                proposed_on=data["proposed_on"],
                illustrative=data["illustrative"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("works:project", compound.code, project.pk)
    return render(
        request,
        "works/project_form.html",
        _context(request, compound, form=form, project=detail),
        status=400 if form.errors else 200,
    )


def basis_candidates(compound: Compound) -> list[Item]:
    """Items of the compound's counted or published decisions, of a fitting category,
    that passed as counting certified them (one query; the snapshot is read, not
    recounted)."""
    items = (
        Item.objects.filter(
            compound=compound,
            category__in=[int(c) for c in BASIS_CATEGORIES],
            decision__state__in=[DecisionState.COUNTED, DecisionState.PUBLISHED],
        )
        .select_related("decision")
        .order_by("-decision__counted_at", "position")
    )
    return [item for item in items if vote_selectors.item_passed(item)]


def _transition_form(project: Project, data=None) -> TransitionForm | None:
    following = NEXT_STATUS.get(ProjectStatus(project.status))
    if following is None:
        return None
    items: list[Item] = []
    cases: list[EmergencyCase] | QuerySet[EmergencyCase] = []
    if following == ProjectStatus.APPROVED:
        items = basis_candidates(project.compound)
        cases = list(EmergencyCase.objects.filter(active=True))
    return TransitionForm(data, items=items, cases=cases, initial={"to_status": following.value})


def _chart(progress) -> dict:
    return {
        "lines": [
            {
                "name": f"{line.kind_label} · {line.payer}",
                "target": str(line.target),
                "raised": str(line.raised),
            }
            for line in progress.lines
        ]
    }


@login_required
def project_detail(request: AuthenticatedHttpRequest, code: str, project_id: int) -> HttpResponse:
    """One project: everything about it and its next step."""
    project = access.get_project_for_user(request.user, code, project_id)
    compound = project.compound
    detail = selectors.project_detail(project)
    detail.compound = compound
    progress = receipt_selectors.project_progress(compound, detail)
    blocked = selectors.blocked_units(detail)
    blocked_rows = list(blocked[: BLOCKED_SHOWN + 1])
    context = _context(
        request,
        compound,
        project=detail,
        progress=progress,
        blocked=blocked_rows[:BLOCKED_SHOWN],
        blocked_more=len(blocked_rows) > BLOCKED_SHOWN,
        chart=_chart(progress),
        chart_labels={"target": _("目标"), "raised": _("已到账"), "title": _("各项资金到账情况")},
        decision_url=(
            reverse("voting:decision", args=[compound.code, detail.basis_item.decision_id])
            if detail.basis_item is not None
            else ""
        ),
        document_form=DocumentForm(),
        max_mb=document_max_bytes() // (1024 * 1024),
    )
    if context["can_edit"]:
        context["transition_form"] = _transition_form(detail)
        context["next_status"] = NEXT_STATUS.get(ProjectStatus(detail.status))
    return render(request, "works/project_detail.html", context)


@login_required
@require_POST
def project_step(request: AuthenticatedHttpRequest, code: str, project_id: int) -> HttpResponse:
    """Move the project one step on (the detail page's confirmed button)."""
    project = access.get_project_for_user(request.user, code, project_id, access.PROJECT_EDITORS)
    form = _transition_form(project, request.POST)
    if form is None:
        messages.error(request, _("工程已结算，没有下一步"))
        return redirect("works:project", code, project.pk)
    if not form.is_valid():
        errors_to_messages(request, form)
        return redirect("works:project", code, project.pk)
    data = form.cleaned_data
    try:
        project_transition(
            project=project,
            actor=request.user,
            step=Transition(
                to_status=data["to_status"],
                on=data["on"],
                note=data["note"],
                # The form offered only this compound's items and the active cases.
                basis_item=Item.objects.filter(
                    compound=project.compound, pk=data["basis_item"] or 0
                ).first(),
                emergency_case=EmergencyCase.objects.filter(
                    code=data["emergency_case"] or ""
                ).first(),
                contractor=data["contractor"],
                contract_sum=data["contract_sum"],
                settled_amount=data["settled_amount"],
            ),
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(request, _("工程状态已更新"))
    return redirect("works:project", code, project.pk)


@login_required
def project_funding(
    request: AuthenticatedHttpRequest, code: str, project_id: int
) -> HttpResponseBase:
    """资金计划: the budget and the lines, saved as a whole (they must sum to the budget)."""
    project = access.get_project_for_user(request.user, code, project_id, access.PROJECT_EDITORS)
    compound = project.compound
    lines = list(project.funding.order_by("position"))
    initial: dict[str, object] = {"budget": project.budget}
    for n, line in enumerate(lines, start=1):
        initial.update(
            {
                f"kind{n}": line.kind,
                f"payer{n}": line.payer,
                f"property_unit{n}": str(line.property_unit_id or ""),
                f"amount{n}": line.amount,
            }
        )
    units = list(compound.property_right_units.order_by("name"))
    form = FundingForm(
        request.POST or None, initial=initial, rows=max(6, len(lines) + 2), property_units=units
    )
    if request.method == "POST" and form.is_valid():
        try:
            funding_plan_set(
                project=project,
                actor=request.user,
                budget=form.cleaned_data["budget"],
                lines=form.cleaned_data["lines"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("资金计划已保存，业主分摊已重新计算"))
            return redirect("works:project", compound.code, project.pk)
    return render(
        request,
        "works/funding_form.html",
        _context(request, compound, project=project, form=form),
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def document_new(request: AuthenticatedHttpRequest, code: str, project_id: int) -> HttpResponse:
    """Upload one document (PDF, JPEG or PNG by content, size-limited)."""
    project = access.get_project_for_user(request.user, code, project_id, access.DOCUMENT_UPLOADERS)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        errors_to_messages(request, form)
        return redirect("works:project", code, project.pk)
    upload = form.cleaned_data["file"]
    try:
        document_upload(
            project=project,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            content=upload.read(document_max_bytes() + 1),
            filename=upload.name or "",
            public=form.cleaned_data["public"],
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(request, _("文件已上传"))
    return redirect("works:project", code, project.pk)


@login_required
def document_file(
    request: AuthenticatedHttpRequest, code: str, project_id: int, document_id: int
) -> HttpResponseBase:
    """A document's file, only for those who read the project."""
    return document_response(
        access.get_document_for_user(request.user, code, project_id, document_id)
    )


# ------------------------------------------------------------------ shares


def _shares_list(project: Project, params) -> tuple[ListQuery, QuerySet[Contribution]]:
    query = ListQuery.from_params(params, SHARES_LIST)
    return query, selectors.project_shares(project, search=query.search)


def _share_cells(row: Contribution) -> list[object]:
    return [row.unit.building.label, row.unit.number, row.area, row.share, row.paid]


def shares_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    compound = check_compound_access(user, compound, access.PROJECT_READERS)
    project = access.get_project_for_user(user, compound.code, int(params.get("project", 0)))
    query, rows = _shares_list(project, params)
    refuse_invalid(query)
    headers = [_("楼栋"), _("房号"), _("面积（m²）"), _("应出资（元）"), _("已缴（元）")]
    stem = _("业主分摊")
    return f"{stem}-{compound.code}-{project.pk}.xlsx", [
        Sheet(stem, headers, export_rows(rows, _share_cells), text_columns=[0, 1])
    ]


register_export("works.shares", shares_export)


@login_required
def project_shares(
    request: AuthenticatedHttpRequest, code: str, project_id: int
) -> HttpResponseBase:
    """业主分摊: each unit's share of the owners' line, a page at a time, searchable by
    building and unit, exported whole as XLSX."""
    project = access.get_project_for_user(request.user, code, project_id)
    compound = project.compound
    query, rows = _shares_list(project, request.GET)
    if query.wants_export and (
        response := list_export(request, compound, "works.shares", query, rows, project=project.pk)
    ):
        return response
    owners = project.funding.filter(kind="owners").first()
    return render(
        request,
        "works/shares.html",
        _context(
            request,
            compound,
            project=project,
            owners=owners,
            list=paginate(rows, query),
            total=owners.amount if owners else Decimal("0.00"),
        ),
        status=query.status,
    )
