"""Pages of the compound register: buildings, units, owners and the committee.

The long ones (a building's units, the compound's units and owners) are lists of
``portal.lists``: a page at a time, searchable, filtered, exported whole as XLSX, at a
constant number of queries whatever the compound's size.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import check_compound_access, get_compound_for_user, is_staff_in
from portal.exports import list_export, refuse_invalid, register_export
from portal.lists import (
    Filter,
    ListPage,
    ListQuery,
    ListSpec,
    export_rows,
    paginate,
    paginate_groups,
)
from portal.models import STAFF_ROLES, Compound
from portal.typing import AuthenticatedHttpRequest
from portal.xlsx import Sheet

from . import selectors
from .access import get_building_for_user, get_unit_for_user, sees_owner_names
from .models import AreaSource, BuildingKind, Owner, OwnerKind, Unit

BUILDING_LIST = ListSpec(per_page=50)
UNITS_LIST = ListSpec(per_page=50)
OWNERS_LIST = ListSpec(per_page=50)


@dataclass
class UnitRow:
    """A unit as a list shows it: its owners' names whole or masked for this viewer."""

    unit: Unit
    owners: list[str]


def _unit_rows(units: Iterable[Unit], names_visible: bool) -> list[UnitRow]:
    return [
        UnitRow(
            unit,
            [
                selectors.owner_name_shown(o.owner.name, names_visible=names_visible)
                for o in unit.current_ownerships  # type: ignore[attr-defined]
            ],
        )
        for unit in units
    ]


def _unit_headers() -> list[str]:
    return [_("楼号"), _("房号"), _("单元"), _("建筑面积(m²)"), _("面积来源"), _("住宅"), _("业主")]


def _unit_cells(names_visible: bool) -> Callable[[Unit], Sequence[object]]:
    """The export row of a unit, labels translated once per file, not once per row."""
    sources = {value: str(label) for value, label in AreaSource.choices}
    yes, no = _("是"), _("否")

    def cells(unit: Unit) -> Sequence[object]:
        owners = [
            selectors.owner_name_shown(o.owner.name, names_visible=names_visible)
            for o in unit.current_ownerships  # type: ignore[attr-defined]
        ]
        return [
            unit.building.number,
            unit.number,
            unit.entrance,  # type: ignore[attr-defined]
            unit.floor_area,
            sources.get(unit.area_source, unit.area_source),
            yes if unit.is_residential else no,
            "、".join(owners),
        ]

    return cells


def _unit_sheet(units: QuerySet[Unit], names_visible: bool) -> Sheet:
    return Sheet(
        _("房屋"),
        _unit_headers(),
        export_rows(units, _unit_cells(names_visible)),
        text_columns=[0, 1, 2],
    )


def _filename(stem: str, compound: Compound) -> str:
    return f"{stem}-{compound.code}-{timezone.localdate():%Y%m%d}.xlsx"


def _building_list(building, user, params) -> tuple[ListQuery, QuerySet[Unit], bool]:
    """The building page's query and units (the page and its export share it)."""
    names_visible = sees_owner_names(user, building.compound)
    entrances = selectors.building_entrances(building)
    filters = []
    if entrances:
        label = _("%(entrance)s单元")
        choices = [(e, label % {"entrance": e}) for e in entrances]
        filters.append(Filter("entrance", _("单元"), choices))
    query = ListQuery.from_params(params, BUILDING_LIST, filters)
    units = selectors.building_units(
        building,
        search=query.search,
        names_visible=names_visible,
        entrance=query.filters.get("entrance", ""),
    )
    return query, units, names_visible


def building_units_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    building = get_building_for_user(user, compound.code, params.get("number", ""))
    query, units, names_visible = _building_list(building, user, params)
    refuse_invalid(query)
    stem = _("房屋") + "-" + building.number
    return _filename(stem, compound), [_unit_sheet(units, names_visible)]


register_export("households.building_units", building_units_export)


@login_required
def building_detail(request: AuthenticatedHttpRequest, code: str, number: str) -> HttpResponseBase:
    """楼栋: the building's units by entrance and floor, a page at a time."""
    building = get_building_for_user(request.user, code, number)
    compound = building.compound
    query, units, names_visible = _building_list(building, request.user, request.GET)
    if query.wants_export and (
        response := list_export(
            request, compound, "households.building_units", query, units, number=number
        )
    ):
        return response
    page = paginate(units, query)
    return render(
        request,
        "households/building.html",
        {
            "compound": compound,
            "building": building,
            "list": page,
            "rows": _unit_rows(page.rows, names_visible),
            "names_visible": names_visible,
        },
        status=query.status,
    )


def _units_list(compound: Compound, user, params) -> tuple[ListQuery, QuerySet[Unit], bool, list]:
    """The units register's query and units (the page and its export share it)."""
    names_visible = sees_owner_names(user, compound)
    buildings = list(
        compound.buildings.order_by("sort_key", "number").only("compound", "number", "kind")
    )
    query = ListQuery.from_params(
        params,
        UNITS_LIST,
        [
            Filter("building", _("楼栋"), [(b.number, b.label) for b in buildings]),
            Filter("kind", _("类型"), BuildingKind.choices),
            Filter("area_source", _("面积来源"), AreaSource.choices),
        ],
    )
    units = selectors.register_units(
        compound, search=query.search, names_visible=names_visible, **query.filters
    )
    return query, units, names_visible, buildings


def units_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    compound = check_compound_access(user, compound, STAFF_ROLES)
    query, units, names_visible, _buildings = _units_list(compound, user, params)
    refuse_invalid(query)
    return _filename(_("房屋"), compound), [_unit_sheet(units, names_visible)]


register_export("households.units", units_export)


@login_required
def register_units(request: AuthenticatedHttpRequest, code: str) -> HttpResponseBase:
    """房屋: every unit of the compound, searchable and filtered, for those who manage it,
    by building (natural order) then entrance and floor. Owners' names are masked for
    roles that may not read them."""
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    query, units, names_visible, buildings = _units_list(compound, request.user, request.GET)
    if query.wants_export and (
        response := list_export(request, compound, "households.units", query, units)
    ):
        return response
    # By building: a page sorts only the buildings it spans, not the compound's units.
    page = paginate_groups(
        query,
        selectors.units_per_building(units, buildings),
        lambda ids, skip, limit: units.filter(building_id__in=ids)[skip : skip + limit],
    )
    return render(
        request,
        "households/units.html",
        {
            "compound": compound,
            "list": page,
            "rows": _unit_rows(page.rows, names_visible),
            "names_visible": names_visible,
        },
        status=query.status,
    )


@dataclass
class OwnerRow:
    """An owner as the list shows it: name whole or masked, identifiers masked."""

    owner: Owner
    name: str
    units: list[tuple[int, str]]  # (unit id, label) held now


def _owner_row(owner: Owner, names_visible: bool) -> OwnerRow:
    return OwnerRow(
        owner,
        selectors.owner_name_shown(owner.name, names_visible=names_visible),
        [(o.unit_id, o.unit.label) for o in owner.current_ownerships],  # type: ignore[attr-defined]
    )


def _owner_cells(owner: Owner, names_visible: bool) -> Sequence[object]:
    row = _owner_row(owner, names_visible)
    pru = owner.property_right_unit
    return [
        row.name,
        owner.get_kind_display(),
        owner.masked_id_number,
        owner.masked_phone,
        "、".join(label for _id, label in row.units),
        pru.name if pru else "",
    ]


def _owners_list(compound: Compound, user, params) -> tuple[ListQuery, QuerySet[Owner], bool]:
    """The owners register's query and owners (the page and its export share it)."""
    names_visible = sees_owner_names(user, compound)
    buildings = compound.buildings.order_by("sort_key", "number").only("compound", "number", "kind")
    query = ListQuery.from_params(
        params,
        OWNERS_LIST,
        [
            Filter("building", _("楼栋"), [(b.number, b.label) for b in buildings]),
            Filter("kind", _("类型"), OwnerKind.choices),
            Filter("holding", _("现持有房屋"), [("yes", _("有")), ("no", _("无"))]),
        ],
    )
    owners = selectors.register_owners(
        compound, search=query.search, names_visible=names_visible, **query.filters
    )
    return query, owners, names_visible


def owners_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    compound = check_compound_access(user, compound, STAFF_ROLES)
    query, owners, names_visible = _owners_list(compound, user, params)
    refuse_invalid(query)
    headers = [_("姓名/名称"), _("类型"), _("证件号码"), _("电话")]
    headers += [_("现持有房屋"), _("产权单位")]
    sheet = Sheet(
        _("业主"),
        headers,
        export_rows(owners, lambda owner: _owner_cells(owner, names_visible)),
        text_columns=[2, 3],
    )
    return _filename(_("业主"), compound), [sheet]


register_export("households.owners", owners_export)


@login_required
def register_owners(request: AuthenticatedHttpRequest, code: str) -> HttpResponseBase:
    """业主: the compound's owners with the units they hold now, for those who manage it;
    ID numbers and phones always masked, names masked for roles that may not read them."""
    compound = get_compound_for_user(request.user, code, STAFF_ROLES)
    query, owners, names_visible = _owners_list(compound, request.user, request.GET)
    if query.wants_export and (
        response := list_export(request, compound, "households.owners", query, owners)
    ):
        return response
    # Owners by name: the page's ids from the nearer end of the name index, then its rows.
    page: ListPage = paginate(owners, query, deferred=True)
    return render(
        request,
        "households/owners.html",
        {
            "compound": compound,
            "list": page,
            "rows": [_owner_row(owner, names_visible) for owner in page.rows],
            "names_visible": names_visible,
        },
        status=query.status,
    )


@login_required
def unit_detail(request: AuthenticatedHttpRequest, code: str, unit_id: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, unit_id)
    staff = is_staff_in(request.user, unit.compound)
    return render(
        request,
        "households/unit.html",
        {
            "compound": unit.compound,
            "unit": unit,
            "ownerships": selectors.unit_ownerships(unit, viewer=request.user, staff=staff),
            "is_staff": staff,
        },
    )
