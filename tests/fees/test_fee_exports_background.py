"""The arrears and payments exports, long ones in the background (portal.exports): the
file the task writes is the one the request would have streamed."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portal.models import ExportFile, ExportState
from tests.fees.test_fee_lists import _compound

pytestmark = pytest.mark.django_db


def _rows(response) -> list[tuple]:
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))


@pytest.mark.parametrize(
    ("name", "params"), [("arrears", {"amount": "500-2000"}), ("payments", {"kind": "payment"})]
)
def test_a_long_fee_list_is_exported_in_the_background_as_the_same_file(
    cast, client, settings, django_capture_on_commit_callbacks, name, params
):
    compound = _compound(cast, "fbg", buildings=2, units=4)
    client.force_login(cast.officer)
    url = reverse(f"fees:{name}", args=[compound.code])
    inline = _rows(client.get(url, {"export": "xlsx", **params}))
    assert len(inline) > 2
    settings.EXPORT_INLINE_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url, {"export": "xlsx", **params})
    job = ExportFile.objects.get()
    assert response.status_code == 302 and job.list_name == f"fees.{name}"
    job.refresh_from_db()
    assert job.state == ExportState.DONE and job.rows_done == job.rows_total == len(inline) - 1
    download = client.get(reverse("export_download", args=[compound.code, job.pk]))
    assert _rows(download) == inline
