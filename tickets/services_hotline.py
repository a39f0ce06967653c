"""Importing the 12345 hotline's cases and exporting them back with the result.

All or nothing: the file is parsed and every row checked (:mod:`tickets.hotline`) before
anything is written; with any row error nothing is imported and the report lists them
all. Duplicate rows of one case (same number, same content) become one request; a case
imported before with the same content is left as it is.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.audit import audit_record
from portal.models import Compound

from .hotline import HotlineContext, HotlineFileError, ParsedFile, RowError, parse_file
from .models import Category, Channel, EventKind, Request, RequestEvent, State
from .services import NewRequest, request_build


@dataclass
class HotlineReport:
    created: int = 0
    merged: int = 0
    already: int = 0
    repaired_rows: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error


def _context(compound: Compound) -> HotlineContext:
    categories: dict[str, str] = {}
    for code, name in Category.objects.filter(active=True).values_list("code", "name"):
        categories[code] = code
        categories[name] = code
    units = {
        (building, number): pk
        for pk, building, number in compound.units.values_list("pk", "building__number", "number")
    }
    existing = dict(
        Request.objects.filter(compound=compound, channel=Channel.HOTLINE).values_list(
            "hotline_case_number", "description"
        )
    )
    return HotlineContext(categories=categories, units=units, existing=existing)


@transaction.atomic
def hotline_import(*, compound: Compound, actor: User, data: bytes) -> HotlineReport:
    """Import the hotline's case file into ``compound``: every case a request with its
    deadline, or nothing at all when any row is bad (the report says which and why)."""
    report = HotlineReport()
    context = _context(compound)
    try:
        parsed: ParsedFile = parse_file(data, context)
    except HotlineFileError as exc:
        report.file_error = str(exc)
        return report
    report.errors = parsed.errors
    report.merged = len(parsed.merged)
    report.already = len(parsed.already)
    report.repaired_rows = parsed.repaired
    if parsed.errors:
        return report
    requests = []
    for row in parsed.rows:
        request = request_build(
            compound=compound,
            actor=None,
            data=NewRequest(
                category=row.category,
                description=row.content,
                unit_id=context.units[row.unit_key] if row.unit_key else None,
                place=row.place,
                emergency=row.emergency,
                channel=Channel.HOTLINE,
                caller_phone=row.caller_phone,
                hotline_case_number=row.case_number,
                received_at=row.received_at,
                due_at=row.deadline,
            ),
        )
        requests.append(request)
    created = Request.objects.bulk_create(requests, batch_size=500)
    now = timezone.now()
    RequestEvent.objects.bulk_create(
        [
            RequestEvent(
                compound=compound,
                request=r,
                kind=EventKind.IMPORTED,
                to_state=State.NEW,
                actor=actor,
                created_at=now,
            )
            for r in created
        ],
        batch_size=500,
    )
    report.created = len(created)
    audit_record(
        action="request.hotline_import",
        actor=actor,
        compound=compound,
        data={"created": report.created, "merged": report.merged, "already": report.already},
    )
    return report


def hotline_cases(compound: Compound) -> QuerySet[Request]:
    return (
        Request.objects.filter(compound=compound, channel=Channel.HOTLINE)
        .select_related("category", "unit__building", "building")
        .order_by("received_at", "id")
    )


def _when(value) -> str:  # noqa: ANN001 (a datetime or None)
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def hotline_export_row(r: Request) -> list[object]:
    """One case in the import's shape (so the file reads back in), plus the result. The
    caller's phone leaves masked: the hotline holds the full number already."""
    address = f"{r.unit.building.number}-{r.unit.number}" if r.unit else r.place_label
    return [
        r.hotline_case_number,
        _when(r.received_at),
        r.caller_phone_masked,
        address,
        r.category.name,
        r.description,
        _when(r.due_at),
        "是" if r.emergency else "否",
        r.get_state_display(),
        _when(r.first_response_at),
        _when(r.resolved_at),
        r.result,
        r.get_rating_display() if r.rating else "",
    ]


def hotline_export_rows(compound: Compound) -> Iterator[list[object]]:
    for r in hotline_cases(compound).iterator(chunk_size=2000):
        yield hotline_export_row(r)
