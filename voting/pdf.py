"""The tally report (计票结果报告): a Chinese PDF of what :func:`voting.selectors.tally_report`
gathered. Renders only (no query); WeasyPrint is reached through :mod:`portal.pdf`."""

from django.template.loader import render_to_string
from django.utils import translation

from portal.pdf import html_to_pdf

from . import charts
from .selectors import TallyReport


def tally_report_html(report: TallyReport) -> str:
    sections = [
        {"section": section, "charts": charts.turnout_charts(section.rows)}
        for section in report.turnout_sections
    ]
    with translation.override("zh-hans"):
        return render_to_string(
            "voting/report.html",
            {
                "decision": report.decision,
                "compound": report.decision.compound,
                "tallies": report.tally.items,
                "turnout_sections": sections,
                "ballot_sha256": report.decision.ballot_set_sha256,
                "procedure": report.procedure,
                "generated_at": report.generated_at,
            },
        )


def tally_report_pdf(report: TallyReport) -> bytes:
    return html_to_pdf(tally_report_html(report))
