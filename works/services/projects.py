"""Works projects (维修改造工程): create, edit while proposed, documents, and the state
machine proposed → approved → contracted → in_progress → accepted → settled.

Every write validates everything before it writes (nothing half-saved), runs in one
transaction and is audited; every state change is also a :class:`ProjectEvent`.

A project reaches *approved* only with a basis (:func:`basis_problems`): a passed item of
a joint decision (CC 278 (5)–(8)) whose scope covers the project's, as counting certified
it (``voting.selectors.item_passed`` reads the stored snapshot; nothing is recounted), or
the emergency route: an active emergency case, an uploaded evidence document, and an
emergency draw on the maintenance fund published to the owners for that case.
"""

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from households.models import Building, Unit
from portal.audit import audit_record
from portal.models import Compound
from voting import selectors as vote_selectors
from voting.models import Item
from voting.rules import Category

from .. import selectors
from ..fund_selectors import emergency_basis_ok
from ..models import (
    DocumentKind,
    EmergencyCase,
    FundDraw,
    Project,
    ProjectBuilding,
    ProjectDocument,
    ProjectEvent,
    ProjectItem,
    ProjectStatus,
    ProjectUnit,
)
from ._inputs import acting, money, record_date
from .contributions import contributions_recompute

#: CC 278 matters a works project may rest on: (5) use and (6) raising of the maintenance
#: fund, (7) rebuilding, (8) change of use of common parts.
BASIS_CATEGORIES = frozenset(
    {
        Category.MAINTENANCE_FUND_USE,
        Category.MAINTENANCE_FUND_RAISE,
        Category.REBUILDING,
        Category.COMMON_PARTS_USE,
    }
)

#: The next status of each, and the date field the step sets.
NEXT_STATUS = {
    ProjectStatus.PROPOSED: ProjectStatus.APPROVED,
    ProjectStatus.APPROVED: ProjectStatus.CONTRACTED,
    ProjectStatus.CONTRACTED: ProjectStatus.IN_PROGRESS,
    ProjectStatus.IN_PROGRESS: ProjectStatus.ACCEPTED,
    ProjectStatus.ACCEPTED: ProjectStatus.SETTLED,
}
DATE_FIELD = {
    ProjectStatus.PROPOSED: "proposed_on",
    ProjectStatus.APPROVED: "approved_on",
    ProjectStatus.CONTRACTED: "contracted_on",
    ProjectStatus.IN_PROGRESS: "started_on",
    ProjectStatus.ACCEPTED: "accepted_on",
    ProjectStatus.SETTLED: "settled_on",
}

#: Most items and scope rows a project may list (a typo or an attack beyond this).
MAX_ITEMS = 200
MAX_SCOPE_UNITS = 5000
DOCUMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True)
class ItemInput:
    """One thing the works replace or repair (e.g. a lift and its registration number)."""

    name: str
    registration_number: str = ""
    building_number: str = ""
    quantity: int = 1
    note: str = ""


# ------------------------------------------------------------------ scope and items


def _scope(
    compound: Compound, building_numbers: Iterable[str], unit_ids: Iterable[int]
) -> tuple[list[Building], list[Unit]]:
    """The buildings (by 楼号) and units (by id) of ``compound`` named, or a ValidationError
    naming what is not in it; at least one of the two."""
    numbers = list(dict.fromkeys(str(n).strip() for n in building_numbers))
    ids = list(dict.fromkeys(unit_ids))
    if not numbers and not ids:
        raise ValidationError({"scope": _("请选择工程范围：至少一栋楼或一套房屋")})
    if len(ids) > MAX_SCOPE_UNITS:
        raise ValidationError(
            {
                "scope": _("单独列出的房屋最多 %(max)d 套，请改为按楼栋选择")
                % {"max": MAX_SCOPE_UNITS}
            }
        )
    buildings = list(compound.buildings.filter(number__in=numbers))
    missing = sorted(set(numbers) - {b.number for b in buildings})
    if missing:
        raise ValidationError(
            {
                "scope": _("本小区没有这些楼栋：%(numbers)s")
                % {"numbers": "、".join(n[:32] for n in missing[:10])}
            }
        )
    units = list(compound.units.filter(id__in=ids).select_related("building"))
    if len(units) != len(ids):
        raise ValidationError({"scope": _("所选房屋中有不属于本小区的房屋")})
    whole = {b.pk for b in buildings}
    return buildings, [u for u in units if u.building_id not in whole]


def _items(compound: Compound, items: Sequence[ItemInput]) -> list[ProjectItem]:
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": _("工程内容最多 %(max)d 项") % {"max": MAX_ITEMS}})
    numbers = {i.building_number for i in items if i.building_number}
    buildings = {b.number: b for b in compound.buildings.filter(number__in=numbers)}
    rows = []
    for index, item in enumerate(items, start=1):
        name = item.name.strip()
        if not name:
            raise ValidationError({"items": _("第 %(n)d 项工程内容缺少名称") % {"n": index}})
        if item.building_number and item.building_number not in buildings:
            raise ValidationError(
                {
                    "items": _("第 %(n)d 项工程内容的楼栋“%(number)s”不在本小区")
                    % {"n": index, "number": item.building_number[:32]}
                }
            )
        if not 1 <= item.quantity <= 10_000:
            raise ValidationError(
                {"items": _("第 %(n)d 项工程内容的数量须在 1 到 10000 之间") % {"n": index}}
            )
        row = ProjectItem(
            compound=compound,
            name=name,
            registration_number=item.registration_number.strip(),
            building=buildings.get(item.building_number),
            quantity=item.quantity,
            note=item.note.strip(),
        )
        row.full_clean(exclude=["project"])
        rows.append(row)
    return rows


def _write_scope(project: Project, buildings: list[Building], units: list[Unit]) -> None:
    project.scope_buildings.all().delete()
    project.scope_units.all().delete()
    ProjectBuilding.objects.bulk_create(
        ProjectBuilding(compound_id=project.compound_id, project=project, building=b)
        for b in buildings
    )
    ProjectUnit.objects.bulk_create(
        ProjectUnit(compound_id=project.compound_id, project=project, unit=u) for u in units
    )


def _write_items(project: Project, items: list[ProjectItem]) -> None:
    project.items.all().delete()
    for item in items:
        item.project = project
    ProjectItem.objects.bulk_create(items)


def _scope_data(buildings: list[Building], units: list[Unit]) -> dict:
    return {"buildings": [b.number for b in buildings], "units": [u.pk for u in units]}


# ------------------------------------------------------------------ create and edit


@transaction.atomic
def project_create(
    *,
    compound: Compound,
    actor: User | None,
    title: str,
    budget: object,
    proposed_on: dt.date | None = None,
    description: str = "",
    building_numbers: Iterable[str] = (),
    unit_ids: Iterable[int] = (),
    items: Sequence[ItemInput] = (),
    illustrative: bool = False,
) -> Project:
    """A proposed project of ``compound`` with its scope (buildings by 楼号 and/or units by
    id, all of this compound) and its items. The funding plan is set separately."""
    project = Project(
        compound=compound,
        title=title.strip(),
        description=description.strip(),
        budget=money(budget, "budget", _("预算")),
        proposed_on=record_date(proposed_on, "proposed_on", _("提出日期")),
        illustrative=illustrative,
        created_by=acting(actor),
    )
    project.full_clean(exclude=["compound", "created_by"])
    buildings, units = _scope(compound, building_numbers, unit_ids)
    rows = _items(compound, items)
    project.save()
    _write_scope(project, buildings, units)
    _write_items(project, rows)
    ProjectEvent.objects.create(
        compound=compound,
        project=project,
        from_status="",
        to_status=ProjectStatus.PROPOSED,
        on=project.proposed_on,
        actor=acting(actor),
    )
    audit_record(
        action="works.project_create",
        actor=actor,
        compound=compound,
        obj=project,
        data={
            "title": project.title,
            "budget": str(project.budget),
            "scope": _scope_data(buildings, units),
            "items": len(rows),
        },
    )
    return project


#: What project_update may change (only while proposed).
EDITABLE = ("title", "description", "budget", "proposed_on", "illustrative")


@transaction.atomic
def project_update(
    *,
    project: Project,
    actor: User | None,
    building_numbers: Iterable[str] | None = None,
    unit_ids: Iterable[int] | None = None,
    items: Sequence[ItemInput] | None = None,
    **changes: object,
) -> Project:
    """Change a proposed project: its fields (:data:`EDITABLE`), scope or items. A new
    budget must still equal the funding plan's sum (change both with
    :func:`works.services.funding.funding_plan_set`); a new scope recomputes the owners'
    shares (refused once receipts exist)."""
    project = Project.objects.select_for_update(of=("self",)).get(pk=project.pk)
    if project.status != ProjectStatus.PROPOSED:
        raise ValidationError(
            _("只有“已提出”状态的工程可以修改；当前状态：%(status)s")
            % {"status": project.get_status_display()},
            code="not_editable",
        )
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(
            _("不能修改这些字段：%(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    before = {name: str(getattr(project, name)) for name in changes}
    if "title" in changes:
        project.title = str(changes["title"]).strip()
    if "description" in changes:
        project.description = str(changes["description"]).strip()
    if "illustrative" in changes:
        project.illustrative = bool(changes["illustrative"])
    if "proposed_on" in changes:
        project.proposed_on = record_date(changes["proposed_on"], "proposed_on", _("提出日期"))  # type: ignore[arg-type]
    if "budget" in changes:
        project.budget = money(changes["budget"], "budget", _("预算"))
        lines = list(project.funding.all())
        if lines and sum((line.amount for line in lines), Decimal(0)) != project.budget:
            raise ValidationError(
                {
                    "budget": _(
                        "预算须等于资金来源合计 %(sum)s 元；请在资金计划中同时修改预算和各项来源"
                    )
                    % {"sum": sum((line.amount for line in lines), Decimal(0))}
                }
            )
    project.full_clean(exclude=["compound", "created_by", "basis_item", "emergency_case"])
    scope = None
    if building_numbers is not None or unit_ids is not None:
        current_buildings = [
            pb.building.number for pb in project.scope_buildings.select_related("building")
        ]
        current_units = [pu.unit_id for pu in project.scope_units.all()]
        scope = _scope(
            project.compound,
            current_buildings if building_numbers is None else building_numbers,
            current_units if unit_ids is None else unit_ids,
        )
    rows = _items(project.compound, items) if items is not None else None
    project.save()
    if "proposed_on" in changes:  # the timeline's first step keeps the proposal's date
        project.events.filter(from_status="", to_status=ProjectStatus.PROPOSED).update(
            on=project.proposed_on
        )
    if scope is not None:
        _write_scope(project, *scope)
        contributions_recompute(project=project, actor=actor)
    if rows is not None:
        _write_items(project, rows)
    audit_record(
        action="works.project_update",
        actor=actor,
        compound=project.compound,
        obj=project,
        data={
            "before": before,
            "after": {name: str(getattr(project, name)) for name in changes},
            **({"scope": _scope_data(*scope)} if scope is not None else {}),
            **({"items": len(rows)} if rows is not None else {}),
        },
    )
    return project


# ------------------------------------------------------------------ documents


def sniff_document(head: bytes) -> str | None:
    """The content type of a PDF, JPEG or PNG file by its first bytes, else None (the
    file name's extension is never trusted)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def document_max_bytes() -> int:
    return int(getattr(settings, "WORKS_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024))


@transaction.atomic
def document_upload(
    *,
    project: Project,
    actor: User | None,
    kind: str,
    title: str,
    content: bytes,
    filename: str = "",
    public: bool = False,
) -> ProjectDocument:
    """Keep one document of ``project`` (a PDF, JPEG or PNG by its content, at most
    ``WORKS_DOCUMENT_MAX_BYTES``) under a random name in the default storage. It is served
    only through the portal's document view, to those who may see the project."""
    limit = document_max_bytes()
    if len(content) > limit:
        raise ValidationError(
            {"file": _("文件不能超过 %(mb).1f MB") % {"mb": limit / 1024 / 1024}},
            code="too_large",
        )
    if not content:
        raise ValidationError({"file": _("文件是空的")}, code="empty")
    content_type = sniff_document(content[:16])
    if content_type is None:
        raise ValidationError(
            {"file": _("只接受 PDF、JPEG 或 PNG 文件（按文件内容判断，改扩展名无效）")},
            code="wrong_type",
        )
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("文件类型无效")})
    title = (title or PurePath(filename).stem).strip()[:200]
    document = ProjectDocument(
        compound_id=project.compound_id,
        project=project,
        kind=kind,
        title=title,
        content_type=content_type,
        size=len(content),
        public=public,
        uploaded_by=acting(actor),
    )
    document.full_clean(exclude=["compound", "project", "file", "uploaded_by"])
    name = (
        f"{project.compound_id}/{project.pk}/{secrets.token_hex(16)}.{DOCUMENT_TYPES[content_type]}"
    )
    document.file.save(name, ContentFile(content), save=False)
    stored = document.file.name or name
    try:  # a row that cannot be written leaves no file behind
        document.save()
    except Exception:
        document.file.storage.delete(stored)
        raise
    audit_record(
        action="works.document_upload",
        actor=actor,
        compound=project.compound,
        obj=document,
        data={
            "project": project.pk,
            "kind": kind,
            "title": title,
            "content_type": content_type,
            "size": len(content),
            "public": public,
        },
    )
    return document


# ------------------------------------------------------------------ the state machine


def basis_problems(
    project: Project, *, item: Item | None = None, case: EmergencyCase | None = None
) -> list[str]:
    """Why ``item`` or ``case`` cannot be the basis of approving ``project`` (empty: it
    can). Exactly one of the two must be given."""
    if (item is None) == (case is None):
        return [_("批准须有且只有一项依据：已通过的表决事项，或应急使用情形")]
    if item is not None:
        if item.compound_id != project.compound_id:
            return [_("所选表决事项不属于本小区")]
        if item.category not in BASIS_CATEGORIES:
            return [
                _(
                    "表决事项的类别不适用：工程须依据民法典第278条第(五)、(六)、(七)或(八)项"
                    "事项，所选事项为第(%(n)s)项"
                )
                % {"n": item.category}
            ]
        if not vote_selectors.item_passed(item):
            return [_("所选表决事项尚未计票或未获通过")]
        scope = vote_selectors.item_scope(item)
        if scope is not None:
            uncovered = selectors.scope_building_ids(project) - set(scope)
            if uncovered:
                labels = [b.label for b in project.compound.buildings.filter(id__in=uncovered)]
                return [
                    _("表决事项的范围不包括工程涉及的楼栋：%(labels)s")
                    % {"labels": "、".join(labels)}
                ]
        return []
    assert case is not None
    problems = []
    if not case.active:
        problems.append(_("该应急使用情形已停用"))
    if not project.documents.filter(kind=DocumentKind.EVIDENCE).exists():
        problems.append(_("应急途径须先上传证明材料（文件类型：应急证明材料）"))
    # The fund's selector decides (evidence and a published emergency draw for the case);
    # the draw is looked at on its own only to say which of the two is missing.
    published = FundDraw.objects.filter(
        compound_id=project.compound_id, project=project, emergency_case=case
    ).exclude(published_on__isnull=True)
    if not published.exists() or (not problems and not emergency_basis_ok(project, case)):
        problems.append(_("应急途径须先向业主公示该情形的维修资金应急使用"))
    return problems


@dataclass(frozen=True)
class Transition:
    """What moving a project on needs: the date, and the step's own facts."""

    to_status: str
    on: dt.date | None = None
    note: str = ""
    basis_item: Item | None = None
    emergency_case: EmergencyCase | None = None
    contractor: str = ""
    contract_sum: object = None
    settled_amount: object = None


def _check_step(project: Project, step: Transition) -> dict:
    """The fields the step sets, or a ValidationError saying why it cannot be taken."""
    if step.to_status not in ProjectStatus.values:
        raise ValidationError({"to_status": _("状态无效")})
    expected = NEXT_STATUS.get(ProjectStatus(project.status))
    if step.to_status != expected:
        raise ValidationError(
            {
                "to_status": _("工程当前为“%(now)s”，不能转为“%(to)s”")
                % {
                    "now": project.get_status_display(),
                    "to": ProjectStatus(step.to_status).label,
                }
            },
            code="bad_transition",
        )
    previous = getattr(project, DATE_FIELD[ProjectStatus(project.status)])
    field = DATE_FIELD[ProjectStatus(step.to_status)]
    values: dict = {field: record_date(step.on, "on", _("日期"), not_before=previous)}
    if step.to_status == ProjectStatus.APPROVED:
        problems = basis_problems(project, item=step.basis_item, case=step.emergency_case)
        if problems:
            raise ValidationError({"basis": problems}, code="no_basis")
        values["basis_item"] = step.basis_item
        values["emergency_case"] = step.emergency_case
    elif step.to_status == ProjectStatus.CONTRACTED:
        contractor = step.contractor.strip()
        if not contractor:
            raise ValidationError({"contractor": _("签约须填写施工单位")})
        if step.contract_sum in (None, ""):
            raise ValidationError({"contract_sum": _("签约须填写合同金额")})
        if not project.funding.exists():
            raise ValidationError({"funding": _("签约前须先制定资金计划（各项来源合计等于预算）")})
        values["contractor"] = contractor[:200]
        values["contract_sum"] = money(step.contract_sum, "contract_sum", _("合同金额"))
    elif step.to_status == ProjectStatus.SETTLED:
        if step.settled_amount in (None, ""):
            raise ValidationError({"settled_amount": _("结算须填写结算金额")})
        values["settled_amount"] = money(step.settled_amount, "settled_amount", _("结算金额"))
    return values


@transaction.atomic
def project_transition(*, project: Project, actor: User | None, step: Transition) -> Project:
    """Move ``project`` one step on (:data:`NEXT_STATUS`), with the step's date and facts:
    approval needs a basis, contracting a contractor, a contract sum and a funding plan,
    settlement the settled amount. Recorded as a :class:`ProjectEvent` and audited."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=project.pk)
    )
    values = _check_step(project, step)
    from_status = project.status
    for name, value in values.items():
        setattr(project, name, value)
    project.status = step.to_status
    project.save(update_fields=[*values, "status"])
    ProjectEvent.objects.create(
        compound_id=project.compound_id,
        project=project,
        from_status=from_status,
        to_status=project.status,
        on=values[DATE_FIELD[ProjectStatus(step.to_status)]],
        note=step.note.strip()[:300],
        actor=acting(actor),
    )
    audit_record(
        action="works.project_state",
        actor=actor,
        compound=project.compound,
        obj=project,
        data={
            "from": from_status,
            "to": project.status,
            **{
                name: (
                    value.pk if hasattr(value, "pk") else str(value) if value is not None else None
                )
                for name, value in values.items()
            },
        },
    )
    return project
