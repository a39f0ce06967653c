"""Pages of the activation letters (开通通知书): choose buildings and print, watch a job's
progress (the page polls its JSON), download the building files, see earlier jobs.

For committee members and street officers of the compound (households.access
LETTER_PRINTERS); anyone else gets 404 as for a compound that does not exist."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import get_compound_for_user
from portal.typing import AuthenticatedHttpRequest

from . import letter_selectors
from .letter_access import LETTER_PRINTERS, get_letter_file_for_user, get_letter_job_for_user
from .models import ActivationLetterJob
from .services import letters


class LettersForm(forms.Form):
    buildings = forms.MultipleChoiceField(
        label=_("楼栋"), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["buildings"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices
        field.error_messages["required"] = _("请至少选择一个楼栋")


def _form(compound_buildings: list, data=None) -> LettersForm:
    choices = [
        (b.number, f"{b.label}（{b.households}）") for b in compound_buildings if b.households
    ]
    return LettersForm(data, choices=choices)


@login_required
def letters_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, LETTER_PRINTERS)
    buildings = letter_selectors.letter_buildings(compound)
    form = _form(buildings, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                chosen = letters.letter_buildings(compound, form.cleaned_data["buildings"])
                job = letters.activation_letters_start(
                    compound=compound, buildings=chosen, actor=request.user
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("已开始生成开通通知书，进度见下方"))
                return redirect("letter_job", compound.code, job.pk)
        status = 400
    return render(
        request,
        "households/letters/index.html",
        {
            "compound": compound,
            "buildings": buildings,
            "form": form,
            "jobs": letter_selectors.letter_jobs(compound),
        },
        status=status,
    )


def _state(job: ActivationLetterJob) -> dict:
    """What the job page shows and its JSON says."""
    files = [
        {
            "building": chunk.building.label,
            "letters": chunk.letters,
            "label": _("%(building)s（%(letters)s）")
            % {"building": chunk.building.label, "letters": chunk.letters},
            "url": reverse("letter_file", args=[job.compound.code, job.pk, chunk.building.number]),
        }
        for chunk in letter_selectors.job_files(job)
    ]
    return letters.letter_print().page_state(job, files)


@login_required
def letter_job(request: AuthenticatedHttpRequest, code: str, job_id: int) -> HttpResponse:
    job = get_letter_job_for_user(request.user, code, job_id)
    return render(
        request,
        "households/letters/job.html",
        {
            "compound": job.compound,
            "job": job,
            "state": _state(job),
            "buildings": list(job.buildings.order_by("sort_key", "number")),
        },
    )


@login_required
def letter_job_status(request: AuthenticatedHttpRequest, code: str, job_id: int) -> JsonResponse:
    """The job page's poll: status, letters made, the building files so far."""
    job = get_letter_job_for_user(request.user, code, job_id)
    response = JsonResponse(_state(job))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def letter_job_continue(request: AuthenticatedHttpRequest, code: str, job_id: int) -> HttpResponse:
    """继续生成: queue again the chunks whose task was lost (a stalled worker)."""
    job = get_letter_job_for_user(request.user, code, job_id)
    queued, buildings = letters.letter_chunks_requeue(job=job)
    if queued:
        messages.info(request, _("已重新排队 %(n)s 个楼栋") % {"n": buildings})
    else:
        messages.info(request, _("没有需要重新排队的楼栋"))
    return redirect("letter_job", job.compound.code, job.pk)


@login_required
def letter_file(
    request: AuthenticatedHttpRequest, code: str, job_id: int, number: str
) -> FileResponse:
    chunk = get_letter_file_for_user(request.user, code, job_id, number)
    if not default_storage.exists(chunk.file):
        raise Http404
    name = f"{chunk.job.compound.code}-letters-{chunk.job_id}-{chunk.building.number}.pdf"
    response = FileResponse(
        default_storage.open(chunk.file, "rb"), content_type="application/pdf", filename=name
    )
    response["Cache-Control"] = "private, no-store"
    return response
