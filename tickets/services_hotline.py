"""Importing the 12345 hotline's cases and exporting them back with the result.

All or nothing: the file is parsed and every row checked (:mod:`tickets.hotline`) before
anything is written; with any row error nothing is imported and the report lists them
all. Pages and the API queue the import as a :class:`~tickets.models.HotlineImport` job
(:func:`hotline_import_enqueue`) that a Celery task runs (:func:`hotline_import_run`),
with its progress and then its report on the job's page. Duplicate rows of one case
(same number, same content) become one request; a case imported before with the same
content is left as it is, so running a file again imports nothing twice.
"""

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from households.roster.limits import Limits, human_size
from portal.audit import audit_record
from portal.models import Compound
from portal.queue import enqueue

from .hotline import HotlineContext, HotlineFileError, ParsedFile, RowError, parse_file
from .models import (
    STALLED_AFTER,
    Category,
    Channel,
    EventKind,
    HotlineImport,
    ImportStatus,
    Request,
    RequestEvent,
    State,
)
from .services import NewRequest, request_build

logger = logging.getLogger(__name__)


#: Progress writes per import at most (the rows are checked in this many steps).
PROGRESS_STEPS = 20
#: Row errors a refused import keeps in its report.
MAX_KEPT_ERRORS = 1000


@dataclass
class HotlineReport:
    created: int = 0
    merged: int = 0
    already: int = 0
    repaired_rows: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    # A re-run took the job over: this run wrote nothing and reports nothing.
    superseded: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error and not self.superseded

    def as_dict(self) -> dict:
        """The report as a job keeps it (JSON) and the API shows it."""
        return {
            "created": self.created,
            "merged": self.merged,
            "already": self.already,
            "repaired_rows": self.repaired_rows,
            "file_error": self.file_error,
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message}
                for e in self.errors[:MAX_KEPT_ERRORS]
            ],
        }


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


def hotline_import(
    *,
    compound: Compound,
    actor: User | None,
    data: bytes,
    job: HotlineImport | None = None,
    claim: str = "",
) -> HotlineReport:
    """Import the hotline's case file into ``compound``: every case a request with its
    deadline, or nothing at all when any row is bad (the report says which and why).

    The rows are checked first, outside any transaction (``job``'s progress is written as
    they are, so its page sees it); then every case is written in ONE transaction that
    also marks ``job`` done with its report, and only if ``job`` is still held by
    ``claim`` (a re-run that took it over wins, this one writes nothing). A case that
    another import wrote meanwhile makes the whole file fail (the unique case number),
    never a half import."""
    report = HotlineReport()
    context = _context(compound)

    def progress(done: int, total: int) -> None:
        if job is not None:
            HotlineImport.objects.filter(pk=job.pk, claim=claim).update(
                done=done, total=total, heartbeat_at=timezone.now()
            )

    try:
        parsed: ParsedFile = parse_file(data, context, progress, PROGRESS_STEPS)
    except HotlineFileError as exc:
        report.file_error = str(exc)
        return report
    report.errors = parsed.errors
    report.merged = len(parsed.merged)
    report.already = len(parsed.already)
    report.repaired_rows = parsed.repaired
    if parsed.errors:
        return report
    try:
        with transaction.atomic():
            if job is not None and not _finish(job, claim, report, created=len(parsed.rows)):
                report.superseded = True
                return report
            report.created = _write(compound, actor, context, parsed)
            audit_record(
                action="request.hotline_import",
                actor=actor,
                compound=compound,
                obj=job,
                data={
                    "created": report.created,
                    "merged": report.merged,
                    "already": report.already,
                },
            )
    except IntegrityError:
        report.created = 0
        report.file_error = _("有工单刚被另一次导入写入，本次未导入任何工单，请重新导入")
    return report


def _finish(job: HotlineImport, claim: str, report: HotlineReport, *, created: int) -> bool:
    """Mark ``job`` done with its report, if ``claim`` still holds it (first in the write's
    transaction: on PostgreSQL the row lock keeps a second writer waiting until then)."""
    report.created = created
    return bool(
        HotlineImport.objects.filter(pk=job.pk, claim=claim, status=ImportStatus.RUNNING).update(
            status=ImportStatus.DONE,
            done=F("total"),
            report=report.as_dict(),
            finished_at=timezone.now(),
        )
    )


def _write(
    compound: Compound, actor: User | None, context: HotlineContext, parsed: ParsedFile
) -> int:
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
    return len(created)


@transaction.atomic
def hotline_import_enqueue(
    *, compound: Compound, actor: User, data: bytes, filename: str = ""
) -> HotlineImport:
    """Keep the uploaded case file (through the storage API) and queue its import
    (``tickets.tasks.hotline_import_run``) once the transaction commits. An empty or
    oversized file is refused here, before anything is kept."""
    limits = Limits.from_settings()
    if not data:
        raise ValidationError({"file": _("文件是空的")})
    if len(data) > limits.upload_bytes:
        raise ValidationError(
            {"file": _("文件过大：上限为 %(size)s") % {"size": human_size(limits.upload_bytes)}}
        )
    job = HotlineImport(
        compound=compound,
        filename=filename[:200],
        status=ImportStatus.QUEUED,
        requested_by=actor,
        created_at=timezone.now(),
    )
    job.upload.save(f"{compound.pk}/{secrets.token_hex(16)}.bin", ContentFile(data), save=False)
    job.save()
    audit_record(
        action="request.hotline_import_queued",
        actor=actor,
        compound=compound,
        obj=job,
        data={"file": filename[:200], "size": len(data)},
    )
    enqueue("tickets.tasks.hotline_import_run", job.pk)
    return job


@transaction.atomic
def hotline_import_rerun(*, job: HotlineImport, actor: User) -> bool:
    """重新运行: queue a stalled job again (its worker died: :meth:`HotlineImport.is_stalled`).
    Safe: nothing of it was written (the write and "done" commit together), and a case
    that did get in meanwhile is recognised by its number. False if it is not stalled."""
    now = timezone.now()
    locked = HotlineImport.objects.select_for_update(of=("self",)).get(pk=job.pk)
    if not locked.is_stalled(now) or not locked.upload:
        return False
    HotlineImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.QUEUED, claim="", heartbeat_at=None, done=0
    )
    audit_record(action="request.hotline_import_rerun", actor=actor, compound=job.compound, obj=job)
    enqueue("tickets.tasks.hotline_import_run", job.pk)
    return True


def hotline_import_run(import_id: int, *, claim: str) -> str:
    """The task's body: claim the job (queued; or running under this same task id, which a
    redelivered message after a worker's death carries; or running with a stale
    heartbeat), read its file and import it. A refused file keeps its row report and
    writes nothing. The upload is deleted once the job is finished."""
    now = timezone.now()
    claimable = (
        Q(status=ImportStatus.QUEUED)
        | Q(status=ImportStatus.RUNNING, claim=claim)
        | Q(status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALLED_AFTER)
    )
    claimed = (
        HotlineImport.objects.filter(claimable, pk=import_id)
        .exclude(upload="")
        .update(status=ImportStatus.RUNNING, claim=claim, heartbeat_at=now, done=0)
    )
    if not claimed:
        return "skipped"
    job = HotlineImport.objects.select_related("compound", "requested_by").get(pk=import_id)
    try:
        with job.upload.open("rb") as stream:
            data = stream.read()
        report = hotline_import(
            compound=job.compound, actor=job.requested_by, data=data, job=job, claim=claim
        )
    except Exception:
        logger.exception("hotline import %s failed", import_id)
        report = HotlineReport(file_error=_("导入失败，请稍后重新导入"))
    if report.superseded:
        return "superseded"
    if not report.ok:
        finished = HotlineImport.objects.filter(
            pk=import_id, claim=claim, status=ImportStatus.RUNNING
        ).update(status=ImportStatus.FAILED, report=report.as_dict(), finished_at=timezone.now())
        if not finished:
            return "superseded"
        audit_record(
            action="request.hotline_import_rejected",
            actor=job.requested_by,
            compound=job.compound,
            obj=job,
            data={"errors": len(report.errors), "file_error": bool(report.file_error)},
        )
    job.upload.delete(save=False)
    HotlineImport.objects.filter(pk=import_id).update(upload="")
    return "done" if report.ok else "failed"


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
