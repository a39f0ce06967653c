"""The tally report's life: requested on a page, rendered by a task, stored on the decision.

The request queues ``voting.tasks.render_tally_report`` by name (:mod:`portal.queue`), the
task calls :func:`tally_report_render`, which claims the request (compare-and-set), renders
what the selector gathered and stores the file."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.queue import enqueue

from .. import pdf, selectors
from ..models import Decision, DecisionState, ReportStatus


class ReportBusy(Exception):
    """Another worker holds the report (or it is not requested)."""


@transaction.atomic
def tally_report_request(*, decision: Decision, actor: User | None) -> Decision:
    """Queue the report; the page shows its progress."""
    decision = Decision.objects.select_for_update(of=("self",)).get(pk=decision.pk)
    if decision.state not in (DecisionState.COUNTED, DecisionState.PUBLISHED):
        raise ValidationError(_("计票完成后才能生成计票结果报告"))
    if decision.report_status in (ReportStatus.PENDING, ReportStatus.RUNNING):
        raise ValidationError(_("报告正在生成中，请稍候"))
    decision.report_status = ReportStatus.PENDING
    decision.report_progress = 0
    decision.save(update_fields=["report_status", "report_progress"])
    audit_record(
        action="voting.report.request", actor=actor, compound=decision.compound, obj=decision
    )
    enqueue("voting.tasks.render_tally_report", decision.pk)
    return decision


def _progress(decision_id: int, percent: int) -> None:
    Decision.objects.filter(pk=decision_id).update(report_progress=percent)


def tally_report_render(*, decision_id: int) -> str:
    """Claim the pending report (compare-and-set), render it, store it. Returns the name."""
    claimed = Decision.objects.filter(
        pk=decision_id, report_status__in=[ReportStatus.PENDING, ReportStatus.RUNNING]
    ).update(report_status=ReportStatus.RUNNING, report_progress=10)
    if not claimed:
        raise ReportBusy
    decision = Decision.objects.select_related("compound").get(pk=decision_id)
    report = selectors.tally_report(decision)
    _progress(decision_id, 40)
    document = pdf.tally_report_pdf(report)
    _progress(decision_id, 90)
    name = f"tally-{decision.compound.code}-{decision.pk}.pdf"
    with transaction.atomic():
        decision = Decision.objects.select_for_update(of=("self",)).get(pk=decision_id)
        if decision.report_file:
            decision.report_file.delete(save=False)
        decision.report_file.save(name, ContentFile(document), save=False)
        decision.report_status = ReportStatus.DONE
        decision.report_progress = 100
        decision.save(update_fields=["report_file", "report_status", "report_progress"])
        audit_record(
            action="voting.report.render",
            compound=decision.compound,
            obj=decision,
            data={"file": decision.report_file.name, "bytes": len(document)},
        )
    return decision.report_file.name or name


def tally_report_failed(*, decision_id: int) -> None:
    Decision.objects.filter(pk=decision_id).update(report_status=ReportStatus.FAILED)
