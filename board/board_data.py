"""Reads of the street-office board: one row per compound (stage, next deadline, collection
this year and last, turnout, agreement, subsidy, open alerts), filtered and sorted, and
the chart's series. A fixed number of queries whatever the number of compounds: the
facts (:func:`board.milestones.load_facts`) plus one for the compounds and one for the
alerts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portal.models import Compound, StreetOffice

from .alerts import alert_message
from .milestones import STAGE_LABELS, STAGES, Progress, YearCollection, compounds_progress
from .models import Alert, AlertState

SORTS = (
    "name",
    "stage",
    "deadline",
    "rate",
    "rate_last",
    "rate_latest",
    "turnout",
    "subsidy",
    "alerts",
)


@dataclass
class BoardRow:
    progress: Progress
    alerts: list[Alert] = field(default_factory=list)
    year: int = 0

    @property
    def compound(self) -> Compound:
        return self.progress.compound

    @property
    def this_year(self) -> YearCollection | None:
        return self.progress.collection(self.year)

    @property
    def last_year(self) -> YearCollection | None:
        return self.progress.collection(self.year - 1)

    @property
    def open_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.state == AlertState.OPEN]

    @property
    def turnout(self) -> Decimal | None:
        d = self.progress.last_decision
        return d.turnout if d else None

    @property
    def agreement_status(self) -> str:
        """As of the board's day: an agreement past its term shows expired, with the date."""
        return self.progress.agreement_status


def unresolved_alerts(compound_ids: Iterable[int]) -> dict[int, list[Alert]]:
    """Open and acknowledged alerts by compound (one query)."""
    by_compound: dict[int, list[Alert]] = defaultdict(list)
    for a in (
        Alert.objects.filter(compound_id__in=list(compound_ids))
        .exclude(state=AlertState.RESOLVED)
        .order_by("compound_id", "due", "id")
    ):
        a.message = alert_message(a.kind, a.params, a.due)  # type: ignore[attr-defined]
        by_compound[a.compound_id].append(a)
    return by_compound


def compound_alerts(
    compounds: QuerySet[Compound] | Sequence[Compound],
    kinds: Iterable[str],
    *,
    open_only: bool = False,
    limit: int | None = None,
) -> list[Alert]:
    """Unresolved alerts of ``kinds`` for ``compounds`` (one query), open ones first, then
    soonest due; at most ``limit``."""
    rows = Alert.objects.filter(compound__in=compounds, kind__in=list(kinds)).exclude(
        state=AlertState.RESOLVED
    )
    if open_only:
        rows = rows.filter(state=AlertState.OPEN)
    rows = rows.select_related("compound", "acknowledged_by").order_by(
        "-state", "due", "id"
    )  # open < ack
    alerts = list(rows[:limit] if limit else rows)
    for a in alerts:
        a.message = alert_message(a.kind, a.params, a.due)  # type: ignore[attr-defined]
    return alerts


def board_rows(
    office: StreetOffice,
    today: dt.date,
    *,
    q: str = "",
    stage: str = "",
    alerts_only: bool = False,
    sort: str = "name",
    descending: bool = False,
) -> list[BoardRow]:
    compounds = list(
        office.compounds.select_related("street_office", "service_company").order_by("name", "id")
    )
    if q:
        needle = q.casefold()
        compounds = [
            c for c in compounds if needle in c.name.casefold() or needle in c.code.casefold()
        ]
    alerts = unresolved_alerts(c.pk for c in compounds) if compounds else {}
    rows = [
        BoardRow(progress=p, alerts=alerts.get(p.compound.pk, []), year=today.year)
        for p in compounds_progress(compounds, today)
    ]
    if stage in STAGES:
        rows = [r for r in rows if r.progress.stage == stage]
    if alerts_only:
        rows = [r for r in rows if r.alerts]
    return sort_rows(rows, sort, descending)


def sort_rows(rows: list[BoardRow], sort: str, descending: bool) -> list[BoardRow]:
    far = dt.date.max
    low = Decimal("-1")

    def key(r: BoardRow) -> Any:
        if sort == "stage":
            return (r.progress.stage_index, r.compound.name)
        if sort == "deadline":
            return (r.progress.next_deadline or far, r.compound.name)
        if sort == "rate":
            return (r.this_year.rate_amount if r.this_year else low, r.compound.name)
        if sort == "rate_last":
            return (r.last_year.rate_amount if r.last_year else low, r.compound.name)
        if sort == "rate_latest":
            c = r.progress.latest_collection
            return (c.rate_amount if c else low, r.compound.name)
        if sort == "turnout":
            return (r.turnout if r.turnout is not None else low, r.compound.name)
        if sort == "subsidy":
            left = r.progress.subsidy_months_left
            return (left if left is not None else -1, r.compound.name)
        if sort == "alerts":
            return (len(r.open_alerts), len(r.alerts), r.compound.name)
        return (r.compound.name, r.compound.code)

    return sorted(rows, key=key, reverse=descending)


def chart_data(rows: Sequence[BoardRow]) -> dict[str, Any]:
    """The chart's series: each compound's rate (by amount) of its latest year billed, and
    each compound's rate year by year (percent as numbers, None where not billed)."""
    years = sorted({y for r in rows for y in r.progress.facts.collection})
    latest = []
    for r in rows:
        c = r.progress.latest_collection
        latest.append(
            {
                "name": r.compound.name,
                "year": c.year if c else None,
                "rate_amount": float(c.rate_amount) if c else None,
                "rate_households": float(c.rate_households) if c else None,
            }
        )
    series = [
        {
            "name": r.compound.name,
            "data": [
                float(r.progress.facts.collection[y].rate_amount)
                if y in r.progress.facts.collection
                else None
                for y in years
            ],
        }
        for r in rows
        if r.progress.facts.collection
    ]
    target = float(rows[0].progress.facts.target) if rows else 80.0
    return {"latest": latest, "years": years, "series": series, "target": target}


def stage_choices() -> list[tuple[str, str]]:
    return [(s, str(STAGE_LABELS[s])) for s in STAGES]


def xlsx_rows(rows: Sequence[BoardRow]) -> list[list[object]]:
    out: list[list[object]] = []
    for r in rows:
        p = r.progress
        this, last, latest = r.this_year, r.last_year, p.latest_collection
        out.append(
            [
                r.compound.code,
                r.compound.name,
                p.stage_label,
                p.next_deadline,
                p.next_deadline_label,
                this.rate_households if this else None,
                this.rate_amount if this else None,
                last.rate_households if last else None,
                last.rate_amount if last else None,
                latest.year if latest else None,
                latest.rate_households if latest else None,
                latest.rate_amount if latest else None,
                r.turnout,
                r.agreement_status,
                p.subsidy_months_left,
                len(r.open_alerts),
                len(r.alerts),
            ]
        )
    return out


def xlsx_headers(year: int) -> list[str]:
    return [
        _("代码"),
        _("小区"),
        _("阶段"),
        _("下一期限"),
        _("期限事项"),
        _("{year}年收缴率（户数%）").format(year=year),
        _("{year}年收缴率（金额%）").format(year=year),
        _("{year}年收缴率（户数%）").format(year=year - 1),
        _("{year}年收缴率（金额%）").format(year=year - 1),
        _("最近计费年度"),
        _("最近计费年度收缴率（户数%）"),
        _("最近计费年度收缴率（金额%）"),
        _("最近一次表决参与率%"),
        _("协议状态"),
        _("补贴剩余月数"),
        _("待处理提醒"),
        _("未解除提醒"),
    ]
