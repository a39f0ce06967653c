"""What the apps' export tests share: reading an XLSX response, and checking that a long
list is exported in the background (portal.exports) as the very file the request would
have streamed."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from portal.models import ExportFile, ExportState


def xlsx_rows(response) -> list[tuple]:
    """The first sheet's rows of an XLSX response (streamed or not), which must be a 200."""
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))


def exported_in_background_as_inline(
    client, settings, capture_on_commit, url: str, params: dict, list_name: str
) -> ExportFile:
    """Export ``url`` with ``params`` inline, then (EXPORT_INLINE_ROWS lowered to 1) in the
    background, and assert the job ran to the end and its download is the same file.
    Returns the job, for the caller's own checks."""
    inline = xlsx_rows(client.get(url, {"export": "xlsx", **params}))
    assert len(inline) > 2
    settings.EXPORT_INLINE_ROWS = 1
    with capture_on_commit(execute=True):
        response = client.get(url, {"export": "xlsx", **params})
    job = ExportFile.objects.get()
    assert response.status_code == 302 and job.list_name == list_name
    job.refresh_from_db()
    assert job.state == ExportState.DONE and job.rows_done == job.rows_total == len(inline) - 1
    download = client.get(reverse("export_download", args=[job.compound.code, job.pk]))
    assert xlsx_rows(download) == inline
    return job
