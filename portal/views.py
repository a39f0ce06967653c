"""The foundation's own pages: the favicon and background list exports' progress and
file (dashboards and landing pages live in ``board``)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from .exports import export_for_user
from .models import ExportState
from .typing import AuthenticatedHttpRequest
from .xlsx import XLSX_CONTENT_TYPE


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the static icon
    (a temporary redirect, so a new hashed file name in production is picked up)."""
    return redirect(static("favicon.svg"))


@login_required
def export_status(request: AuthenticatedHttpRequest, code: str, export_id: int) -> HttpResponse:
    """A background list export's progress (the page reloads itself while it runs) and,
    when done, its download link. Only the user who asked sees it."""
    job = export_for_user(request.user, code, export_id)
    return render(request, "portal/export_status.html", {"compound": job.compound, "job": job})


@login_required
def export_status_json(
    request: AuthenticatedHttpRequest, code: str, export_id: int
) -> JsonResponse:
    job = export_for_user(request.user, code, export_id)
    return JsonResponse(
        {
            "state": job.state,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
        }
    )


@login_required
def export_download(request: AuthenticatedHttpRequest, code: str, export_id: int) -> FileResponse:
    job = export_for_user(request.user, code, export_id)
    if job.state != ExportState.DONE or not job.file:
        raise Http404
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.filename,
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response
