"""Projects: creation and scope, editing while proposed, documents by content, and the
state machine with its basis (a passed, fitting, covering decision item or the emergency
route). Every refusal leaves nothing half-saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from portal.models import AuditEntry
from tests.works.project_helpers import add_lift_buildings, lift_project, passed_item
from voting.models import Decision, DecisionState
from works.models import (
    DocumentKind,
    DrawStatus,
    EmergencyCase,
    FundDraw,
    Project,
    ProjectDocument,
    ProjectEvent,
    ProjectStatus,
)
from works.services.projects import (
    ItemInput,
    Transition,
    document_upload,
    project_create,
    project_transition,
    project_update,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def lift(cast):
    add_lift_buildings(cast.compound)
    return lift_project(cast)


def _create(cast, **kw):
    values = {
        "compound": cast.compound,
        "actor": cast.committee,
        "title": "屋面防水",
        "budget": "1000.00",
        "building_numbers": ["1"],
    }
    values.update(kw)
    return project_create(**values)


def test_create_records_scope_items_event_and_audit(cast, lift):
    assert lift.status == ProjectStatus.PROPOSED
    assert sorted(pb.building.number for pb in lift.scope_buildings.all()) == ["16", "17"]
    assert lift.items.count() == 4
    assert lift.items.filter(registration_number="3110-11-161").exists()
    event = ProjectEvent.objects.get(project=lift)
    assert (event.from_status, event.to_status, event.actor) == ("", "proposed", cast.committee)
    assert AuditEntry.objects.filter(action="works.project_create", object_id=str(lift.pk)).exists()
    # The lift case: 216 households in scope, each with a share.
    assert lift.contributions.count() == 216


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"budget": "-1"}, "budget"),
        ({"budget": "0"}, "budget"),
        ({"budget": "1.234"}, "budget"),
        ({"budget": "abc"}, "budget"),
        ({"budget": "1e12"}, "budget"),
        ({"title": "  "}, "title"),
        ({"building_numbers": []}, "scope"),
        ({"building_numbers": ["99"]}, "scope"),
        ({"proposed_on": dt.date(2999, 1, 1)}, "proposed_on"),
        ({"proposed_on": dt.date(1900, 1, 1)}, "proposed_on"),
        ({"items": [ItemInput(name="")]}, "items"),
        ({"items": [ItemInput(name="电梯", building_number="99")]}, "items"),
        ({"items": [ItemInput(name="电梯", quantity=0)]}, "items"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(cast, kw, field):
    with pytest.raises(ValidationError) as error:
        _create(cast, **kw)
    assert field in error.value.message_dict
    assert not Project.objects.exists()


def test_scope_of_another_compound_is_refused(cast):
    foreign = cast.other_compound.units.first()
    with pytest.raises(ValidationError) as error:
        _create(cast, building_numbers=[], unit_ids=[foreign.pk])
    assert "不属于本小区" in str(error.value)
    assert not Project.objects.exists()


def test_units_scope_and_building_scope_together(cast):
    unit = cast.compound.units.filter(building__number="2").first()
    project = _create(cast, building_numbers=["1"], unit_ids=[unit.pk])
    assert project.scope_units.get().unit == unit


def test_update_only_while_proposed(cast, lift):
    project_update(project=lift, actor=cast.committee, title="电梯更新（修订）")
    assert Project.objects.get(pk=lift.pk).title == "电梯更新（修订）"
    Project.objects.filter(pk=lift.pk).update(status=ProjectStatus.APPROVED)
    with pytest.raises(ValidationError):
        project_update(project=lift, actor=cast.committee, title="x")
    assert Project.objects.get(pk=lift.pk).title == "电梯更新（修订）"


def test_update_proposed_on_moves_the_first_event(cast, lift):
    project_update(project=lift, actor=cast.committee, proposed_on=dt.date(2021, 4, 2))
    assert ProjectEvent.objects.get(project=lift).on == dt.date(2021, 4, 2)


def test_update_budget_must_keep_the_plan_sum(cast, lift):
    with pytest.raises(ValidationError) as error:
        project_update(project=lift, actor=cast.committee, budget="1.00")
    assert "资金来源合计" in str(error.value)
    assert Project.objects.get(pk=lift.pk).budget == Decimal("1800000.00")


def test_update_scope_recomputes_shares(cast, lift):
    project_update(project=lift, actor=cast.committee, building_numbers=["16"])
    lift.refresh_from_db()
    assert lift.contributions.count() == 108
    assert sum(c.share for c in lift.contributions.all()) == Decimal("400000.00")


# ------------------------------------------------------------------ documents


def test_document_sniffed_by_content(cast, lift):
    doc = document_upload(
        project=lift, actor=cast.committee, kind="contract", title="合同", content=PDF
    )
    assert doc.content_type == "application/pdf"
    assert doc.file.name.endswith(".pdf") and "合同" not in doc.file.name
    with doc.file.open("rb") as f:
        assert f.read() == PDF
    png = document_upload(
        project=lift, actor=cast.committee, kind="other", title="", content=PNG, filename="a.png"
    )
    assert png.content_type == "image/png" and png.title == "a"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00 not a pdf", "只接受"),
        (b"<html>%PDF-</html>", "只接受"),
        (b"", "空的"),
    ],
)
def test_document_wrong_type_refused(cast, lift, content, message):
    with pytest.raises(ValidationError) as error:
        document_upload(
            project=lift, actor=cast.committee, kind="contract", title="x.pdf", content=content
        )
    assert message in str(error.value)
    assert not ProjectDocument.objects.exists()


@override_settings(WORKS_DOCUMENT_MAX_BYTES=100)
def test_document_too_large_refused(cast, lift):
    with pytest.raises(ValidationError) as error:
        document_upload(
            project=lift, actor=cast.committee, kind="contract", title="x", content=PDF * 10
        )
    assert "不能超过" in str(error.value)
    assert not ProjectDocument.objects.exists()


# ------------------------------------------------------------------ the state machine


def _approve(cast, project, item, on=dt.date(2021, 10, 25)):
    return project_transition(
        project=project,
        actor=cast.committee,
        step=Transition(to_status="approved", on=on, basis_item=item),
    )


def test_full_lifecycle(cast, lift):
    item = passed_item(cast)
    project = _approve(cast, lift, item)
    assert project.status == "approved" and project.basis_item == item
    project = project_transition(
        project=project,
        actor=cast.committee,
        step=Transition(
            to_status="contracted",
            on=dt.date(2022, 3, 1),
            contractor="某电梯公司",
            contract_sum="1750000.00",
        ),
    )
    assert project.contract_sum == Decimal("1750000.00")
    for status, on in [("in_progress", dt.date(2023, 4, 1)), ("accepted", dt.date(2023, 6, 30))]:
        project = project_transition(
            project=project, actor=cast.officer, step=Transition(to_status=status, on=on)
        )
    project = project_transition(
        project=project,
        actor=cast.officer,
        step=Transition(to_status="settled", on=dt.date(2023, 9, 1), settled_amount="1748000"),
    )
    project.refresh_from_db()
    assert project.status == "settled"
    assert project.settled_amount == Decimal("1748000.00")
    assert project.accepted_on == dt.date(2023, 6, 30)
    assert [e.to_status for e in project.events.all()] == [
        "proposed",
        "approved",
        "contracted",
        "in_progress",
        "accepted",
        "settled",
    ]
    assert AuditEntry.objects.filter(action="works.project_state").count() == 5


def test_no_skipping_and_no_going_back(cast, lift):
    with pytest.raises(ValidationError) as error:
        project_transition(project=lift, actor=cast.committee, step=Transition("contracted"))
    assert "不能转为" in str(error.value)
    with pytest.raises(ValidationError):
        project_transition(project=lift, actor=cast.committee, step=Transition("proposed"))
    with pytest.raises(ValidationError):
        project_transition(project=lift, actor=cast.committee, step=Transition("bogus"))
    assert Project.objects.get(pk=lift.pk).status == "proposed"


def test_dates_not_in_future_nor_before_previous_step(cast, lift):
    item = passed_item(cast)
    with pytest.raises(ValidationError) as error:
        _approve(cast, lift, item, on=timezone.localdate() + dt.timedelta(days=1))
    assert "晚于今天" in str(error.value)
    with pytest.raises(ValidationError) as error:
        _approve(cast, lift, item, on=dt.date(2021, 2, 1))  # proposed 2021-03-01
    assert "上一步" in str(error.value)
    assert Project.objects.get(pk=lift.pk).status == "proposed"


def test_contract_needs_contractor_and_sum(cast, lift):
    project = _approve(cast, lift, passed_item(cast))
    for kw, field in [
        ({"contract_sum": "100"}, "contractor"),
        ({"contractor": "甲公司"}, "contract_sum"),
        ({"contractor": "甲公司", "contract_sum": "-5"}, "contract_sum"),
    ]:
        with pytest.raises(ValidationError) as error:
            project_transition(
                project=project, actor=cast.committee, step=Transition("contracted", **kw)
            )
        assert field in error.value.message_dict
    assert Project.objects.get(pk=lift.pk).status == "approved"


def test_settle_needs_amount(cast, lift):
    Project.objects.filter(pk=lift.pk).update(status="accepted", accepted_on=dt.date(2023, 6, 30))
    with pytest.raises(ValidationError) as error:
        project_transition(project=lift, actor=cast.committee, step=Transition("settled"))
    assert "settled_amount" in error.value.message_dict


@pytest.mark.parametrize("category", [1, 2, 3, 4, 9])
def test_basis_of_wrong_category_refused(cast, lift, category):
    item = passed_item(cast, category=category)
    with pytest.raises(ValidationError) as error:
        _approve(cast, lift, item)
    assert "类别不适用" in str(error.value)
    assert Project.objects.get(pk=lift.pk).status == "proposed"


@pytest.mark.parametrize("category", [5, 6, 7, 8])
def test_basis_of_fitting_category_accepted(cast, lift, category):
    assert _approve(cast, lift, passed_item(cast, category=category)).status == "approved"


def test_basis_scope_must_cover_project(cast, lift):
    item = passed_item(cast, buildings=("16",))
    with pytest.raises(ValidationError) as error:
        _approve(cast, lift, item)
    assert "17号楼" in str(error.value)
    # A compound-wide item covers everything.
    assert _approve(cast, lift, passed_item(cast, buildings=None)).status == "approved"


def test_basis_not_passed_or_not_counted_refused(cast, lift):
    item = passed_item(cast)
    Decision.objects.filter(pk=item.decision_id).update(state=DecisionState.CLOSED)
    with pytest.raises(ValidationError) as error:
        _approve(cast, lift, item)
    assert "未获通过" in str(error.value)


def test_basis_of_another_compound_refused(cast, lift):
    from voting import services as vote_services

    decision = vote_services.decision_create(
        compound=cast.other_compound, actor=cast.outsider_compound, title="别人的决定"
    )
    foreign = vote_services.item_add(
        decision=decision, actor=cast.outsider_compound, title="x", category=7, building_ids=None
    )
    with pytest.raises(ValidationError) as error:
        _approve(cast, lift, foreign)
    assert "不属于本小区" in str(error.value)


def test_emergency_route_needs_evidence_and_published_draw(cast, lift):
    case = EmergencyCase.objects.get(code="lift-over-age")
    step = Transition("approved", on=dt.date(2021, 5, 1), emergency_case=case)
    with pytest.raises(ValidationError) as error:
        project_transition(project=lift, actor=cast.committee, step=step)
    assert "证明材料" in str(error.value) and "公示" in str(error.value)
    document_upload(
        project=lift,
        actor=cast.committee,
        kind=DocumentKind.EVIDENCE,
        title="检验报告",
        content=PDF,
    )
    FundDraw.objects.create(
        compound=cast.compound,
        project=lift,
        amount="1000.00",
        emergency_case=case,
        status=DrawStatus.PUBLISHED,
        published_on=dt.date(2021, 4, 20),
    )
    project = project_transition(project=lift, actor=cast.committee, step=step)
    assert project.emergency_case == case and project.basis_item is None


def test_basis_needs_exactly_one(cast, lift):
    with pytest.raises(ValidationError) as error:
        project_transition(project=lift, actor=cast.committee, step=Transition("approved"))
    assert "依据" in str(error.value)
