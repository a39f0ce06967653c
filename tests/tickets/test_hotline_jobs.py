"""The 12345 import as a background job: all or nothing through the task, its progress,
the report kept on the job, re-runs that import nothing twice, the page and the API."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import AuditEntry
from tickets import services_hotline
from tickets.models import HotlineImport, ImportStatus, Request
from tickets.services_hotline import (
    hotline_import_enqueue,
    hotline_import_rerun,
    hotline_import_run,
)

from .test_hotline import GOOD, xlsx

pytestmark = pytest.mark.django_db

BAD = [
    *GOOD,
    ["BJ240303", "三月五号", "", "", "维修", "电梯困人", "", ""],
    ["BJ240301", "2024-03-01 09:15", "", "", "维修", "另一件事", "", ""],
]


def start(cast, data: bytes, capture) -> HotlineImport:
    with capture(execute=True):
        job = hotline_import_enqueue(
            compound=cast.compound, actor=cast.officer, data=data, filename="3月.xlsx"
        )
    job.refresh_from_db()
    return job


def test_task_imports_all_rows_with_progress_and_report(cast, django_capture_on_commit_callbacks):
    job = start(cast, xlsx(GOOD), django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE and job.finished_at is not None
    assert (job.done, job.total, job.progress) == (3, 3, 100)
    assert job.report["created"] == 2 and job.report["merged"] == 1 and job.report["errors"] == []
    assert not job.upload  # the file is gone once imported
    assert Request.objects.filter(compound=cast.compound, channel="12345").count() == 2
    assert AuditEntry.objects.filter(
        action="request.hotline_import", object_id=str(job.pk)
    ).exists()


def test_any_bad_row_through_the_task_imports_nothing(cast, django_capture_on_commit_callbacks):
    job = start(cast, xlsx(BAD), django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.FAILED and not Request.objects.exists()
    problems = {(e["row"], e["column"]) for e in job.report["errors"]}
    assert (6, "受理时间") in problems and (7, "工单编号") in problems
    assert job.report["created"] == 0 and job.total == 5 and job.progress == 100


def test_progress_is_written_in_bounded_steps(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    rows = [
        [f"BJ{n:05d}", "2024-03-01 09:15", "", "", "维修", f"事项{n}", "", ""] for n in range(200)
    ]
    seen: list[tuple[int, int]] = []
    real = services_hotline.parse_file

    def spy(data, context, progress, steps):
        def record(done, total):
            seen.append((done, total))
            progress(done, total)
            if done:  # what the page sees meanwhile: committed, short of done
                job = HotlineImport.objects.get()
                assert job.status == ImportStatus.RUNNING and job.done == done
                assert 0 < job.progress < 100

        return real(data, context, record, steps)

    monkeypatch.setattr(services_hotline, "parse_file", spy)
    job = start(cast, xlsx(rows), django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE and job.report["created"] == 200
    assert seen[0] == (0, 200) and len(seen) <= services_hotline.PROGRESS_STEPS + 1
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_rerun_of_a_dead_workers_job_imports_nothing_twice(
    cast, django_capture_on_commit_callbacks
):
    # A worker claimed the job and died: it stays "running" with an old heartbeat.
    with django_capture_on_commit_callbacks(execute=False):
        job = hotline_import_enqueue(compound=cast.compound, actor=cast.officer, data=xlsx(GOOD))
    HotlineImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        claim="dead-task",
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
        done=1,
        total=3,
    )
    # Meanwhile the same cases came in by another file.
    services_hotline.hotline_import(compound=cast.compound, actor=cast.officer, data=xlsx(GOOD[:1]))
    job.refresh_from_db()
    assert job.is_stalled(timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert hotline_import_rerun(job=job, actor=cast.officer)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.report["created"] == 1 and job.report["already"] == 1
    assert Request.objects.filter(hotline_case_number="BJ240301").count() == 1
    assert Request.objects.count() == 2
    # Finished: a second re-run and a late redelivery of the first message do nothing.
    assert not hotline_import_rerun(job=job, actor=cast.officer)
    assert hotline_import_run(job.pk, claim="dead-task") == "skipped"
    assert Request.objects.count() == 2


def test_redelivered_task_takes_its_job_back_a_live_one_is_left_alone(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = hotline_import_enqueue(compound=cast.compound, actor=cast.officer, data=xlsx(GOOD))
    HotlineImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, claim="task-1", heartbeat_at=timezone.now()
    )
    assert hotline_import_run(job.pk, claim="task-2") == "skipped"  # held by a live worker
    assert not hotline_import_rerun(job=job, actor=cast.officer)
    assert hotline_import_run(job.pk, claim="task-1") == "done"  # same message, redelivered
    assert Request.objects.count() == 2


def test_empty_and_oversized_uploads_are_refused_before_anything_is_kept(cast, settings):
    from django.core.exceptions import ValidationError

    settings.ROSTER_MAX_UPLOAD_BYTES = 1000
    for data in (b"", b"x" * 1001):
        with pytest.raises(ValidationError):
            hotline_import_enqueue(compound=cast.compound, actor=cast.officer, data=data)
    assert not HotlineImport.objects.exists()


def test_page_uploads_then_shows_the_job_and_its_report(
    cast, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(cast.officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/c/home/requests/hotline/", {"file": SimpleUploadedFile("坏.xlsx", xlsx(BAD))}
        )
    job = HotlineImport.objects.get()
    assert (
        response.status_code == 302
        and response.url == f"/c/home/requests/hotline/imports/{job.pk}/"
    )
    with django_assert_max_num_queries(12):
        page = client.get(response.url)
    body = page.content.decode()
    assert page.status_code == 200 and "hotline-errors" in body and "letter-job" in body
    assert "三月五号" in body and "households/letters.js" in body
    status = client.get(f"/c/home/requests/hotline/imports/{job.pk}/status/").json()
    assert status["status"] == "failed" and status["progress"] == 100 and status["total"] == 5
    assert any("受理时间" in line for line in status["lines"])
    listing = client.get("/c/home/requests/hotline/").content.decode()
    assert "坏.xlsx" in listing and "hotline-imports" in listing
    # A running job shows the bar short of full, and the poll says so.
    HotlineImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, done=2, total=5, heartbeat_at=timezone.now()
    )
    status = client.get(f"/c/home/requests/hotline/imports/{job.pk}/status/").json()
    assert status["status"] == "running" and status["progress"] == 40
    for user in (cast.company_staff, cast.committee, cast.resident, cast.outsider_office):
        other = Client()
        other.force_login(user)
        assert other.get(f"/c/home/requests/hotline/imports/{job.pk}/").status_code == 404


def test_api_202_then_poll(cast, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    client = APIClient()
    client.force_authenticate(cast.officer)
    url = "/api/v1/compounds/home/requests/hotline/imports/"
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            url, {"file": SimpleUploadedFile("h.xlsx", xlsx(GOOD))}, format="multipart"
        )
    assert started.status_code == 202, started.content
    body = started.json()
    assert set(body) == {"id", "status"}
    with django_assert_max_num_queries(6):
        poll = client.get(f"{url}{body['id']}/")
    assert poll.status_code == 200
    result = poll.json()
    assert result["status"] == "done" and (result["done"], result["total"]) == (3, 3)
    assert result["created"] == 2 and result["merged"] == 1 and result["errors"] == []
    with django_capture_on_commit_callbacks(execute=True):
        bad = client.post(
            url, {"file": SimpleUploadedFile("h.xlsx", xlsx(BAD))}, format="multipart"
        )
    assert bad.status_code == 202
    failed = client.get(f"{url}{bad.json()['id']}/").json()
    assert failed["status"] == "failed" and failed["created"] == 0
    assert {"row": 6, "column": "受理时间"}.items() <= failed["errors"][0].items() or any(
        e["row"] == 6 and e["column"] == "受理时间" for e in failed["errors"]
    )
    assert Request.objects.count() == 2
    empty = client.post(url, {"file": SimpleUploadedFile("h.xlsx", b"")}, format="multipart")
    assert empty.status_code == 400
    staff = APIClient()
    staff.force_authenticate(cast.company_staff)
    assert staff.get(f"{url}{body['id']}/").status_code == 404
    assert (
        staff.post(url, {"file": SimpleUploadedFile("h.xlsx", xlsx(GOOD))}, format="multipart")
    ).status_code == 404
    outsider = APIClient()
    outsider.force_authenticate(cast.outsider_office)
    assert (
        outsider.get(f"/api/v1/compounds/far/requests/hotline/imports/{body['id']}/").status_code
        == 404
    )
