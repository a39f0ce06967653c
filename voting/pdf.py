"""The tally report (计票结果报告): a Chinese PDF rendered by WeasyPrint in a Celery task."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.audit import audit_record

from . import charts, selectors
from .models import Decision, DecisionState, ReportStatus


class ReportBusy(Exception):
    """Another worker holds the report (or it is not requested)."""


@transaction.atomic
def tally_report_request(*, decision: Decision, actor) -> Decision:
    """Queue the report; the page shows its progress."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
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
    from .tasks import render_tally_report

    transaction.on_commit(lambda: render_tally_report.delay(decision.pk))
    return decision


def _progress(decision_id: int, percent: int) -> None:
    Decision.objects.filter(pk=decision_id).update(report_progress=percent)


@dataclass
class TurnoutSection:
    """The turnout per building of the items sharing one scope, over their roll only."""

    scope_label: str  # "" for the whole compound
    items: list
    rows: list[selectors.BuildingTurnout]
    charts: list[charts.Chart]


def turnout_sections(
    decision: Decision, tallies: list[selectors.ItemTally]
) -> list[TurnoutSection]:
    """One section per distinct item scope, in item order: a building-scoped item's turnout
    never shows the buildings (or flats) outside its scope."""
    groups: dict[tuple[int, ...] | None, list[selectors.ItemTally]] = {}
    for t in tallies:
        scope = selectors.item_scope(t.item)
        groups.setdefault(None if scope is None else tuple(sorted(scope)), []).append(t)
    sections = []
    for group in groups.values():
        items = [t.item for t in group]
        rows = selectors.turnout_by_building(decision, selectors.turnout_scope(decision, *items))
        sections.append(
            TurnoutSection(group[0].scope_label, items, rows, charts.turnout_charts(rows))
        )
    return sections


def report_context(decision: Decision) -> dict:
    tallies = selectors.decision_tally(decision)
    return {
        "decision": decision,
        "compound": decision.compound,
        "tallies": tallies,
        "turnout_sections": turnout_sections(decision, tallies),
        "ballot_sha256": selectors.ballot_set_sha256(decision),
        "state_changes": decision.state_changes.select_related("actor"),
        "generated_at": timezone.now(),
    }


def tally_report_html(decision: Decision) -> str:
    with translation.override("zh-hans"):
        return render_to_string("voting/report.html", report_context(decision))


def tally_report_render(*, decision_id: int) -> str:
    """Claim the pending report (compare-and-set), render it, store it. Returns the name."""
    from weasyprint import HTML

    claimed = Decision.objects.filter(
        pk=decision_id, report_status__in=[ReportStatus.PENDING, ReportStatus.RUNNING]
    ).update(report_status=ReportStatus.RUNNING, report_progress=10)
    if not claimed:
        raise ReportBusy
    decision = Decision.objects.select_related("compound").get(pk=decision_id)
    html = tally_report_html(decision)
    _progress(decision_id, 40)
    pdf = HTML(string=html, base_url=None).write_pdf()
    _progress(decision_id, 90)
    name = f"tally-{decision.compound.code}-{decision.pk}.pdf"
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision_id)
        if decision.report_file:
            decision.report_file.delete(save=False)
        decision.report_file.save(name, ContentFile(pdf), save=False)
        decision.report_status = ReportStatus.DONE
        decision.report_progress = 100
        decision.save(update_fields=["report_file", "report_status", "report_progress"])
        audit_record(
            action="voting.report.render",
            compound=decision.compound,
            obj=decision,
            data={"file": decision.report_file.name, "bytes": len(pdf)},
        )
    return decision.report_file.name


def tally_report_failed(*, decision_id: int) -> None:
    Decision.objects.filter(pk=decision_id).update(report_status=ReportStatus.FAILED)
