"""Roster pages: upload (all or nothing), template and masked export, new buildings,
property-right units.

For committee members and street officers only: they keep the roster (DOMAIN.md). Others,
residents included, get 404 like for anything they may not see.
"""

from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import get_compound_for_user, roles_in
from portal.audit import audit_record
from portal.errors import errors_to_form
from portal.models import Compound, Role
from portal.typing import AuthenticatedHttpRequest
from portal.widgets import DateInput
from portal.xlsx import Sheet, xlsx_response

from . import selectors
from .access import REGISTER_KEEPERS, get_property_right_unit_for_user
from .id_numbers import id_check_character
from .models import BuildingKind, Ownership, PropertyRightUnit, TransferStatus
from .roster import AREA_SOURCE_LABELS, COLUMNS, HEADERS, OWNER_KIND_LABELS, Limits, RosterFileError
from .roster.limits import check_size, human_size
from .services import (
    building_create,
    property_right_unit_create,
    property_right_unit_update,
    roster_import,
)
from .validators import normalise_register_number, validate_register_number

ROSTER_ROLES = REGISTER_KEEPERS
# Columns typed as text in our files, so Excel keeps 0101 and 18-digit ID numbers intact.
TEXT_COLUMNS = [HEADERS.index(h) for h in ("楼号", "房号", "证件号码", "电话")]


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("名册文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("XLSX，或 UTF-8 / GBK 编码的 CSV；不超过 %(size)s") % {
            "size": human_size(Limits.from_settings().upload_bytes)
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size, Limits.from_settings())
        except RosterFileError as exc:
            raise ValidationError(str(exc)) from None
        if Path(upload.name).suffix.lower() not in (".xlsx", ".csv", ".txt"):
            raise ValidationError(_("只接受 .xlsx 或 .csv 文件"))
        return upload


class BuildingForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("楼号"),
        max_length=32,
        help_text=gettext_lazy("楼房填数字，如 16；平房区填名称，如 平房一区"),
    )
    # Six floors and no lift is the common block of these compounds: a low-rise one.
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"), choices=BuildingKind.choices, initial=BuildingKind.LOW_RISE
    )
    floors = forms.IntegerField(label=gettext_lazy("层数"), min_value=1, max_value=200, initial=6)
    lifts = forms.IntegerField(label=gettext_lazy("电梯数"), min_value=0, max_value=100, initial=0)

    def clean_number(self) -> str:
        number = normalise_register_number(self.cleaned_data["number"])
        validate_register_number(number)
        return number


class TransferForm(forms.Form):
    """非经资产移交: whether, when and to whom the unit handed its assets over."""

    transfer_status = forms.ChoiceField(
        label=gettext_lazy("非经资产移交"),
        choices=TransferStatus.choices,
        initial=TransferStatus.RETAINED,
        error_messages={"invalid_choice": gettext_lazy("移交状态只能是“已移交”或“未移交”")},
    )
    transfer_date = forms.DateField(
        label=gettext_lazy("移交日期"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": gettext_lazy("移交日期不是有效日期（格式：2019-06-30）")},
        help_text=gettext_lazy("已移交时必填，不能晚于今天"),
    )
    receiver = forms.CharField(
        label=gettext_lazy("接收单位"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("已移交时必填，如 首开集团"),
    )


class PropertyRightUnitForm(TransferForm):
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=200,
        error_messages={"required": gettext_lazy("请填写产权单位名称")},
    )

    field_order = ["name", "transfer_status", "transfer_date", "receiver"]


def _compound(request: AuthenticatedHttpRequest, code: str) -> Compound:
    return get_compound_for_user(request.user, code, ROSTER_ROLES)


def _render(request, compound, *, form=None, building_form=None, report=None, status=200):
    return render(
        request,
        "households/roster.html",
        {
            "compound": compound,
            "form": form or RosterUploadForm(),
            "building_form": building_form or BuildingForm(),
            "report": report,
            "bad_rows": len({e.row for e in report.errors}) if report else 0,
            "columns": COLUMNS,
            "buildings": selectors.compound_buildings(compound),
            "trail": _("名册"),
            # A street officer bringing the compound on board comes here from its
            # checklist (buildings, then the roster): the way back to it.
            "onboarding_link": Role.STREET_OFFICER in roles_in(request.user, compound),
        },
        status=status,
    )


@login_required
def roster_import_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """GET: the upload form. POST: import (or only check) the file; show the error table
    (nothing saved) or what changed."""
    compound = _compound(request, code)
    if request.method != "POST":
        return _render(request, compound)
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, compound, form=form, status=400)
    report = roster_import(
        compound=compound,
        data=form.cleaned_data["file"].read(),
        actor=request.user,
        dry_run="dry_run" in request.POST,
    )
    return _render(request, compound, report=report, status=200 if report.ok else 400)


def _example_id(seq: int, birth: str) -> str:
    first17 = f"110105{birth}{seq:03d}"
    return first17 + id_check_character(first17)


@login_required
def roster_template(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The columns, two example rows (one co-owned unit) and a sheet explaining each
    column. The examples name building '示例' on purpose: uploaded unchanged, the file is
    refused instead of importing made-up owners."""
    compound = _compound(request, code)
    examples = [
        ["示例", "3-201", "65.50", "不动产登记", "是", "个人", "张三", _example_id(1, "19650301"),
         "13800138000", "0.5", "是", "", "2021-12-10"],
        ["示例", "3-201", "65.50", "不动产登记", "是", "个人", "李四", _example_id(2, "19670815"),
         "", "0.5", "否", "", "2021-12-10"],
    ]  # fmt: skip
    guide = [[c.header, _("必填") if c.required else _("选填"), str(c.help)] for c in COLUMNS]
    return xlsx_response(
        f"名册模板-{compound.code}.xlsx",
        Sheet(_("名册"), HEADERS, examples, text_columns=TEXT_COLUMNS),
        Sheet(_("填写说明"), [_("列"), _("是否必填"), _("说明")], guide, widths=[16, 10, 80]),
    )


def _export_rows(compound: Compound, *, unmasked: bool = False):
    """One row per current owner of each unit (a unit without owner: one row), in the
    import's columns, ID numbers and phones masked (PIPL) unless ``unmasked``: then the
    file imports again unchanged (see :func:`roster_export_full`)."""
    current = Prefetch(
        "ownerships",
        queryset=Ownership.objects.current()
        .select_related("owner__property_right_unit")
        .order_by("-is_representative", "owner__name"),
        to_attr="current_ownerships",
    )
    units = (
        compound.units.select_related("building")
        .prefetch_related(current)
        .order_by("building__sort_key", "building__number", "number")
    )
    for unit in units:
        head = [
            unit.building.number,
            unit.number,
            unit.floor_area,
            AREA_SOURCE_LABELS.get(unit.area_source, unit.area_source),
            "是" if unit.is_residential else "否",
        ]
        owners = unit.current_ownerships
        if not owners:
            yield head + [""] * (len(HEADERS) - len(head))
            continue
        shared = len(owners) > 1
        for ownership in owners:
            owner = ownership.owner
            pru = owner.property_right_unit
            yield head + [
                OWNER_KIND_LABELS.get(owner.kind, owner.kind),
                owner.name,
                owner.id_number if unmasked else owner.masked_id_number,
                owner.phone if unmasked else owner.masked_phone,
                ownership.share if shared else "",
                ("是" if ownership.is_representative else "否") if shared else "",
                pru.name if pru else "",
                ownership.valid_from,
            ]


@login_required
def roster_export(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = _compound(request, code)
    today = timezone.localdate()
    return xlsx_response(
        f"名册-{compound.code}-{today:%Y%m%d}.xlsx",
        Sheet(_("名册"), HEADERS, _export_rows(compound), text_columns=TEXT_COLUMNS),
    )


@login_required
def roster_export_full(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The roster for correcting it (用于修正名册): like the export, but with full ID
    numbers and phones, so the corrected file imports again (unchanged, it changes
    nothing). For those who keep the register; every download is audited."""
    compound = _compound(request, code)
    today = timezone.localdate()
    rows = list(_export_rows(compound, unmasked=True))
    audit_record(
        action="roster.export_full",
        actor=request.user,
        compound=compound,
        data={"units": compound.units.count(), "rows": len(rows)},
    )
    return xlsx_response(
        f"名册-用于修正-{compound.code}-{today:%Y%m%d}.xlsx",
        Sheet(_("名册"), HEADERS, rows, text_columns=TEXT_COLUMNS),
    )


@login_required
def building_add(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Register a building or bungalow area, so a new compound can be set up in the UI."""
    compound = _compound(request, code)
    if request.method != "POST":
        return redirect(reverse("roster_import", args=[compound.code]) + "#buildings")
    form = BuildingForm(request.POST)
    if form.is_valid():
        try:
            building = building_create(compound=compound, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已添加楼栋：%(label)s") % {"label": building.label})
            return redirect(reverse("roster_import", args=[compound.code]) + "#buildings")
    return _render(request, compound, building_form=form, status=400)


def _render_property_right_units(request, compound, *, form=None, status=200):
    return render(
        request,
        "households/property_right_units.html",
        {
            "compound": compound,
            "units": selectors.compound_property_right_units(compound),
            "form": form or PropertyRightUnitForm(),
            "trail": _("产权单位"),
        },
        status=status,
    )


@login_required
def property_right_units(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """GET: the compound's property-right units and a form to add one. POST: add it, so a
    compound with unsold flats can be set up without the admin."""
    compound = _compound(request, code)
    if request.method != "POST":
        return _render_property_right_units(request, compound)
    form = PropertyRightUnitForm(request.POST)
    if form.is_valid():
        try:
            pru = property_right_unit_create(
                compound=compound, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已添加产权单位：%(name)s") % {"name": pru.name})
            return redirect("property_right_units", compound.code)
    return _render_property_right_units(request, compound, form=form, status=400)


@login_required
def property_right_unit_edit(
    request: AuthenticatedHttpRequest, code: str, pru_id: int
) -> HttpResponse:
    """Record the transfer of a property-right unit's non-operating assets."""
    pru: PropertyRightUnit = get_property_right_unit_for_user(request.user, code, pru_id)
    status = 200
    if request.method == "POST":
        form = TransferForm(request.POST)
        if form.is_valid():
            try:
                property_right_unit_update(
                    property_right_unit=pru, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("已保存产权单位：%(name)s") % {"name": pru.name})
                return redirect("property_right_units", pru.compound.code)
        status = 400
    else:
        form = TransferForm(
            initial={
                "transfer_status": pru.transfer_status,
                "transfer_date": pru.transfer_date,
                "receiver": pru.receiver,
            }
        )
    return render(
        request,
        "households/property_right_unit_edit.html",
        {"compound": pru.compound, "pru": pru, "form": form, "trail": pru.name},
        status=status,
    )
