"""Background list exports (issue 10 item 8): a list longer than EXPORT_INLINE_ROWS is
written by a task, with progress, downloaded by its requester only; the inline and the
background file are the same; access is checked again when the task runs."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from households.models import Unit
from portal import exports
from portal.models import ExportFile, ExportState, Membership

pytestmark = pytest.mark.django_db


def units_url(cast) -> str:
    return reverse("register_units", args=[cast.compound.code])


def owners_url(cast) -> str:
    return reverse("register_owners", args=[cast.compound.code])


def rows_of(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def file_content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def low_inline(settings):
    settings.EXPORT_INLINE_ROWS = 2


def start(client, url, params, callbacks):
    with callbacks(execute=True):
        response = client.get(url, {"export": "xlsx", **params})
    assert response.status_code == 302, response.content.decode()[:300]
    job = ExportFile.objects.get()
    assert response["Location"] == reverse("export_status", args=[job.compound.code, job.pk])
    return job, response["Location"]


def test_a_large_export_runs_in_the_background_and_equals_the_inline_file(
    cast, client, low_inline, settings, django_capture_on_commit_callbacks
):
    client.force_login(cast.committee)
    params = {"building": "1"}
    job, status_url = start(client, units_url(cast), params, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == ExportState.DONE and job.requested_by == cast.committee
    expected = Unit.objects.filter(compound=cast.compound, building__number="1").count()
    assert expected > settings.EXPORT_INLINE_ROWS
    assert job.rows_done == job.rows_total == expected
    assert job.params == {"q": "", "building": "1"}
    assert len(job.file.name.rsplit("/", 1)[-1]) > 30  # not guessable
    page = client.get(status_url)
    assert page.status_code == 200
    assert reverse("export_download", args=[cast.compound.code, job.pk]) in page.content.decode()
    status = client.get(reverse("export_status_json", args=[cast.compound.code, job.pk])).json()
    assert status == {
        "state": "done",
        "rows_done": expected,
        "rows_total": expected,
        "percent": 100,
    }
    download = client.get(reverse("export_download", args=[cast.compound.code, job.pk]))
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    background = rows_of(file_content(download))
    assert len(background) == expected + 1
    assert {row[0] for row in background[1:]} == {"1"}
    # The same build, inline: the very same rows.
    settings.EXPORT_INLINE_ROWS = 5000
    inline = client.get(units_url(cast), {"export": "xlsx", **params})
    assert rows_of(file_content(inline)) == background
    assert ExportFile.objects.count() == 1


def test_progress_is_counted_per_chunk(
    cast, client, low_inline, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 2)
    seen = []
    original = exports._counted

    def counted(rows, job_id):
        for row in original(rows, job_id):
            seen.append(ExportFile.objects.get(pk=job_id).rows_done)
            yield row

    monkeypatch.setattr(exports, "_counted", counted)
    client.force_login(cast.committee)
    job, _url = start(client, owners_url(cast), {}, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == ExportState.DONE and job.rows_done == job.rows_total
    # rows_done rose by 2 while the file was written, before the end.
    assert seen[:4] == [0, 0, 2, 2]


@pytest.mark.parametrize("who", ["officer", "outsider_compound", "outsider_office", "resident"])
def test_nobody_else_sees_the_status_or_the_file(
    cast, client, low_inline, who, django_capture_on_commit_callbacks
):
    client.force_login(cast.committee)
    job, _url = start(client, units_url(cast), {}, django_capture_on_commit_callbacks)
    client.force_login(getattr(cast, who))
    codes = {cast.compound.code, cast.other_compound.code, cast.far_compound.code}
    for code in codes:
        for name in ("export_status", "export_status_json", "export_download"):
            assert client.get(reverse(name, args=[code, job.pk])).status_code == 404


def test_the_requester_without_a_role_left_cannot_download(
    cast, client, low_inline, django_capture_on_commit_callbacks
):
    client.force_login(cast.committee)
    job, _url = start(client, units_url(cast), {}, django_capture_on_commit_callbacks)
    Membership.objects.filter(user=cast.committee).delete()
    url = reverse("export_download", args=[cast.compound.code, job.pk])
    assert client.get(url).status_code == 404


def test_a_role_lost_before_the_task_runs_fails_the_export_with_no_file(
    cast, client, low_inline, django_capture_on_commit_callbacks
):
    client.force_login(cast.committee)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(units_url(cast), {"export": "xlsx"})
    assert response.status_code == 302
    Membership.objects.filter(user=cast.committee).delete()
    for callback in callbacks:
        callback()
    job = ExportFile.objects.get()
    assert job.state == ExportState.FAILED and not job.file
    assert job.error


def test_filters_gone_before_the_task_runs_fail_the_export(
    cast, client, low_inline, django_capture_on_commit_callbacks
):
    client.force_login(cast.committee)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.get(units_url(cast), {"export": "xlsx", "building": "1"})
    cast.compound.buildings.filter(number="1").update(number="1A")
    for callback in callbacks:
        callback()
    job = ExportFile.objects.get()
    assert job.state == ExportState.FAILED and not job.file


@pytest.mark.parametrize(
    "params",
    [{"building": "nope"}, {"q": "x" * 10_000}, {"kind": "x" * 10_000}, {"export": "csv"}],
)
def test_bad_params_are_refused_before_a_job_is_made(cast, client, low_inline, params):
    client.force_login(cast.committee)
    response = client.get(units_url(cast), {"export": "xlsx", **params})
    assert response.status_code == 400
    assert not ExportFile.objects.exists()


def test_over_the_bound_no_job_is_made(cast, client, low_inline, monkeypatch):
    from portal import lists

    monkeypatch.setattr(lists, "EXPORT_MAX_ROWS", 3)
    client.force_login(cast.committee)
    response = client.get(units_url(cast), {"export": "xlsx"})
    assert response.status_code == 400 and "导出最多 3 行" in response.content.decode()
    assert not ExportFile.objects.exists()


def test_one_person_cannot_queue_exports_without_end(cast, client, low_inline):
    client.force_login(cast.committee)
    for _ in range(exports.EXPORT_MAX_PENDING):  # queued: nothing runs them in this test
        assert client.get(units_url(cast), {"export": "xlsx"}).status_code == 302
    response = client.get(units_url(cast), {"export": "xlsx"})
    assert response.status_code == 400
    assert f"您已有 {exports.EXPORT_MAX_PENDING} 个导出正在生成" in response.content.decode()
    assert ExportFile.objects.count() == exports.EXPORT_MAX_PENDING
    # Another person is not held up, and a job stuck for over an hour stops counting.
    client.force_login(cast.officer)
    assert client.get(units_url(cast), {"export": "xlsx"}).status_code == 302
    ExportFile.objects.filter(requested_by=cast.committee).update(
        created_at=timezone.now() - exports.EXPORT_PENDING_FOR - timedelta(minutes=1)
    )
    client.force_login(cast.committee)
    assert client.get(units_url(cast), {"export": "xlsx"}).status_code == 302


def test_expired_exports_are_gone_with_their_files(
    cast, client, low_inline, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from portal.tasks import expire_exports

    client.force_login(cast.committee)
    job, status_url = start(client, units_url(cast), {}, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    assert expire_exports() == 0
    ExportFile.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(status_url).status_code == 404
    assert expire_exports() == 1
    assert not storage.exists(name) and not ExportFile.objects.exists()


def test_the_task_runs_once(cast, client, low_inline, django_capture_on_commit_callbacks):
    client.force_login(cast.committee)
    job, _url = start(client, units_url(cast), {}, django_capture_on_commit_callbacks)
    assert exports.run_export(job.pk) == "skipped"


def test_starting_a_background_export_costs_the_same_queries_at_any_length(
    cast, client, low_inline, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.households.test_register_lists import big_building

    client.force_login(cast.committee)

    def started() -> int:
        with (
            django_capture_on_commit_callbacks(execute=False),
            CaptureQueriesContext(connection) as queries,
        ):
            assert client.get(units_url(cast), {"export": "xlsx"}).status_code == 302
        return len(queries)

    small = started()
    big_building(cast.compound, "9", 300)
    assert started() == small
    assert ExportFile.objects.count() == 2
