"""Pages of a project's contribution notices (业主出资通知单): choose buildings and print,
watch a job's progress (the page polls its JSON with the activation letters' script),
download the building files through the portal (access checked, never a media path).

For the committee, the street office and the service company of the compound
(works.receipt_access NOTICE_PRINTERS); anyone else gets 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from households.models import Building
from households.printing import BUILDING_FILE, ChunkStatus
from portal.typing import AuthenticatedHttpRequest

from .models import ContributionNoticeJob, NoticeJobStatus
from .receipt_access import (
    NOTICE_PRINTERS,
    get_money_project_for_user,
    get_notice_file_for_user,
    get_notice_job_for_user,
)
from .services import notices


class NoticesForm(forms.Form):
    buildings = forms.MultipleChoiceField(
        label=gettext_lazy("楼栋"), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["buildings"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices
        field.error_messages["required"] = _("请至少选择一个楼栋")


def _buildings_labels(jobs: list[ContributionNoticeJob]) -> None:
    """Set ``buildings_label`` on each of ``jobs`` (one compound's): "楼栋 16、17" for the
    buildings a job was asked for, "全部" for the whole scope (one query for all)."""
    ids = {pk for job in jobs for pk in job.building_ids}
    numbers = dict(
        Building.objects.filter(compound_id__in={j.compound_id for j in jobs}, pk__in=ids)
        .order_by()
        .values_list("pk", "number")
        if ids
        else []
    )
    for job in jobs:
        if job.building_ids:
            shown = "、".join(numbers[pk] for pk in job.building_ids if pk in numbers)
            job.buildings_label = _("楼栋 %(numbers)s") % {"numbers": shown}  # type: ignore[attr-defined]
        else:
            job.buildings_label = _("全部")  # type: ignore[attr-defined]


@login_required
def notices_page(request: AuthenticatedHttpRequest, code: str, project_id: int) -> HttpResponse:
    project = get_money_project_for_user(request.user, code, project_id, NOTICE_PRINTERS)
    compound = project.compound
    available = notices.notice_buildings(project)
    choices = [(b.number, f"{b.label}（{n}）") for b, n in available]
    form = NoticesForm(request.POST if request.method == "POST" else None, choices=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                chosen = notices.notice_buildings_chosen(project, form.cleaned_data["buildings"])
                job = notices.contribution_notices_start(
                    compound=compound, project=project, buildings=chosen, actor=request.user
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("已开始生成出资通知单，进度见下方"))
                return redirect("works:notice_job", compound.code, project.pk, job.pk)
        status = 400
    jobs = list(
        ContributionNoticeJob.objects.filter(compound=compound, project=project)
        .select_related("requested_by")
        .order_by("-created_at", "-id")[:20]
    )
    _buildings_labels(jobs)
    return render(
        request,
        "works/notices.html",
        {
            "compound": compound,
            "project": project,
            "buildings": available,
            "form": form,
            "jobs": jobs,
        },
        status=status,
    )


def _state(job: ContributionNoticeJob) -> dict:
    """What the job page shows and its JSON says (the activation letters' shape)."""
    compound, project = job.compound, job.project
    chunks = (
        job.chunks.filter(BUILDING_FILE, status=ChunkStatus.DONE)
        .exclude(file="")
        .select_related("building")
        .order_by("building__sort_key", "building__number")
    )
    files = [
        {
            "building": chunk.building.label,
            "notices": chunk.notices,
            "label": _("%(building)s（%(notices)s 份）")
            % {"building": chunk.building.label, "notices": chunk.notices},
            "url": reverse(
                "works:notice_file",
                args=[compound.code, project.pk, job.pk, chunk.building.number],
            ),
        }
        for chunk in chunks
    ]
    return notices.notice_print().page_state(job, files)


@login_required
def notice_job(
    request: AuthenticatedHttpRequest, code: str, project_id: int, job_id: int
) -> HttpResponse:
    job = get_notice_job_for_user(request.user, code, project_id, job_id)
    _buildings_labels([job])
    return render(
        request,
        "works/notice_job.html",
        {"compound": job.compound, "project": job.project, "job": job, "state": _state(job)},
    )


@login_required
def notice_job_status(
    request: AuthenticatedHttpRequest, code: str, project_id: int, job_id: int
) -> JsonResponse:
    """The job page's poll: status, notices made, the building files so far."""
    job = get_notice_job_for_user(request.user, code, project_id, job_id)
    response = JsonResponse(_state(job))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def notice_job_continue(
    request: AuthenticatedHttpRequest, code: str, project_id: int, job_id: int
) -> HttpResponse:
    """继续生成: queue again the chunks whose task was lost (a stalled worker); a failed job
    starts again with exactly the buildings it was asked for."""
    job = get_notice_job_for_user(request.user, code, project_id, job_id)
    if job.status == NoticeJobStatus.FAILED:
        try:
            notices.contribution_notices_restart(job=job, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.info(request, _("已重新生成该任务所选的楼栋"))
        return redirect("works:notice_job", job.compound.code, job.project_id, job.pk)
    queued, buildings = notices.notice_chunks_requeue(job=job)
    if queued:
        messages.info(request, _("已重新排队 %(n)s 个楼栋") % {"n": buildings})
    else:
        messages.info(request, _("没有需要重新排队的楼栋"))
    return redirect("works:notice_job", job.compound.code, job.project_id, job.pk)


@login_required
def notice_file(
    request: AuthenticatedHttpRequest, code: str, project_id: int, job_id: int, number: str
) -> FileResponse:
    chunk = get_notice_file_for_user(request.user, code, project_id, job_id, number)
    if not default_storage.exists(chunk.file):
        raise Http404
    name = f"{code}-works-{project_id}-notices-{chunk.job_id}-{chunk.building.number}.pdf"
    response = FileResponse(
        default_storage.open(chunk.file, "rb"), content_type="application/pdf", filename=name
    )
    response["Cache-Control"] = "private, no-store"
    return response
