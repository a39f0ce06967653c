"""The demo's lift replacement of buildings 16 and 17 (works.demo): from the passed 2021
building-scoped CC 278 (7) item to settlement, the 216 owners' shares reconciling with
their line to the fen, contributions mostly collected, the public page, the opening fund
balances; today's open lift vote untouched, and seeding again changes nothing."""

import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from board.demo import seed_demo
from voting.models import Decision, DecisionState
from voting.selectors import item_passed
from works import demo, receipt_selectors
from works.models import (
    Contribution,
    EntryKind,
    FundEntry,
    FundingKind,
    Project,
    ProjectStatus,
    Receipt,
)


def test_the_lift_project_from_decision_to_settlement(demo_result, client):
    result = demo_result
    compound = result.compound
    assert result.app_seeds["works.demo"]
    project = Project.objects.get(compound=compound, title=demo.TITLE_PROJECT)
    assert project.status == ProjectStatus.SETTLED and project.illustrative
    assert str(project.accepted_on) == "2023-06-28"
    item = project.basis_item
    assert item.category == 7 and item_passed(item)
    assert sorted(item.buildings.values_list("number", flat=True)) == ["16", "17"]
    assert project.items.count() == 4
    # Today's lift vote is still open for residents to try.
    assert Decision.objects.get(
        compound=compound, title__startswith="16号楼、17号楼电梯更新改造", state=DecisionState.OPEN
    )

    owners = project.funding.get(kind=FundingKind.OWNERS)
    shares = Contribution.objects.filter(project=project)
    assert shares.count() == 216
    assert sum(c.share for c in shares) == owners.amount
    progress = {
        line.kind: line for line in receipt_selectors.project_progress(compound, project).lines
    }
    assert progress["government"].raised == Decimal("1200000.00")
    assert Decimal("80") < progress["owners"].percent < Decimal("100")
    assert not shares.filter(paid__gt=models_share()).exists()
    assert FundEntry.objects.filter(compound=compound, kind=EntryKind.OPENING).count() > 1000

    page = client.get(reverse("works_public:project", args=[compound.code, project.pk]))
    assert page.status_code == 200 and "31101101082003060161" in page.content.decode()
    # the contract, the acceptance report and the settlement: public, real PDFs, marked
    documents = {d.kind: d for d in project.documents.all()}
    assert sorted(documents) == ["acceptance", "contract", "settlement"]
    assert all(d.public for d in documents.values())
    acceptance = documents["acceptance"]
    assert acceptance.title in page.content.decode()
    pdf = client.get(
        reverse("works_public:document", args=[compound.code, project.pk, acceptance.pk])
    )
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    body = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    text = PdfReader(io.BytesIO(body)).pages[0].extract_text().replace("\n", "")
    assert "示意文件" in text and "竣工验收报告" in text and "2023-06-28" in text

    client.force_login(get_user_model().objects.get(username="yezhu"))
    home = client.get("/").content.decode()
    assert 'data-role="works-share"' in home and 'data-role="works-fund"' in home

    receipts = Receipt.objects.count()
    seed_demo(apps=("voting.demo", "works.demo"))
    assert Receipt.objects.count() == receipts
    assert Project.objects.filter(compound=compound).count() == 1


def models_share():
    from django.db.models import F

    return F("share")
