"""A small co-funded project for the receipts, notices and public page tests, built row by
row (the project services are tested on their own): government, company and owners'
lines, the owners' line split over the scope's units by area (works.money)."""

import datetime as dt
from decimal import Decimal

from portal.models import Compound
from works.models import Contribution, FundingKind, FundingLine, Project, ProjectBuilding
from works.money import split_by_area


def make_lift_project(
    compound: Compound,
    *,
    buildings: tuple[str, ...] = ("1", "2"),
    owners: Decimal = Decimal("1000.00"),
    status: str = "contracted",
    title: str = "电梯更新",
) -> Project:
    government, company = Decimal("3000.00"), Decimal("500.00")
    project = Project.objects.create(
        compound=compound,
        title=title,
        status=status,
        budget=government + company + owners,
        proposed_on=dt.date(2021, 3, 1),
        approved_on=dt.date(2021, 10, 20),
        contractor="某电梯工程有限公司",
        contract_sum=government + company + owners,
    )
    scope = list(compound.buildings.filter(number__in=buildings))
    for building in scope:
        ProjectBuilding.objects.create(compound=compound, project=project, building=building)
    for position, (kind, payer, amount) in enumerate(
        [
            (FundingKind.GOVERNMENT, "区政府补贴", government),
            (FundingKind.COMPANY, "测试物业", company),
            (FundingKind.OWNERS, "业主自筹", owners),
        ],
        start=1,
    ):
        FundingLine.objects.create(
            compound=compound,
            project=project,
            position=position,
            kind=kind,
            payer=payer,
            amount=amount,
        )
    line = project.funding.get(kind=FundingKind.OWNERS)
    units = list(compound.units.filter(building__in=scope).order_by("building__sort_key", "number"))
    shares = split_by_area(owners, {u.pk: u.floor_area for u in units})
    Contribution.objects.bulk_create(
        Contribution(
            compound=compound,
            project=project,
            line=line,
            unit=u,
            building_id=u.building_id,
            area=u.floor_area,
            share=shares[u.pk],
        )
        for u in units
    )
    return project


def blank_pdf() -> bytes:
    """A real one-page PDF (what a document upload would hold)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
