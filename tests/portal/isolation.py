"""URL kwargs of portal's own compound routes for the isolation walk (tests/isolation.py)."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from portal.models import ExportFile, ExportState
from portal.xlsx import Sheet, workbook_bytes
from tests.isolation import per_cast, register_kwarg


@per_cast
def home_export(cast) -> ExportFile:
    """A finished export of the home compound, asked for by its committee member."""
    job = ExportFile(
        compound=cast.compound,
        requested_by=cast.committee,
        list_name="households.units",
        params={"q": ""},
        state=ExportState.DONE,
        rows_done=1,
        rows_total=1,
        filename="房屋.xlsx",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    content = workbook_bytes(Sheet("房屋", ["楼号"], [["1"]]))
    job.file.save("isolation-export.xlsx", ContentFile(content), save=False)
    job.save()
    return job


register_kwarg("export_id", lambda cast: home_export(cast).pk)
