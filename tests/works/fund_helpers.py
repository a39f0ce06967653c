"""Builders for the maintenance-fund tests: a project straight in the tables (approved or
proposed, scoped to buildings, with a maintenance-fund line), opening balances, and
XLSX files of opening balances."""

import datetime as dt
import importlib
import io
from decimal import Decimal

from openpyxl import Workbook

from households.models import Building, Unit
from portal.models import Compound
from works.models import (
    EmergencyCase,
    EntryKind,
    FundEntry,
    FundingKind,
    FundingLine,
    Project,
    ProjectBuilding,
    ProjectStatus,
)

PUBLISHED = dt.date(2023, 5, 1)
MADE = dt.date(2023, 5, 20)


def uneven_areas(compound: Compound) -> list[Unit]:
    """Give the compound's units areas that do not divide evenly (so the split needs the
    largest remainder); the units in building and unit order."""
    units = list(compound.units.order_by("building__sort_key", "number", "pk"))
    for index, unit in enumerate(units):
        unit.floor_area = Decimal("48.37") + Decimal(index % 7) * Decimal("3.19")
    Unit.objects.bulk_update(units, ["floor_area"])
    return units


def make_fund_project(
    compound: Compound,
    *,
    buildings: tuple[str, ...] = ("1",),
    status: str = ProjectStatus.APPROVED,
    fund_line: Decimal | None = Decimal("100000.00"),
    budget: Decimal = Decimal("100000.00"),
    title: str = "home 屋面防水维修",
) -> Project:
    project = Project.objects.create(
        compound=compound,
        title=title,
        budget=budget,
        status=status,
        proposed_on=dt.date(2023, 1, 10),
        approved_on=dt.date(2023, 3, 1) if status != ProjectStatus.PROPOSED else None,
    )
    for number in buildings:
        ProjectBuilding.objects.create(
            compound=compound, project=project, building=compound.buildings.get(number=number)
        )
    if fund_line is not None:
        FundingLine.objects.create(
            compound=compound,
            project=project,
            position=1,
            kind=FundingKind.MAINTENANCE_FUND,
            payer="专项维修资金",
            amount=fund_line,
        )
    return project


def open_balances(compound: Compound, amount: Decimal, *, building: Building | None = None) -> None:
    """An opening balance of ``amount`` for every unit (of ``building``)."""
    units = compound.units.all()
    if building is not None:
        units = units.filter(building=building)
    FundEntry.objects.bulk_create(
        FundEntry(
            compound=compound,
            unit=unit,
            building_id=unit.building_id,
            kind=EntryKind.OPENING,
            amount=amount,
            entry_date=dt.date(2023, 1, 1),
        )
        for unit in units
    )


def balance_file(
    rows, headers=("楼号", "房号", "余额", "日期", "备注"), *, title: str = ""
) -> bytes:
    """An XLSX file of opening balances (``rows``: lists of cells), with an optional title
    row above the header."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def emergency_case(code: str) -> EmergencyCase:
    """A case of the catalogue migration 0002 seeds (made again if a transactional test
    emptied the tables before this one)."""
    seeded = importlib.import_module("works.migrations.0002_emergency_cases")
    for case_code, title, description, evidence in seeded.CASES:
        if case_code == code:
            case, _created = EmergencyCase.objects.get_or_create(
                code=code,
                defaults={
                    "title": title,
                    "description": description,
                    "evidence_required": evidence,
                },
            )
            return case
    raise KeyError(code)
