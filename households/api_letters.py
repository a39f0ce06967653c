"""API v1 of the activation letters (开通通知书): start a job, watch it, fetch its files.

``POST /api/v1/compounds/{code}/activation-letters/`` ``{"buildings": ["16"]}`` → 202
``{"id", "status"}``; ``GET .../activation-letters/{id}/`` → ``{"status", "done", "total",
"files"}``, each file URL a view of this API (token or session) answering the building
file as ``application/pdf``. For committee members and street officers of the compound;
anyone else 404. In the embedded mode (no broker) the job has finished when the POST
returns.
"""

import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from portal import background
from portal.api import CompoundScopedAPIView

from . import letter_selectors
from .letter_access import LETTER_PRINTERS, get_letter_file_for_user, get_letter_job_for_user
from .models import ActivationLetterJob, LetterJobStatus
from .services import letters


class LettersRequestSerializer(serializers.Serializer):
    buildings = serializers.ListField(
        child=serializers.CharField(max_length=20, allow_blank=False),
        allow_empty=False,
        max_length=letters.MAX_BUILDINGS,
        help_text='楼号 as on the register, e.g. `["16"]`',
    )


#: A job's status: ``queued``, ``running``, ``done`` or ``failed`` (LetterJobStatus). Plain
#: text in the schema: an enum named "status" would collide with the other apps' ones.
STATUS_HELP = "queued | running | done | failed"


class LetterJobStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text=STATUS_HELP)


class LetterJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text=STATUS_HELP)
    done = serializers.IntegerField(help_text="letters made")
    total = serializers.IntegerField(help_text="letters of the job")
    files = serializers.ListField(
        child=serializers.URLField(), help_text="the finished building files (PDF)"
    )


def _wait_embedded(job: ActivationLetterJob) -> ActivationLetterJob:
    """Embedded mode runs tasks in the web process: inline (they ran when the start
    committed) or in its background thread, which this waits for, so the POST answers
    once the job has finished, as the API promises."""
    if not (background.embedded() and background.is_active()):
        return job
    deadline = time.monotonic() + settings.CELERY_TASK_TIME_LIMIT
    while job.status in (LetterJobStatus.QUEUED, LetterJobStatus.RUNNING):
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
        job.refresh_from_db(fields=["status", "done", "total"])
    return job


class ActivationLettersView(CompoundScopedAPIView):
    """开通通知书: print the activation letters of some buildings (one per household with a
    current owner; the households' earlier codes are revoked)."""

    allowed_roles = LETTER_PRINTERS
    serializer_class = LettersRequestSerializer

    @extend_schema(
        request=LettersRequestSerializer,
        responses={202: LetterJobStartedSerializer, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, code: str) -> Response:
        compound = self.compound
        data = LettersRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        buildings = letters.letter_buildings(compound, data.validated_data["buildings"])
        job = letters.activation_letters_start(
            compound=compound, buildings=buildings, actor=request.user
        )
        job = _wait_embedded(job)
        return Response(
            LetterJobStartedSerializer({"id": job.pk, "status": job.status}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class ActivationLetterJobView(CompoundScopedAPIView):
    """A letter job's progress and its building files."""

    allowed_roles = LETTER_PRINTERS
    serializer_class = LetterJobSerializer

    def get(self, request: Request, code: str, job_id: int) -> Response:
        job = get_letter_job_for_user(request.user, code, job_id)
        files = [
            request.build_absolute_uri(
                reverse("api-activation-letter-file", args=[code, job.pk, chunk.building.number])
            )
            for chunk in letter_selectors.job_files(job)
        ]
        return Response(
            LetterJobSerializer(
                {
                    "id": job.pk,
                    "status": job.status,
                    "done": job.done,
                    "total": job.total,
                    "files": files,
                }
            ).data
        )


class ActivationLetterFileView(CompoundScopedAPIView):
    """A building's letters file of a job, as PDF."""

    allowed_roles = LETTER_PRINTERS
    serializer_class = LetterJobSerializer  # for the schema only

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF"),
            404: inline_serializer("LetterFileMissing", {"detail": serializers.CharField()}),
        }
    )
    def get(self, request: Request, code: str, job_id: int, number: str) -> FileResponse:
        chunk = get_letter_file_for_user(request.user, code, job_id, number)
        if not default_storage.exists(chunk.file):
            raise Http404
        response = FileResponse(
            default_storage.open(chunk.file, "rb"),
            content_type="application/pdf",
            filename=f"{code}-letters-{job_id}-{number}.pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response
