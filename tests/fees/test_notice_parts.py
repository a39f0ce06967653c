"""Print jobs in parts (issue 10): a building larger than FEES_NOTICE_PART_SIZE is printed
in parts of that many households, joined into one print file in unit order, each household
once, whatever happens to the tasks; a part's queries do not grow with the part."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from fees import services, tasks
from fees.models import BillingRun, ChunkStatus, NoticeChunk, NoticeStatus
from portal.models import StreetOffice
from portal.pdf import html_to_pdf, join_pdfs
from tests.factories import make_compound
from tests.fees.helpers import bill, enqueue_chunks, low_rise_standard


@pytest.fixture
def parts_of_two(settings, tmp_path):
    settings.FEES_NOTICE_PART_SIZE = 2
    settings.MEDIA_ROOT = tmp_path  # the files this test leaves, and only those


def _compound(code: str, buildings: int = 2, units: int = 5):
    office = StreetOffice.objects.create(code=f"{code}-office", name=code)
    return make_compound(office, code, buildings=buildings, units_per_building=units)


def _started(compound):
    low_rise_standard(compound)
    run = bill(compound).run
    assert services.notices_start(compound=compound, run=run)
    return run


def _labels(content: bytes) -> list[str]:
    labels = []
    for page in PdfReader(io.BytesIO(content), strict=True).pages:
        line = next(li for li in page.extract_text().splitlines() if li.startswith("房屋"))
        labels.append(line.removeprefix("房屋").strip())
    return labels


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as f:
        return f.read()


def _rows(run, building: str) -> list[NoticeChunk]:
    return list(run.chunks.filter(building__number=building).order_by("part"))


def _expected(building: int, units: int = 5) -> list[str]:
    return [f"{building}号楼 {u:02d}01" for u in range(1, units + 1)]


@pytest.mark.django_db
def test_a_building_larger_than_a_part_is_printed_in_parts_joined_in_unit_order(
    parts_of_two, cast, client
):
    compound = _compound("parts")
    run = _started(compound)
    merge, *parts = _rows(run, "1")
    assert merge.part == NoticeChunk.MERGE and [p.part for p in parts] == [1, 2, 3]
    assert [(p.offset, p.size) for p in parts] == [(0, 2), (2, 2), (4, 2)]
    assert run.chunks.count() == 8  # two buildings of three parts and a join each

    assert enqueue_chunks(run) == 6  # the parts; each building's join follows its last part
    run.refresh_from_db()
    assert run.notice_status == NoticeStatus.DONE
    assert run.notices_done == run.notices_total == 10
    for number in (1, 2):
        merge, *parts = _rows(run, str(number))
        assert merge.status == ChunkStatus.DONE and merge.notices == 5
        assert _labels(_read(merge.file)) == _expected(number)  # in order, each once
        assert all(p.status == ChunkStatus.DONE and p.file == "" for p in parts)
        assert [p.notices for p in parts] == [2, 2, 1]
    files = default_storage.listdir(f"fees/notices/{compound.code}/run-{run.pk}")[1]
    assert len(files) == 2 and not [f for f in files if "-part" in f]  # parts' files gone


@pytest.mark.django_db
def test_the_run_page_offers_one_joined_file_per_building(parts_of_two, cast, client):
    run = _started(cast.compound)
    assert [p.part for p in _rows(run, "1")] == [0, 1, 2]
    enqueue_chunks(run)
    client.force_login(cast.company_staff)
    page = client.get(reverse("fees:run", args=["home", run.pk])).content.decode()
    assert page.count("PDF（3）") == 2
    response = client.get(reverse("fees:building-file", args=["home", run.pk, "2"]))
    assert response.status_code == 200
    assert _labels(b"".join(response.streaming_content)) == _expected(2, units=3)


@pytest.mark.django_db
def test_a_building_is_not_done_until_its_parts_are_joined(parts_of_two):
    compound = _compound("halfway", buildings=1)
    run = _started(compound)
    merge, *parts = _rows(run, "1")
    # The join waits for its parts: it cannot be claimed, and "continue" does not queue it.
    assert services.notice_chunk_render(chunk_id=merge.pk, claim="early") is False
    queued = services.notice_chunks_to_queue(run_id=run.pk).values_list("id", flat=True)
    assert merge.pk not in queued
    for part in parts:
        assert services.notice_chunk_render(chunk_id=part.pk, claim=f"t{part.part}") is True
    run.refresh_from_db()
    # Every household counted, but the building's file is not there yet.
    assert run.notices_done == run.notices_total == 5
    assert run.notice_status == NoticeStatus.RUNNING
    state = services.notice_job_state(run=run)
    assert (state.queued, state.done, state.parts_done, state.parts_total) == (1, 0, 3, 3)
    assert "分段：已完成 3 / 共 3 段" in state.describe(timezone.now())[-1]
    assert services.notice_chunk_render(chunk_id=merge.pk, claim="join") is True
    run.refresh_from_db()
    assert run.notice_status == NoticeStatus.DONE
    merge.refresh_from_db()
    assert _labels(_read(merge.file)) == _expected(1)


@pytest.mark.django_db
def test_parts_are_never_offered_as_the_building_file(parts_of_two, cast, client):
    run = _started(cast.compound)
    for part in run.chunks.exclude(part=NoticeChunk.MERGE).filter(building__number="1"):
        assert services.notice_chunk_render(chunk_id=part.pk, claim=f"t{part.pk}") is True
    client.force_login(cast.company_staff)
    url = reverse("fees:building-file", args=["home", run.pk, "1"])
    assert client.get(url).status_code == 404
    page = client.get(reverse("fees:run", args=["home", run.pk])).content.decode()
    assert url not in page and "分段：已完成 2 / 共 4 段" in page


@pytest.mark.django_db
def test_progress_counts_parts_and_buildings(parts_of_two):
    compound = _compound("progress", buildings=2, units=3)
    run = _started(compound)
    first = _rows(run, "1")[1]
    assert services.notice_chunk_render(chunk_id=first.pk, claim="a") is True
    state = services.notice_job_state(run=run)
    assert (state.queued, state.rendering, state.stalled, state.done) == (2, 0, 0, 0)
    assert (state.parts_done, state.parts_total) == (1, 4)
    second = _rows(run, "1")[2]
    NoticeChunk.objects.filter(pk=second.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="live", claimed_at=timezone.now()
    )
    state = services.notice_job_state(run=run)
    assert (state.queued, state.rendering, state.done) == (1, 1, 0)
    run.refresh_from_db()
    assert run.notices_done == 2  # the first part's households, once


@pytest.mark.django_db
def test_a_retried_part_and_a_retried_join_do_not_duplicate_pages(parts_of_two):
    compound = _compound("retry", buildings=1)
    run = _started(compound)
    merge, first, second, third = _rows(run, "1")
    assert services.notice_chunk_render(chunk_id=first.pk, claim="a") is True
    # The same message again (a redelivery after the task finished) and another task.
    assert services.notice_chunk_render(chunk_id=first.pk, claim="a") is False
    assert services.notice_chunk_render(chunk_id=first.pk, claim="b") is False
    # A worker died holding the second part: taken over after its lease, rendered once.
    stale = timezone.now() - services.notice_claim_lease() - dt.timedelta(seconds=1)
    NoticeChunk.objects.filter(pk=second.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="dead", claimed_at=stale, attempts=1
    )
    assert services.notice_chunk_render(chunk_id=second.pk, claim="rescuer") is True
    assert services.notice_chunk_render(chunk_id=second.pk, claim="dead") is False
    assert services.notice_chunk_render(chunk_id=third.pk, claim="c") is True
    # The join's worker died too; the rescuer joins once, the dead one's redelivery fails.
    NoticeChunk.objects.filter(pk=merge.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="dead-join", claimed_at=stale
    )
    assert services.notice_chunk_render(chunk_id=merge.pk, claim="join") is True
    assert services.notice_chunk_render(chunk_id=merge.pk, claim="dead-join") is False
    run.refresh_from_db()
    assert run.notices_done == run.notices_total == 5
    merge.refresh_from_db()
    assert _labels(_read(merge.file)) == _expected(1)
    assert sorted(NoticeChunk.objects.filter(run=run).values_list("attempts", flat=True)) == [
        1,
        1,
        1,
        2,
    ]


@pytest.mark.django_db
def test_a_lost_join_message_is_requeued_by_the_beat_after_the_lease(
    parts_of_two, django_capture_on_commit_callbacks
):
    compound = _compound("lostjoin", buildings=1, units=3)
    run = _started(compound)
    merge, *parts = _rows(run, "1")
    for part in parts:  # rendered, but the join's message (sent on commit) never arrives
        assert services.notice_chunk_render(chunk_id=part.pk, claim=f"p{part.part}") is True
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.requeue_stalled_notice_chunks() == 0  # its message may still be coming
    NoticeChunk.objects.filter(pk__in=[p.pk for p in parts]).update(
        finished_at=timezone.now() - services.notice_claim_lease() - dt.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.requeue_stalled_notice_chunks() == 1
    assert BillingRun.objects.get(pk=run.pk).notice_status == NoticeStatus.DONE


@pytest.mark.django_db
def test_a_parts_queries_do_not_grow_with_the_part(settings):
    counts = []
    for code, size in (("small", 2), ("large", 6)):
        settings.FEES_NOTICE_PART_SIZE = size
        run = _started(_compound(code, buildings=1, units=12))
        part = run.chunks.get(part=1)
        with CaptureQueriesContext(connection) as queries:
            assert services.notice_chunk_render(chunk_id=part.pk, claim=code) is True
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_joining_pdfs_keeps_every_page_in_order_and_shares_each_files_objects():
    def doc(*words: str) -> bytes:
        pages = "".join(f'<p style="break-after: page">{w} 楼栋</p>' for w in words)
        return html_to_pdf(f"<html><body>{pages}</body></html>")

    sources = [doc("一", "二", "三"), doc("四"), doc("五", "六")]
    joined = io.BytesIO()
    assert join_pdfs((io.BytesIO(s) for s in sources), joined) == 6
    reader = PdfReader(io.BytesIO(joined.getvalue()), strict=True)
    texts = [p.extract_text().split()[0] for p in reader.pages]
    assert texts == ["一", "二", "三", "四", "五", "六"]
    # The font of a source is written once, not once per page.
    fonts = {
        page["/Resources"]["/Font"][name].indirect_reference.idnum
        for page in reader.pages[:3]
        for name in page["/Resources"]["/Font"]
    }
    assert len(fonts) == 1
    # Nothing is copied twice (objects are written plainly, not in object streams).
    assert len(joined.getvalue()) < 1.1 * sum(len(s) for s in sources)


def test_skipping_empty_margin_boxes_keeps_declared_ones():
    """The notices' layout skips WeasyPrint's empty page-margin boxes; a document that
    declares margin content (page numbers of the reconciliation, the tally report) keeps
    it on every page."""
    numbered = html_to_pdf(
        "<html><head><style>@page { @bottom-center { content: 'P' counter(page) } }"
        "</style></head><body><p style='break-after: page'>一</p><p>二</p></body></html>"
    )
    pages = PdfReader(io.BytesIO(numbered)).pages
    assert ["P1" in pages[0].extract_text(), "P2" in pages[1].extract_text()] == [True, True]
    plain = html_to_pdf("<html><body><p>三</p></body></html>")
    assert PdfReader(io.BytesIO(plain)).pages[0].extract_text().strip() == "三"
