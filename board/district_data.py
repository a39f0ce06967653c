"""Reads of the district board (issue 12 item 4): every street office of a district with
its compounds' board rows and figures aggregated per street office (compounds, households,
collection this year and last, compounds by stage, alerts, agreements and subsidies
running out), and the chart's series.

A fixed number of queries whatever the number of street offices and compounds: the
offices, their compounds, their households, their collection targets, the unresolved
alerts, and the compounds' facts (:func:`board.milestones.load_facts`). Nothing of an
owner is read: the figures are counts and sums."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from households.models import Unit
from portal.models import Compound, District, StreetOffice

from .board_data import BoardRow, unresolved_alerts, xlsx_headers, xlsx_rows
from .milestones import (
    EXPIRY_WARNING_DAYS,
    STAGE_LABELS,
    STAGES,
    SUBSIDY_WARNING_MONTHS,
    YearCollection,
    add_months,
    compounds_progress,
)
from .models import DEFAULT_COLLECTION_TARGET, BoardSettings


def _year_total(year: int, parts: Iterable[YearCollection | None]) -> YearCollection | None:
    """The collection of ``year`` summed over compounds (None when none was billed)."""
    billed = [p for p in parts if p is not None]
    if not billed:
        return None
    return YearCollection(
        year=year,
        households=sum(p.households for p in billed),
        paid_households=sum(p.paid_households for p in billed),
        owner_due=sum((p.owner_due for p in billed), Decimal("0.00")),
        collected=sum((p.collected for p in billed), Decimal("0.00")),
    )


@dataclass
class OfficeFigures:
    """One street office's figures, summed over its compounds."""

    compounds: int
    households: int
    target: Decimal
    this_year: YearCollection | None
    last_year: YearCollection | None
    by_year: dict[int, YearCollection]
    stages: dict[str, int]
    open_alerts: int
    unresolved_alerts: int
    below_target: int  # compounds whose latest year billed collected less than the target
    agreements_expiring: int  # term ends within 90 days
    agreements_expired: int
    subsidies_ending: int  # subsidy ends within 6 months
    subsidies_ended: int
    subsidy_months_left: int | None  # the soonest end among compounds still subsidised

    @property
    def latest(self) -> YearCollection | None:
        return self.by_year[max(self.by_year)] if self.by_year else None

    @property
    def stages_reached(self) -> list[tuple[str, str, int]]:
        """(stage, label, compounds) of the stages some compound is at, in the case's order."""
        return [(s, str(STAGE_LABELS[s]), n) for s, n in self.stages.items() if n]


@dataclass
class OfficeRow:
    office: StreetOffice
    figures: OfficeFigures
    rows: list[BoardRow] = field(default_factory=list)


def office_figures(
    rows: Sequence[BoardRow], households: int, target: Decimal, today: dt.date
) -> OfficeFigures:
    """The figures of one street office from its compounds' board rows."""
    years = sorted({y for r in rows for y in r.progress.facts.collection})
    by_year = {
        y: total
        for y in years
        if (total := _year_total(y, (r.progress.collection(y) for r in rows))) is not None
    }
    stages = Counter(r.progress.stage for r in rows)
    expiring = ended = subsidy_ending = subsidy_ended = below = 0
    months_left: list[int] = []
    soon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    subsidy_soon = add_months(today, SUBSIDY_WARNING_MONTHS)
    for r in rows:
        p = r.progress
        agreement = p.facts.agreement
        if agreement is not None and agreement.term_end:
            if agreement.term_end < today:
                ended += 1
            elif agreement.term_end <= soon:
                expiring += 1
        if p.subsidy_end is not None:
            if p.subsidy_end < today:
                subsidy_ended += 1
            else:
                if p.subsidy_end <= subsidy_soon:
                    subsidy_ending += 1
                if p.subsidy_months_left is not None:
                    months_left.append(p.subsidy_months_left)
        latest = p.latest_collection
        if latest is not None and latest.rate_amount < p.facts.target:
            below += 1
    return OfficeFigures(
        compounds=len(rows),
        households=households,
        target=target,
        this_year=by_year.get(today.year),
        last_year=by_year.get(today.year - 1),
        by_year=by_year,
        stages={s: stages.get(s, 0) for s in STAGES},
        open_alerts=sum(len(r.open_alerts) for r in rows),
        unresolved_alerts=sum(len(r.alerts) for r in rows),
        below_target=below,
        agreements_expiring=expiring,
        agreements_expired=ended,
        subsidies_ending=subsidy_ending,
        subsidies_ended=subsidy_ended,
        subsidy_months_left=min(months_left) if months_left else None,
    )


def district_rows(district: District, today: dt.date) -> list[OfficeRow]:
    """Every street office of ``district`` (by name) with its board rows and figures."""
    offices = list(district.street_offices.order_by("name", "id"))
    if not offices:
        return []
    compounds = list(
        Compound.objects.filter(street_office__in=offices)
        .select_related("street_office", "service_company")
        .order_by("name", "id")
    )
    households = dict(
        Unit.objects.filter(compound__street_office__in=offices)
        .values("compound__street_office_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("compound__street_office_id", "n")
    )
    targets = dict(
        BoardSettings.objects.filter(street_office__in=offices).values_list(
            "street_office_id", "collection_target"
        )
    )
    alerts = unresolved_alerts(c.pk for c in compounds) if compounds else {}
    by_office: dict[int, list[BoardRow]] = {o.pk: [] for o in offices}
    for p in compounds_progress(compounds, today):
        by_office[p.compound.street_office_id].append(
            BoardRow(progress=p, alerts=alerts.get(p.compound.pk, []), year=today.year)
        )
    return [
        OfficeRow(
            office=o,
            rows=by_office[o.pk],
            figures=office_figures(
                by_office[o.pk],
                households.get(o.pk, 0),
                targets.get(o.pk, DEFAULT_COLLECTION_TARGET),
                today,
            ),
        )
        for o in offices
    ]


def chart_data(offices: Sequence[OfficeRow]) -> dict[str, Any]:
    """The same shape as :func:`board.board_data.chart_data` (so ``board_chart.js`` draws
    it), one bar and one line per street office instead of per compound."""
    years = sorted({y for o in offices for y in o.figures.by_year})
    latest = []
    for o in offices:
        c = o.figures.latest
        latest.append(
            {
                "name": o.office.name,
                "year": c.year if c else None,
                "rate_amount": float(c.rate_amount) if c else None,
                "rate_households": float(c.rate_households) if c else None,
            }
        )
    series = [
        {
            "name": o.office.name,
            "data": [
                float(o.figures.by_year[y].rate_amount) if y in o.figures.by_year else None
                for y in years
            ],
        }
        for o in offices
        if o.figures.by_year
    ]
    targets = {o.figures.target for o in offices}
    target = float(targets.pop()) if len(targets) == 1 else float(DEFAULT_COLLECTION_TARGET)
    return {"latest": latest, "years": years, "series": series, "target": target}


def _rates(c: YearCollection | None) -> list[object]:
    return [c.rate_households, c.rate_amount] if c else [None, None]


def office_xlsx_headers(year: int) -> list[str]:
    return [
        _("街道代码"),
        _("街道"),
        _("小区数"),
        _("户数"),
        _("{year}年收缴率（户数%）").format(year=year),
        _("{year}年收缴率（金额%）").format(year=year),
        _("{year}年收缴率（户数%）").format(year=year - 1),
        _("{year}年收缴率（金额%）").format(year=year - 1),
        _("{year}年应收（元）").format(year=year),
        _("{year}年实收（元）").format(year=year),
        _("收缴率目标%"),
        _("低于目标的小区"),
        *(str(STAGE_LABELS[s]) for s in STAGES),
        _("待处理提醒"),
        _("未解除提醒"),
        _("协议90天内到期"),
        _("协议已到期"),
        _("补贴6个月内到期"),
        _("补贴已到期"),
        _("补贴最少剩余月数"),
    ]


def office_xlsx_rows(offices: Sequence[OfficeRow]) -> list[list[object]]:
    out: list[list[object]] = []
    for o in offices:
        f = o.figures
        out.append(
            [
                o.office.code,
                o.office.name,
                f.compounds,
                f.households,
                *_rates(f.this_year),
                *_rates(f.last_year),
                f.this_year.owner_due if f.this_year else None,
                f.this_year.collected if f.this_year else None,
                f.target,
                f.below_target,
                *(f.stages[s] for s in STAGES),
                f.open_alerts,
                f.unresolved_alerts,
                f.agreements_expiring,
                f.agreements_expired,
                f.subsidies_ending,
                f.subsidies_ended,
                f.subsidy_months_left,
            ]
        )
    return out


def compound_xlsx_headers(year: int) -> list[str]:
    """The street office's board columns with the street office in front."""
    return [_("街道"), *xlsx_headers(year)]


def compound_xlsx_rows(offices: Sequence[OfficeRow]) -> list[list[object]]:
    return [[o.office.name, *row] for o in offices for row in xlsx_rows(o.rows)]
