"""Contribution notices (业主出资通知单): one page per unit of a project's owners' line, printed
as building print files by households.printing, the machinery of the fee notices and the
activation letters (Celery, progress bar, restart-safe, one PDF per building with large
buildings printed in parts and joined).

A job covers the chosen buildings (all buildings with contributions by default) and keeps
them in ``building_ids`` (empty: the whole scope), so a failed job started again prints
exactly those buildings. A part is the building's contributions in unit order from
``offset`` (``size`` of them, or all for a building of one part); each notice shows the
figures at the time it is printed.
"""

from functools import cache
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from households.masking import mask_name
from households.models import Building, Ownership
from households.printing import BuildingPrint, PrintSettings, RenderedPart
from portal.audit import audit_record
from portal.models import Compound

from ..models import (
    Contribution,
    ContributionNoticeChunk,
    ContributionNoticeJob,
    NoticeJobStatus,
    Project,
)
from ..pdf import ContributionNotice, render_contribution_notices
from ._inputs import acting
from .receipts import RECEIVING

#: The task that renders one chunk of notices (queued by name: tasks import services).
RENDER_TASK = "works.tasks.render_contribution_notice_chunk"


def notice_buildings(project: Project) -> list[tuple[Building, int]]:
    """The buildings with contributions in ``project``'s owners' line and how many units
    each, in building order (two queries)."""
    counts = dict(
        Contribution.objects.filter(compound_id=project.compound_id, project=project)
        .values("building_id")
        .annotate(n=Count("id"))
        .values_list("building_id", "n")
    )
    buildings = Building.objects.filter(compound_id=project.compound_id, pk__in=list(counts))
    return [(b, counts[b.pk]) for b in buildings.order_by("sort_key", "number")]


def notice_buildings_chosen(project: Project, numbers: Any) -> list[tuple[Building, int]]:
    """The buildings named by ``numbers`` (building numbers as on the register; empty or
    None: all of them) among those with contributions, or a ValidationError naming the
    ones that have none (a building outside the scope, or of another compound)."""
    available = notice_buildings(project)
    if not available:
        raise ValidationError({"buildings": _("本工程没有业主自筹的分摊，不需要出资通知单")})
    if not numbers:
        return available
    if not isinstance(numbers, list | tuple) or not all(
        isinstance(n, str) and 0 < len(n) <= 20 for n in numbers
    ):
        raise ValidationError({"buildings": _('请以列表给出楼号，例如 ["16"]')})
    by_number = {b.number: (b, n) for b, n in available}
    wanted = list(dict.fromkeys(n.strip() for n in numbers))
    unknown = [n for n in wanted if n not in by_number]
    if unknown:
        raise ValidationError(
            {
                "buildings": _("这些楼栋没有本工程的业主出资：%(numbers)s")
                % {"numbers": "、".join(unknown[:20])}
            }
        )
    return [by_number[b.number] for b, _n in available if b.number in wanted]


@transaction.atomic
def contribution_notices_start(
    *,
    compound: Compound,
    project: Project,
    buildings: list[tuple[Building, int]],
    actor: User | AnonymousUser | None = None,
) -> ContributionNoticeJob:
    """Start printing the contribution notices of ``buildings`` (with their unit counts,
    from :func:`notice_buildings_chosen`) of ``project``: plan the building print files
    and queue them after the commit (rendered before this returns in the embedded mode)."""
    if project.compound_id != compound.pk:
        raise ValidationError({"project": _("本小区没有这个工程")})
    if project.status not in RECEIVING:
        raise ValidationError(
            {
                "project": _("工程状态为“%(status)s”，不能发出资通知单（须已批准且尚未结算）")
                % {"status": project.get_status_display()}
            }
        )
    if not buildings or any(b.compound_id != compound.pk for b, _n in buildings):
        raise ValidationError({"buildings": _("请至少选择一个有业主出资的楼栋")})
    total = sum(n for _b, n in buildings)
    chosen = [b.pk for b, _n in buildings]
    whole_scope = set(chosen) == {b.pk for b, _n in notice_buildings(project)}
    job = ContributionNoticeJob.objects.create(
        compound=compound,
        project=project,
        status=NoticeJobStatus.QUEUED,
        total=total,
        building_ids=[] if whole_scope else chosen,
        requested_by=acting(actor),
        created_at=timezone.now(),
    )
    notice_print().plan(compound=compound, job=job, households=[(b.pk, n) for b, n in buildings])
    audit_record(
        action="works.contribution_notices_start",
        actor=acting(actor),
        compound=compound,
        obj=job,
        data={
            "project": project.pk,
            "buildings": [b.number for b, _n in buildings],
            "whole_scope": whole_scope,
            "notices": total,
        },
    )
    notice_print().requeue(job_id=job.pk)
    return job


def notice_job_buildings(job: ContributionNoticeJob) -> list[tuple[Building, int]]:
    """The buildings ``job`` was asked for (``building_ids``; empty: every building with
    contributions) that still have contributions, with their unit counts, in building
    order."""
    available = notice_buildings(job.project)
    if not job.building_ids:
        return available
    wanted = set(job.building_ids)
    return [(b, n) for b, n in available if b.pk in wanted]


@transaction.atomic
def contribution_notices_restart(
    *, job: ContributionNoticeJob, actor: User | AnonymousUser | None = None
) -> ContributionNoticeJob:
    """Start a failed job again (重新生成): plan its buildings anew (exactly those it was
    asked for, :func:`notice_job_buildings`), drop its old files, and queue them. Only a
    failed job restarts; a job still printing continues with
    :func:`notice_chunks_requeue`."""
    locked = ContributionNoticeJob.objects.select_for_update(of=("self",)).get(pk=job.pk)
    if locked.status != NoticeJobStatus.FAILED:
        raise ValidationError({"job": _("只有失败的打印任务可以重新生成")})
    project = job.project
    if project.status not in RECEIVING:
        raise ValidationError(
            {
                "project": _("工程状态为“%(status)s”，不能发出资通知单（须已批准且尚未结算）")
                % {"status": project.get_status_display()}
            }
        )
    buildings = notice_job_buildings(job)
    if not buildings:
        raise ValidationError({"buildings": _("所选楼栋已没有本工程的业主出资，请重新选择楼栋")})
    total = sum(n for _b, n in buildings)
    ContributionNoticeJob.objects.filter(pk=job.pk).update(
        status=NoticeJobStatus.QUEUED, done=0, total=total
    )
    notice_print().plan(
        compound=job.compound, job=locked, households=[(b.pk, n) for b, n in buildings]
    )
    audit_record(
        action="works.contribution_notices_restart",
        actor=acting(actor),
        compound=job.compound,
        obj=locked,
        data={"project": project.pk, "buildings": [b.number for b, _n in buildings]},
    )
    notice_print().requeue(job_id=job.pk)
    locked.refresh_from_db()
    return locked


def notice_chunk_render(*, chunk_id: int, claim: str) -> bool:
    """Render one part of a building's notices or join its parts, exactly once per claim
    (households.printing.BuildingPrint.render)."""
    return notice_print().render(chunk_id=chunk_id, claim=claim)


def notice_job_fail(*, chunk_id: int) -> None:
    """The task gave up on a chunk (its retries ran out): the job is failed; printing again
    starts a new job."""
    ContributionNoticeJob.objects.filter(
        chunks__pk=chunk_id, status__in=[NoticeJobStatus.QUEUED, NoticeJobStatus.RUNNING]
    ).update(status=NoticeJobStatus.FAILED)


def notice_chunks_requeue(*, job: ContributionNoticeJob) -> tuple[int, int]:
    """Queue again the chunks of ``job`` whose task may be lost ("continue")."""
    return notice_print().requeue(job_id=job.pk)


def notice_chunks_requeue_stalled() -> int:
    """The beat's re-queue of stalled contribution-notice chunks."""
    return notice_print().requeue_stalled()


def notice_reference(project: Project, building_number: str, unit_number: str) -> str:
    """The remark a payer writes on a transfer, so the money finds its unit:
    ``GC<project>-<building>-<unit>``."""
    return f"GC{project.pk}-{building_number}-{unit_number}"


def _notices(chunk: ContributionNoticeChunk) -> list[ContributionNotice]:
    job = chunk.job
    rows = (
        Contribution.objects.filter(
            compound_id=job.compound_id, project_id=job.project_id, building_id=chunk.building_id
        )
        .select_related("unit__building")
        .prefetch_related(
            Prefetch(
                "unit__ownerships",
                queryset=Ownership.objects.current().select_related("owner"),
                to_attr="current_ownerships",
            )
        )
        .order_by("unit__number", "id")
    )
    if chunk.size is not None:
        rows = rows[chunk.offset : chunk.offset + chunk.size]
    return [
        ContributionNotice(
            unit_label=row.unit.label,
            owners="、".join(
                mask_name(o.owner.name)
                for o in row.unit.current_ownerships  # type: ignore[attr-defined]
            )
            or "—",
            area=row.area,
            share=row.share,
            paid=row.paid,
            reference=notice_reference(job.project, row.unit.building.number, row.unit.number),
        )
        for row in rows
    ]


def _render_notice_part(chunk: ContributionNoticeChunk, claim: str) -> RenderedPart:
    """One part: its units' notices as one PDF (the building's file if it has one part)."""
    ContributionNoticeJob.objects.filter(pk=chunk.job_id, status=NoticeJobStatus.QUEUED).update(
        status=NoticeJobStatus.RUNNING
    )
    notices = _notices(chunk)
    content = render_contribution_notices(chunk.job.project, notices) if notices else None
    return RenderedPart(pdf=content, handled=len(notices), printed=len(notices))


def _notice_dir(chunk: ContributionNoticeChunk) -> str:
    return f"works/notices/{chunk.job.compound.code}/job-{chunk.job_id}"


@cache
def notice_print() -> BuildingPrint:
    """The contribution notices' print job (households.printing)."""
    return BuildingPrint(
        name="works-notice",
        chunk_model=ContributionNoticeChunk,
        job_model=ContributionNoticeJob,
        job_field="job",
        count_field="notices",
        done_field="done",
        status_field="status",
        running=NoticeJobStatus.RUNNING,
        done=NoticeJobStatus.DONE,
        task=RENDER_TASK,
        render_part=_render_notice_part,
        file_dir=_notice_dir,
        settings=PrintSettings(),
        waiting=(NoticeJobStatus.QUEUED,),
    )
