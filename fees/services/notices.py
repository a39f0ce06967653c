"""Fee notices (缴费通知单): one print job per building, rendered exactly once per claim.

The machinery (chunks in parts joined per building, claims, leases, heartbeats, requeues,
progress) is households.printing's; this module says what a notice print job is: a
billing run's charges per building, rendered by ``fees.pdf.render_notices``, counted in
``BillingRun.notices_done`` and finished in ``BillingRun.notice_status``.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, QuerySet

from households.printing import (
    BuildingPrint,
    PrintJobState,
    PrintSettings,
    RenderedPart,
)
from portal.audit import audit_record
from portal.models import Compound

from ..models import BillingRun
from ._common import _actor

if TYPE_CHECKING:
    from ..models import NoticeChunk

#: The task that renders one chunk (queued by name: tasks import services, not the reverse).
RENDER_TASK = "fees.tasks.render_notice_chunk"

#: What the run page shows of a print job (households.printing.PrintJobState).
NoticeJobState = PrintJobState


def _render_notice_part(chunk: "NoticeChunk", claim: str) -> RenderedPart:
    """One part: its households' notices as one PDF (the building's print file if the
    building has one part).

    Households that owe nothing get no page (``Notice.needs_sending``); they still count
    as handled in the run's progress, and the chunk's ``notices`` is the pages printed.
    A part (or building) where everyone has paid gets no file at all."""
    from .. import pdf, selectors

    run, compound = chunk.run, chunk.run.compound
    charges = selectors.notice_charges(compound, run, chunk.building_id)
    if chunk.size is not None:
        charges = charges[chunk.offset : chunk.offset + chunk.size]
    handled = selectors.build_notices(compound, charges)
    notices = [n for n in handled if n.needs_sending]
    content = pdf.render_notices(compound, notices) if notices else None
    return RenderedPart(pdf=content, handled=len(handled), printed=len(notices))


def _notice_dir(chunk: "NoticeChunk") -> str:
    return f"fees/notices/{chunk.run.compound.code}/run-{chunk.run_id}"


@cache
def notice_print() -> BuildingPrint:
    """The notice print job (built on first use: the model is loaded by then)."""
    from ..models import NoticeChunk, NoticeStatus

    return BuildingPrint(
        name="notice",
        chunk_model=NoticeChunk,
        job_model=BillingRun,
        job_field="run",
        count_field="notices",
        done_field="notices_done",
        status_field="notice_status",
        running=NoticeStatus.RUNNING,
        done=NoticeStatus.DONE,
        task=RENDER_TASK,
        render_part=_render_notice_part,
        file_dir=_notice_dir,
        settings=PrintSettings(
            part_size="FEES_NOTICE_PART_SIZE",
            lease_seconds="FEES_NOTICE_LEASE_SECONDS",
            heartbeat_seconds="FEES_NOTICE_HEARTBEAT_SECONDS",
            delay_for_tests="FEES_CHUNK_DELAY_FOR_TESTS",
        ),
    )


def notice_claim_lease() -> dt.timedelta:
    """A claimed chunk whose worker showed no sign of life (no heartbeat) for this long
    is stalled: its worker died, and another task may take it over."""
    return notice_print().lease()


@transaction.atomic
def notices_start(*, compound: Compound, run: BillingRun, actor: User | None = None) -> bool:
    """Prepare the print job of ``run`` (False if already running): per building, parts of
    at most FEES_NOTICE_PART_SIZE households and, for a building of several parts, the
    step that joins them into its print file (see ``households.printing``).

    The caller then queues the chunks with :func:`notice_chunks_enqueue`, which also
    continues a job whose tasks were lost.
    """
    from ..models import NoticeStatus

    total = run.charges.count()
    started = (
        BillingRun.objects.filter(pk=run.pk, compound=compound)
        .exclude(notice_status=NoticeStatus.RUNNING)
        .update(notice_status=NoticeStatus.RUNNING, notices_total=total, notices_done=0)
    )
    if not started:
        return False
    households = (
        run.charges.values("building_id")
        .annotate(n=Count("id"))
        .order_by("building_id")
        .values_list("building_id", "n")
    )
    notice_print().plan(compound=compound, job=run, households=households)
    if total == 0:
        BillingRun.objects.filter(pk=run.pk).update(notice_status=NoticeStatus.DONE)
    audit_record(
        action="fees.notices_start",
        actor=_actor(actor),
        compound=compound,
        obj=run,
        data={"notices": total},
    )
    return True


def notice_chunk_render(*, chunk_id: int, claim: str) -> bool:
    """Render one part of a building's notices into one stored PDF (or join a building's
    parts into its print file), exactly once (``BuildingPrint.render``)."""
    return notice_print().render(chunk_id=chunk_id, claim=claim)


def notice_chunk_heartbeat(*, chunk_id: int, claim: str) -> bool:
    """Renew ``claim``'s lease on its chunk; False once the claim is lost."""
    return notice_print().heartbeat(chunk_id=chunk_id, claim=claim)


@contextmanager
def claim_kept_alive(*, chunk_id: int, claim: str) -> Iterator[None]:
    """Beat every FEES_NOTICE_HEARTBEAT_SECONDS while the block runs."""
    with notice_print().claim_kept_alive(chunk_id=chunk_id, claim=claim):
        yield


def notice_chunks_to_queue(
    *, run_id: int, now: dt.datetime | None = None, include_pending: bool = True
) -> QuerySet:
    """Chunks whose task may be lost (``BuildingPrint.to_queue``)."""
    return notice_print().to_queue(job_id=run_id, now=now, include_pending=include_pending)


def notice_chunks_enqueue(*, run_id: int, include_pending: bool = True) -> int:
    """Queue (after the commit) a render task for every chunk of the run whose task may be
    lost (:func:`notice_chunks_to_queue`); how many. A chunk queued twice is still
    rendered once: the claim decides."""
    return notice_chunks_requeue(run_id=run_id, include_pending=include_pending)[0]


def notice_chunks_requeue(*, run_id: int, include_pending: bool = True) -> tuple[int, int]:
    """:func:`notice_chunks_enqueue`, saying how many chunks and how many buildings."""
    return notice_print().requeue(job_id=run_id, include_pending=include_pending)


def notice_chunks_requeue_stalled() -> int:
    """Queue again the chunks of running print jobs whose worker died (the beat task)."""
    return notice_print().requeue_stalled()


def notice_job_state(*, run: BillingRun, now: dt.datetime | None = None) -> PrintJobState:
    return notice_print().job_state(job_id=run.pk, now=now)
