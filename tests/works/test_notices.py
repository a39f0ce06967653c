"""Contribution notices (业主出资通知单): building print files through households.printing,
read back with pypdf (unit labels, masked owners and the right figures), parts joined,
restart-safe claims, and the pages (progress JSON, files through the portal only)."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from households.printing import ChunkStatus
from portal.models import AuditEntry
from tests.works.lift_project import make_lift_project
from works.models import (
    Contribution,
    ContributionNoticeChunk,
    ContributionNoticeJob,
    FundingKind,
    NoticeJobStatus,
)
from works.services import notices
from works.services.receipts import receipt_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(cast):
    return make_lift_project(cast.compound)


def _start(project, numbers=None, capture=None, actor=None) -> ContributionNoticeJob:
    chosen = notices.notice_buildings_chosen(project, numbers)
    with capture(execute=True):
        job = notices.contribution_notices_start(
            compound=project.compound, project=project, buildings=chosen, actor=actor
        )
    job.refresh_from_db()
    return job


def _building_texts(job) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for chunk in (
        job.chunks.filter(status=ChunkStatus.DONE).exclude(file="").select_related("building")
    ):
        if not chunk.holds_building_file:
            continue
        with default_storage.open(chunk.file, "rb") as f:
            reader = PdfReader(io.BytesIO(f.read()))
            texts[chunk.building.number] = [p.extract_text() for p in reader.pages]
    return texts


def _flat(text: str) -> str:
    return "".join(text.split())


def test_one_file_per_building_with_the_right_figures(
    cast, project, django_capture_on_commit_callbacks
):
    unit = cast.compound.units.select_related("building").order_by("building__number", "number")[0]
    receipt_record(
        compound=cast.compound,
        project=project,
        line=project.funding.get(kind=FundingKind.OWNERS),
        unit=unit,
        amount="66.67",
        received_on=project.approved_on,
        idempotency_key="n1",
        actor=cast.committee,
    )
    job = _start(project, capture=django_capture_on_commit_callbacks, actor=cast.committee)
    assert job.status == NoticeJobStatus.DONE
    assert (job.done, job.total, job.progress) == (6, 6, 100)
    texts = _building_texts(job)
    assert sorted(texts) == ["1", "2"]
    assert [len(pages) for pages in texts.values()] == [3, 3]
    for contribution in Contribution.objects.filter(project=project).select_related(
        "unit__building"
    ):
        page = next(
            _flat(p)
            for p in texts[contribution.building.number]
            if _flat(contribution.unit.label) in _flat(p)
        )
        assert str(contribution.share) in page
        assert _flat(project.title) in page
        assert f"GC{project.pk}-{contribution.building.number}-{contribution.unit.number}" in page
        outstanding = contribution.share - contribution.paid
        assert str(outstanding) in page
        # The owner's name masked: 业主-home-1-1 → 业*********, never whole.
        assert "业主-home" not in page
    first = next(p for p in texts["1"] if _flat(unit.label) in _flat(p))
    assert "66.67" in first and "100.00" in first  # paid, and what is left of 166.67
    assert "3000.00" in first and "4500.00" in first  # the plan: a line and the budget
    assert AuditEntry.objects.filter(action="works.contribution_notices_start").exists()


def test_buildings_chosen_and_refused(cast, project, django_capture_on_commit_callbacks):
    job = _start(project, ["2"], capture=django_capture_on_commit_callbacks)
    assert sorted(_building_texts(job)) == ["2"] and job.total == 3
    with pytest.raises(ValidationError) as exc:
        notices.notice_buildings_chosen(project, ["9"])
    assert "9" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        notices.notice_buildings_chosen(project, "1")
    other = cast.other_compound.buildings.first()
    with pytest.raises(ValidationError):
        notices.contribution_notices_start(
            compound=cast.compound, project=project, buildings=[(other, 3)]
        )
    proposed = make_lift_project(cast.compound, status="proposed", title="提议中")
    with pytest.raises(ValidationError) as exc:
        notices.contribution_notices_start(
            compound=cast.compound,
            project=proposed,
            buildings=notices.notice_buildings_chosen(proposed, None),
        )
    assert "project" in exc.value.message_dict
    project.contributions.all().delete()
    with pytest.raises(ValidationError) as exc:
        notices.notice_buildings_chosen(project, None)
    assert "不需要" in exc.value.messages[0]


@override_settings(PRINT_PART_SIZE=2)
def test_a_large_building_prints_in_parts_joined_into_one_file(
    cast, project, django_capture_on_commit_callbacks
):
    job = _start(project, ["1"], capture=django_capture_on_commit_callbacks)
    chunks = ContributionNoticeChunk.objects.filter(job=job)
    assert sorted(chunks.values_list("part", flat=True)) == [0, 1, 2]
    pages = _building_texts(job)["1"]
    labels = [u.label for u in cast.compound.units.filter(building__number="1").order_by("number")]
    assert [next(lb for lb in labels if _flat(lb) in _flat(p)) for p in pages] == labels
    assert job.status == NoticeJobStatus.DONE and job.done == 3


def test_a_chunk_is_rendered_once_per_claim(cast, project):
    chosen = notices.notice_buildings_chosen(project, ["1"])
    job = notices.contribution_notices_start(
        compound=cast.compound, project=project, buildings=chosen
    )  # no commit: nothing queued yet
    chunk = job.chunks.get()
    assert notices.notice_chunk_render(chunk_id=chunk.pk, claim="a")
    assert not notices.notice_chunk_render(chunk_id=chunk.pk, claim="b")
    job.refresh_from_db()
    assert job.done == 3 and job.status == NoticeJobStatus.DONE


# ---------------------------------------------------------------- pages


def test_pages_start_a_job_show_progress_and_serve_files(
    client, cast, project, django_capture_on_commit_callbacks
):
    client.force_login(cast.committee)
    url = reverse("works:notices", args=[cast.compound.code, project.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"buildings": ["1", "2"]})
    assert response.status_code == 302
    job = ContributionNoticeJob.objects.get()
    state = client.get(
        reverse("works:notice_job_status", args=[cast.compound.code, project.pk, job.pk])
    ).json()
    assert state["status"] == "done" and state["progress"] == 100
    assert len(state["files"]) == 2
    pdf = client.get(state["files"][0]["url"])
    assert pdf["Content-Type"] == "application/pdf"
    assert PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
    page = client.get(reverse("works:notice_job", args=[cast.compound.code, project.pk, job.pk]))
    assert "letter-bar" in page.content.decode()
    # Files through the portal only, for those who print notices.
    for user in (cast.resident, cast.outsider_compound, cast.outsider_office):
        client.force_login(user)
        assert client.get(state["files"][0]["url"]).status_code == 404
        assert client.get(url).status_code == 404
    assert not any(cast.compound.code in f["url"] and "/media/" in f["url"] for f in state["files"])


def test_page_refuses_an_unknown_building(client, cast, project):
    client.force_login(cast.committee)
    url = reverse("works:notices", args=[cast.compound.code, project.pk])
    response = client.post(url, {"buildings": ["99"]})
    assert response.status_code == 400
    assert not ContributionNoticeJob.objects.exists()


def test_notice_shares_reconcile_with_the_line(project):
    total = sum(c.share for c in project.contributions.all())
    assert total == project.funding.get(kind=FundingKind.OWNERS).amount == Decimal("1000.00")
