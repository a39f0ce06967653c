"""A contribution-notice job records the buildings it was asked for (``building_ids``,
empty: the whole scope), shows them on the jobs list and the job page ("楼栋 2" or
"全部"), and a failed job started again prints exactly those buildings: real PDFs read
back with pypdf."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.models import AuditEntry
from tests.works.lift_project import make_lift_project
from tests.works.test_notices import _building_texts, _flat
from works.models import ContributionNoticeJob, NoticeJobStatus
from works.services import notices

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(cast):
    return make_lift_project(cast.compound)


def _start(project, numbers):
    """A job planned but not printed (its tasks are queued after a commit that a test's
    transaction never makes), as a worker that died would leave it."""
    return notices.contribution_notices_start(
        compound=project.compound,
        project=project,
        buildings=notices.notice_buildings_chosen(project, numbers),
    )


def _fail(job):
    notices.notice_job_fail(chunk_id=job.chunks.values_list("id", flat=True)[0])
    return ContributionNoticeJob.objects.select_related("project", "compound").get(pk=job.pk)


def test_the_chosen_buildings_are_recorded(cast, project):
    two = cast.compound.buildings.get(number="2")
    assert _start(project, ["2"]).building_ids == [two.pk]
    assert _start(project, None).building_ids == []
    assert _start(project, ["2", "1"]).building_ids == []  # every building: the whole scope


def test_a_failed_job_restarts_with_exactly_its_buildings(
    cast, project, django_capture_on_commit_callbacks
):
    job = _fail(_start(project, ["2"]))
    assert job.status == NoticeJobStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        restarted = notices.contribution_notices_restart(job=job, actor=cast.committee)
    restarted.refresh_from_db()
    assert restarted.pk == job.pk and restarted.status == NoticeJobStatus.DONE
    assert (restarted.done, restarted.total) == (3, 3)
    texts = _building_texts(restarted)
    assert sorted(texts) == ["2"]
    labels = sorted(
        u.label for u in cast.compound.units.filter(building__number="2").select_related("building")
    )
    printed = sorted(
        next(label for label in labels if _flat(label) in _flat(page)) for page in texts["2"]
    )
    assert printed == labels
    assert AuditEntry.objects.filter(action="works.contribution_notices_restart").exists()
    with pytest.raises(ValidationError):  # only a failed job restarts
        notices.contribution_notices_restart(job=restarted)


def test_a_restart_refuses_when_its_buildings_have_no_shares_left(cast, project):
    job = _fail(_start(project, ["2"]))
    project.contributions.filter(building__number="2").delete()
    with pytest.raises(ValidationError) as exc:
        notices.contribution_notices_restart(job=job)
    assert "buildings" in exc.value.message_dict
    job.refresh_from_db()
    assert job.status == NoticeJobStatus.FAILED


def test_pages_show_the_buildings_and_restart_a_failed_job(
    client, cast, project, django_capture_on_commit_callbacks
):
    client.force_login(cast.committee)
    chosen = _fail(_start(project, ["2"]))
    _start(project, None)
    html = client.get(reverse("works:notices", args=[cast.compound.code, project.pk]))
    html = html.content.decode()
    assert "楼栋 2" in html and "全部" in html
    job_url = reverse("works:notice_job", args=[cast.compound.code, project.pk, chosen.pk])
    page = client.get(job_url).content.decode()
    assert 'id="notice-job-buildings"' in page and "楼栋 2" in page
    assert "重新生成" in page
    restart = reverse("works:notice_job_continue", args=[cast.compound.code, project.pk, chosen.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(restart).status_code == 302
    chosen.refresh_from_db()
    assert chosen.status == NoticeJobStatus.DONE
    assert sorted(_building_texts(chosen)) == ["2"]
    state = client.get(
        reverse("works:notice_job_status", args=[cast.compound.code, project.pk, chosen.pk])
    ).json()
    assert [f["building"] for f in state["files"]] == [
        cast.compound.buildings.get(number="2").label
    ]
