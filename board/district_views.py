"""The district's board (issue 12 item 4): every street office of the district with its
figures aggregated over its compounds, a chart of their collection rates, and the XLSX
export; each street office links to its own board, which a district officer reads only.

Scoped by :func:`portal.access.get_district_for_user` (404 for anyone but the district's
officers and superusers); nothing here writes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import get_district_for_user
from portal.typing import AuthenticatedHttpRequest
from portal.xlsx import Sheet, xlsx_response

from . import district_data
from .milestones import STAGE_LABELS, STAGES


@login_required
def district_board(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    district = get_district_for_user(request.user, code)
    today = timezone.localdate()
    offices = district_data.district_rows(district, today)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            f"{district.name}-区看板-{today.isoformat()}.xlsx",
            Sheet(
                title=_("各街道"),
                headers=district_data.office_xlsx_headers(today.year),
                rows=district_data.office_xlsx_rows(offices),
                text_columns=(0,),
            ),
            Sheet(
                title=_("各小区"),
                headers=district_data.compound_xlsx_headers(today.year),
                rows=district_data.compound_xlsx_rows(offices),
                text_columns=(1,),
            ),
        )
    return render(
        request,
        "board/district_board.html",
        {
            "district": district,
            "offices": offices,
            "today": today,
            "year": today.year,
            "stages": [(s, str(STAGE_LABELS[s])) for s in STAGES],
            "totals": {
                "compounds": sum(o.figures.compounds for o in offices),
                "households": sum(o.figures.households for o in offices),
                "open_alerts": sum(o.figures.open_alerts for o in offices),
            },
            "chart": district_data.chart_data(offices),
            "chart_labels": {
                "latest": _("各街道最近一年收缴率"),
                "years": _("各街道历年收缴率（按金额）"),
                "amount": _("按金额"),
                "households": _("按户数"),
                "target": _("目标"),
                "empty": _("尚无计费数据"),
            },
        },
    )
