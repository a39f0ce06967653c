"""The public page of a works project (工程公示, no login): what it shows, what it never
shows (no personal data, no unit-level owner data), a constant number of queries, and the
owner's own section on their home page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from households.models import Owner
from tests.works.lift_project import blank_pdf, make_lift_project
from works.models import Contribution, FundingKind, ProjectDocument, ProjectItem
from works.services.receipts import receipt_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(cast):
    project = make_lift_project(cast.compound, status="accepted")
    project.accepted_on = dt.date(2023, 6, 28)
    project.settled_amount = Decimal("4480.00")
    project.save()
    ProjectItem.objects.create(
        compound=cast.compound,
        project=project,
        name="乘客电梯",
        registration_number="31101101082021060001",
        building=cast.compound.buildings.get(number="1"),
    )
    owners = project.funding.get(kind=FundingKind.OWNERS)
    for i, contribution in enumerate(project.contributions.select_related("unit")[:3]):
        receipt_record(
            compound=cast.compound,
            project=project,
            line=owners,
            unit=contribution.unit,
            amount=contribution.share,
            received_on=dt.date(2022, 5, 1),
            idempotency_key=f"p{i}",
        )
    receipt_record(
        compound=cast.compound,
        project=project,
        line=project.funding.get(kind=FundingKind.GOVERNMENT),
        amount="3000.00",
        received_on=dt.date(2022, 6, 1),
        idempotency_key="gov",
    )
    return project


def _url(cast, project):
    return reverse("works_public:project", args=[cast.compound.code, project.pk])


def test_public_page_shows_the_project_without_login(client, cast, project):
    page = client.get(_url(cast, project)).content.decode()
    assert project.title in page
    assert "某电梯工程有限公司" in page and "4,500.00" in page  # contractor and contract sum
    assert "2023-06-28" in page and "4,480.00" in page  # accepted, settled
    assert "31101101082021060001" in page  # the lift's registration number
    assert "3,000.00" in page and "100.00%" in page  # the government line raised in full
    raised = sum(c.share for c in project.contributions.all()[:3])
    assert f"{raised:,}" in page  # owners' receipts as one sum
    assert "<svg" in page


def test_public_page_carries_no_personal_data(client, cast, project):
    page = client.get(_url(cast, project)).content.decode()
    for owner in Owner.objects.filter(compound=cast.compound):
        assert owner.name not in page
        assert owner.name[:1] + "*" not in page
        assert owner.id_number not in page and owner.id_number[-4:] not in page
        assert owner.phone not in page
    for contribution in Contribution.objects.filter(project=project).select_related("unit"):
        assert contribution.unit.label not in page  # no unit-level rows at all
        assert f"{contribution.share:,}" not in page or contribution.share == 0


def test_public_page_queries_are_constant(client, cast, project, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert client.get(_url(cast, project)).status_code == 200


def test_a_proposed_project_and_another_compounds_code_are_absent(client, cast, project):
    proposed = make_lift_project(cast.compound, status="proposed", title="提议中")
    assert client.get(_url(cast, proposed)).status_code == 404
    wrong = reverse("works_public:project", args=[cast.other_compound.code, project.pk])
    assert client.get(wrong).status_code == 404
    listing = client.get(reverse("works_public:projects", args=[cast.compound.code]))
    assert project.title in listing.content.decode()
    assert "提议中" not in listing.content.decode()


def test_owner_sees_their_share_and_paid_on_their_home(client, cast, project):
    client.force_login(cast.resident)
    page = client.get("/").content.decode()
    mine = Contribution.objects.get(project=project, unit__ownerships__owner__user=cast.resident)
    assert 'data-role="works-share"' in page
    assert f"{mine.share:,}" in page
    assert page.count('data-role="works-share"') == 1
    client.force_login(cast.outsider_resident)
    assert 'data-role="works-share"' not in client.get("/").content.decode()


def test_owner_sees_their_fund_balance_on_their_home(client, cast, project):
    from works.models import EntryKind, FundEntry

    mine = cast.compound.units.owned_by(cast.resident).get()
    FundEntry.objects.create(
        compound=cast.compound,
        unit=mine,
        building=mine.building,
        kind=EntryKind.OPENING,
        amount=Decimal("2345.60"),
        entry_date=dt.date(2021, 1, 1),
    )
    other = cast.compound.units.exclude(pk=mine.pk).first()
    FundEntry.objects.create(
        compound=cast.compound,
        unit=other,
        building=other.building,
        kind=EntryKind.OPENING,
        amount=Decimal("9876.54"),
        entry_date=dt.date(2021, 1, 1),
    )
    client.force_login(cast.resident)
    page = client.get("/").content.decode()
    assert 'data-role="works-fund"' in page and "2,345.60" in page
    assert "9,876.54" not in page


def _document(cast, project, *, public: bool, title: str) -> ProjectDocument:
    from django.core.files.base import ContentFile

    document = ProjectDocument(
        compound=cast.compound,
        project=project,
        kind="acceptance",
        title=title,
        content_type="application/pdf",
        size=len(blank_pdf()),
        public=public,
    )
    document.file.save("acceptance.pdf", ContentFile(blank_pdf()), save=False)
    document.save()
    return document


def test_public_documents_are_listed_and_served_and_others_are_absent(client, cast, project):
    shown = _document(cast, project, public=True, title="电梯验收报告")
    hidden = _document(cast, project, public=False, title="施工合同（内部）")
    page = client.get(_url(cast, project)).content.decode()
    assert "电梯验收报告" in page and "施工合同（内部）" not in page
    url = reverse("works_public:document", args=[cast.compound.code, project.pk, shown.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    for document_id in (hidden.pk, 999999):
        url = reverse("works_public:document", args=[cast.compound.code, project.pk, document_id])
        assert client.get(url).status_code == 404
    other = reverse("works_public:document", args=[cast.other_compound.code, project.pk, shown.pk])
    assert client.get(other).status_code == 404
