"""The maintenance fund's services: credits, draws (publish, make, refuse or flag), the
emergency route, and that the ledger always reconciles."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal.models import AuditEntry
from tests.factories import make_cast
from works.fund_selectors import (
    building_balances,
    draw_shares,
    emergency_basis_ok,
    unit_balances,
)
from works.models import (
    DocumentKind,
    DrawStatus,
    EntryKind,
    FundDraw,
    FundEntry,
    OverdrawRule,
    ProjectStatus,
)
from works.services.fund import balances, fund_credit, fund_settings_update
from works.services.fund_draws import (
    draw_plan,
    fund_draw_make,
    fund_draw_publish,
    fund_emergency_apply,
)

from .fund_helpers import (
    MADE,
    PUBLISHED,
    emergency_case,
    make_fund_project,
    open_balances,
    uneven_areas,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def cast():
    cast = make_cast()
    uneven_areas(cast.compound)
    return cast


def ledger_sum(compound) -> Decimal:
    amounts = FundEntry.objects.filter(compound=compound).values_list("amount", flat=True)
    return sum(amounts, Decimal("0.00"))


def test_draw_plan_is_pure_and_never_negative():
    shares = {1: Decimal("100.00"), 2: Decimal("50.00"), 3: Decimal("10.00")}
    found = {1: Decimal("120.00"), 2: Decimal("20.00")}
    flagged = draw_plan(shares, found, flag=True)
    assert [(ln.taken, ln.owed) for ln in flagged] == [
        (Decimal("100.00"), Decimal("0.00")),
        (Decimal("20.00"), Decimal("30.00")),
        (Decimal("0.00"), Decimal("10.00")),
    ]
    refused = draw_plan(shares, found, flag=False)
    assert [ln.unit_id for ln in refused if ln.owed > 0] == [2, 3]


def test_a_draw_splits_by_area_and_reconciles_to_the_fen(cast):
    compound = cast.compound
    open_balances(compound, Decimal("5000.00"))
    project = make_fund_project(compound, buildings=("1", "2"))
    draw = fund_draw_publish(
        project=project, amount="10000.01", published_on=PUBLISHED, actor=cast.committee
    )
    assert draw.status == DrawStatus.PUBLISHED
    assert not FundEntry.objects.filter(draw=draw).exists()  # published only: no entries yet
    shares, _units = draw_shares(project, draw.amount)
    assert sum(shares.values()) == Decimal("10000.01")
    assert len(set(shares.values())) > 1  # areas differ, so do the shares
    fund_draw_make(draw=draw, made_on=MADE, actor=cast.committee)
    draw.refresh_from_db()
    entries = list(FundEntry.objects.filter(draw=draw))
    assert draw.status == DrawStatus.MADE and draw.made_on == MADE
    assert -sum(e.amount for e in entries) == draw.amount - draw.shortfall == Decimal("10000.01")
    assert {e.unit_id: -e.amount for e in entries} == shares
    assert ledger_sum(compound) == Decimal("5000.00") * 6 - Decimal("10000.01")
    totals = building_balances(compound)
    assert totals.balance == ledger_sum(compound)
    assert AuditEntry.objects.filter(action="works.fund_draw_make").count() == 1


def test_refuse_rule_names_every_unit_short_and_writes_nothing(cast):
    compound = cast.compound
    open_balances(compound, Decimal("5000.00"), building=compound.buildings.get(number="1"))
    project = make_fund_project(compound, buildings=("1", "2"))
    with pytest.raises(ValidationError) as refused:
        fund_draw_publish(project=project, amount="600.00", published_on=PUBLISHED)
    message = " ".join(refused.value.messages)
    assert "3 户" in message and "2号楼 0101" in message and "1号楼" not in message
    assert not FundDraw.objects.exists()


def test_refuse_rule_is_checked_again_when_the_draw_is_made(cast):
    compound = cast.compound
    open_balances(compound, Decimal("200.00"))
    project = make_fund_project(compound)
    draw = fund_draw_publish(project=project, amount="300.00", published_on=PUBLISHED)
    # meanwhile another draw took most of the balances
    other = make_fund_project(compound, title="home 外墙")
    first = fund_draw_publish(project=other, amount="400.00", published_on=PUBLISHED)
    fund_draw_make(draw=first, made_on=MADE)
    with pytest.raises(ValidationError) as refused:
        fund_draw_make(draw=draw, made_on=MADE)
    assert "余额不足" in " ".join(refused.value.messages)
    draw.refresh_from_db()
    assert draw.status == DrawStatus.PUBLISHED
    assert not FundEntry.objects.filter(draw=draw).exists()
    assert min(balances(compound).values()) >= 0


def test_flag_rule_takes_the_balance_and_records_what_is_owed(cast):
    compound = cast.compound
    fund_settings_update(compound=compound, overdraw=OverdrawRule.FLAG, actor=cast.committee)
    open_balances(compound, Decimal("100.00"), building=compound.buildings.get(number="1"))
    project = make_fund_project(compound, buildings=("1", "2"))
    draw = fund_draw_publish(project=project, amount="900.00", published_on=PUBLISHED)
    fund_draw_make(draw=draw, made_on=MADE)
    draw.refresh_from_db()
    entries = list(FundEntry.objects.filter(draw=draw))
    assert draw.shortfall > 0
    assert draw.shortfall == sum(e.owed for e in entries)
    assert -sum(e.amount for e in entries) == draw.amount - draw.shortfall
    assert all(b >= 0 for b in balances(compound).values())
    # building 2 had nothing: its units owe their whole share
    building2 = [e for e in entries if e.building.number == "2"]
    assert all(e.amount == 0 and e.owed > 0 for e in building2)


@pytest.mark.parametrize("amount", ["-1", "0", "abc", "1.001", "1e400", "9999999999"])
def test_bad_draw_amounts_are_refused(cast, amount):
    project = make_fund_project(cast.compound)
    open_balances(cast.compound, Decimal("5000.00"))
    with pytest.raises(ValidationError):
        fund_draw_publish(project=project, amount=amount, published_on=PUBLISHED)
    assert not FundDraw.objects.exists()


def test_a_draw_needs_an_approved_project_a_fund_line_and_stays_within_it(cast):
    open_balances(cast.compound, Decimal("5000.00"))
    proposed = make_fund_project(cast.compound, status=ProjectStatus.PROPOSED)
    with pytest.raises(ValidationError, match="已批准"):
        fund_draw_publish(project=proposed, amount="10.00", published_on=PUBLISHED)
    no_line = make_fund_project(cast.compound, fund_line=None)
    with pytest.raises(ValidationError, match="专项维修资金"):
        fund_draw_publish(project=no_line, amount="10.00", published_on=PUBLISHED)
    small = make_fund_project(cast.compound, fund_line=Decimal("1000.00"))
    fund_draw_publish(project=small, amount="600.00", published_on=PUBLISHED)
    with pytest.raises(ValidationError, match="超出"):
        fund_draw_publish(project=small, amount="400.01", published_on=PUBLISHED)


def test_dates_publication_before_the_draw_and_never_in_the_future(cast):
    open_balances(cast.compound, Decimal("5000.00"))
    project = make_fund_project(cast.compound)
    with pytest.raises(ValidationError):
        fund_draw_publish(
            project=project, amount="10.00", published_on=dt.date.today() + dt.timedelta(days=3)
        )
    draw = fund_draw_publish(project=project, amount="10.00", published_on=PUBLISHED)
    with pytest.raises(ValidationError, match="晚于公示日期"):
        fund_draw_make(draw=draw, made_on=PUBLISHED)
    fund_draw_make(draw=draw, made_on=MADE)
    with pytest.raises(ValidationError, match="已经划拨"):
        fund_draw_make(draw=draw, made_on=MADE)
    assert FundEntry.objects.filter(draw=draw).count() == 3


def test_emergency_route_publishes_before_approval_and_draws_after(cast):
    compound = cast.compound
    open_balances(compound, Decimal("5000.00"))
    project = make_fund_project(compound, status=ProjectStatus.PROPOSED, fund_line=None)
    case = emergency_case("lift-over-age")
    assert not emergency_basis_ok(project)
    draw = fund_emergency_apply(
        project=project,
        case=case,
        amount="3000.00",
        evidence=PDF,
        filename="检验报告.pdf",
        published_on=PUBLISHED,
        actor=cast.committee,
    )
    assert draw.emergency_case == case and draw.status == DrawStatus.PUBLISHED
    assert project.documents.filter(kind=DocumentKind.EVIDENCE).count() == 1
    assert emergency_basis_ok(project) and emergency_basis_ok(project, case)
    with pytest.raises(ValidationError, match="尚未批准"):
        fund_draw_make(draw=draw, made_on=MADE)
    type(project).objects.filter(pk=project.pk).update(status=ProjectStatus.APPROVED)
    fund_draw_make(draw=draw, made_on=MADE)
    assert -sum(FundEntry.objects.filter(draw=draw).values_list("amount", flat=True)) == Decimal(
        "3000.00"
    )


@pytest.mark.parametrize(
    "evidence", [b"", b"GIF89a not accepted", b"MZ\x90\x00 an exe renamed .pdf"]
)
def test_emergency_evidence_must_be_a_pdf_or_image_and_nothing_is_half_saved(cast, evidence):
    project = make_fund_project(cast.compound, status=ProjectStatus.PROPOSED, fund_line=None)
    open_balances(cast.compound, Decimal("5000.00"))
    case = emergency_case("roof-leak")
    with pytest.raises(ValidationError):
        fund_emergency_apply(
            project=project, case=case, amount="10.00", evidence=evidence, published_on=PUBLISHED
        )
    assert not FundDraw.objects.exists()
    assert not project.documents.exists()


def test_emergency_evidence_too_large(cast, settings):
    settings.WORKS_DOCUMENT_MAX_BYTES = 1024
    project = make_fund_project(cast.compound, status=ProjectStatus.PROPOSED, fund_line=None)
    open_balances(cast.compound, Decimal("5000.00"))
    case = emergency_case("roof-leak")
    with pytest.raises(ValidationError):
        fund_emergency_apply(
            project=project,
            case=case,
            amount="10.00",
            evidence=PDF + b"0" * 2048,
            published_on=PUBLISHED,
        )
    assert not FundDraw.objects.exists()


def test_an_inactive_case_is_refused(cast):
    project = make_fund_project(cast.compound, status=ProjectStatus.PROPOSED, fund_line=None)
    open_balances(cast.compound, Decimal("5000.00"))
    case = emergency_case("roof-leak")
    case.active = False
    case.save()
    with pytest.raises(ValidationError, match="停用"):
        fund_emergency_apply(
            project=project, case=case, amount="10.00", evidence=PDF, published_on=PUBLISHED
        )


def test_credits_per_unit_and_per_building_by_area(cast):
    compound = cast.compound
    building = compound.buildings.get(number="2")
    entries = fund_credit(
        compound=compound,
        kind=EntryKind.TOP_UP,
        amount="1000.00",
        building=building,
        entry_date=dt.date(2023, 2, 1),
        actor=cast.committee,
    )
    assert len(entries) == 3 and sum(e.amount for e in entries) == Decimal("1000.00")
    unit = compound.units.filter(building__number="1").first()
    fund_credit(compound=compound, kind=EntryKind.INTEREST, amount="12.34", unit=unit)
    assert balances(compound)[unit.pk] == Decimal("12.34")
    assert AuditEntry.objects.filter(action="works.fund_credit").count() == 2


def test_credit_refuses_bad_input_and_other_compounds(cast):
    compound = cast.compound
    unit = compound.units.first()
    foreign = cast.other_compound.units.first()
    for kwargs in (
        {"amount": "-5", "unit": unit},
        {"amount": "0.001", "unit": unit},
        {"amount": "20000000", "unit": unit},
        {"amount": "5", "unit": foreign},
        {"amount": "5", "building": cast.other_compound.buildings.first()},
        {"amount": "5"},
        {"amount": "5", "unit": unit, "entry_date": dt.date.today() + dt.timedelta(days=1)},
    ):
        with pytest.raises(ValidationError):
            fund_credit(compound=compound, kind=EntryKind.TOP_UP, **kwargs)
    with pytest.raises(ValidationError):
        fund_credit(compound=compound, kind=EntryKind.DRAW, amount="5", unit=unit)
    assert not FundEntry.objects.exists()


def test_a_resident_sees_only_their_own_units(cast):
    compound = cast.compound
    open_balances(compound, Decimal("800.00"))
    mine = unit_balances(cast.resident, compound)
    assert [f.unit.label for f in mine] == ["1号楼 0101"]
    assert mine[0].balance == Decimal("800.00") and len(mine[0].entries) == 1
    assert unit_balances(cast.outsider_resident, compound) == []
