"""Which deadlines of a compound call for an alert today: pure rules over
:class:`board.milestones.Progress` (no query), used by the daily check, the on-demand
check and the tests alike; and how an alert reads and who sees it.

The rules (DOMAIN.md; BJ 52–58, 63):

- committee: term ended → ``committee_term_ended``; ending within 90 days →
  ``committee_term_ending``;
- subsidy: the last subsidised day passed → ``subsidy_ended``; within 6 months →
  ``subsidy_ending``; both carry the fee each household faces afterwards and the collection
  rate that would cover the appraised service cost without the subsidy;
- agreement: signed, not filed, 15-day deadline within 5 days or past →
  ``agreement_not_filed``; term ended or ending within 90 days → ``agreement_expired``;
- fee standards (latest per building kind) ended or ending within 90 days →
  ``fee_standard_expired``;
- a counted decision whose result is not published 3 days after counting →
  ``result_not_published``;
- the last closed year billed collected less than the street office's target (by amount)
  → ``collection_below_target``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from fees.money import ZERO, percent, to_fen
from households.models import BuildingKind
from portal.models import Role
from voting.models import DecisionState

from .milestones import (
    COMMITTEE_WARNING_DAYS,
    EXPIRY_WARNING_DAYS,
    PUBLISH_DAYS,
    SUBSIDY_WARNING_MONTHS,
    Progress,
    add_months,
    latest_standards,
)
from .models import AlertKind

FILING_WARNING_DAYS = 5

STREET, COMMITTEE, COMPANY = Role.STREET_OFFICER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF
#: Who can act on each kind of alert: they see it on their landing page and may acknowledge.
AUDIENCE: dict[str, frozenset[Role]] = {
    AlertKind.COMMITTEE_TERM_ENDED: frozenset({STREET, COMMITTEE}),
    AlertKind.COMMITTEE_TERM_ENDING: frozenset({STREET, COMMITTEE}),
    AlertKind.SUBSIDY_ENDED: frozenset({STREET, COMMITTEE, COMPANY}),
    AlertKind.SUBSIDY_ENDING: frozenset({STREET, COMMITTEE, COMPANY}),
    AlertKind.AGREEMENT_NOT_FILED: frozenset({STREET, COMMITTEE}),
    AlertKind.AGREEMENT_EXPIRED: frozenset({STREET, COMMITTEE, COMPANY}),
    AlertKind.FEE_STANDARD_EXPIRED: frozenset({STREET, COMMITTEE, COMPANY}),
    AlertKind.RESULT_NOT_PUBLISHED: frozenset({STREET, COMMITTEE}),
    AlertKind.COLLECTION_BELOW_TARGET: frozenset({STREET, COMMITTEE, COMPANY}),
}


def kinds_for_roles(roles: Iterable[Role]) -> list[str]:
    held = set(roles)
    return [kind for kind, audience in AUDIENCE.items() if audience & held]


@dataclass(frozen=True)
class Wanted:
    """An alert the rules want open for one compound today."""

    compound_id: int
    kind: str
    subject: str
    due: dt.date
    params: dict[str, Any]

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.compound_id, self.kind, self.subject)


def wanted_alerts(progress: Progress, today: dt.date) -> list[Wanted]:
    facts = progress.facts
    cid = facts.compound.pk
    wanted: list[Wanted] = []

    def want(kind: str, subject: str, due: dt.date, **params: Any) -> None:
        wanted.append(Wanted(cid, kind, subject, due, params))

    c = facts.committee
    if c is not None:
        if c.term_end < today:
            want(AlertKind.COMMITTEE_TERM_ENDED, f"committee:{c.id}", c.term_end)
        elif c.term_end <= today + dt.timedelta(days=COMMITTEE_WARNING_DAYS):
            want(AlertKind.COMMITTEE_TERM_ENDING, f"committee:{c.id}", c.term_end)

    end = progress.subsidy_end
    if end is not None:
        if end < today:
            want(AlertKind.SUBSIDY_ENDED, f"subsidy:{end.isoformat()}", end, **_after(progress))
        elif end <= add_months(today, SUBSIDY_WARNING_MONTHS):
            want(AlertKind.SUBSIDY_ENDING, f"subsidy:{end.isoformat()}", end, **_after(progress))

    a = facts.agreement
    if a is not None:
        if (
            a.signed_on
            and not a.filed_on
            and a.filing_deadline
            and a.filing_deadline <= today + dt.timedelta(days=FILING_WARNING_DAYS)
        ):
            want(
                AlertKind.AGREEMENT_NOT_FILED,
                f"agreement:{a.id}",
                a.filing_deadline,
                number=a.number,
                overdue=a.filing_deadline < today,
            )
        if a.term_end <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
            want(
                AlertKind.AGREEMENT_EXPIRED,
                f"agreement:{a.id}",
                a.term_end,
                number=a.number,
                ended=a.term_end < today,
            )

    ending: dict[dt.date, list[str]] = {}
    for s in latest_standards(facts):
        if s.valid_to is not None and s.valid_to <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
            ending.setdefault(s.valid_to, []).append(s.building_kind)
    for day, kinds in sorted(ending.items()):
        want(
            AlertKind.FEE_STANDARD_EXPIRED,
            f"standards:{day.isoformat()}",
            day,
            kinds=kinds,
            ended=day < today,
        )

    for d in facts.decisions:
        if d.state == DecisionState.COUNTED and d.counted_on:
            due = d.counted_on + dt.timedelta(days=PUBLISH_DAYS)
            if due < today:
                want(AlertKind.RESULT_NOT_PUBLISHED, f"decision:{d.id}", due, title=d.title)

    closed = [y for y in facts.collection if y < today.year]
    if closed:
        year = max(closed)
        row = facts.collection[year]
        if row.rate_amount < facts.target:
            want(
                AlertKind.COLLECTION_BELOW_TARGET,
                f"collection:{year}",
                dt.date(year, 12, 31),
                year=year,
                rate=str(row.rate_amount),
                target=str(facts.target),
            )
    return wanted


def _after(progress: Progress) -> dict[str, Any]:
    """What households face once the subsidy ends, and the collection rate that would
    cover the appraised service cost without it (DOMAIN.md: appraised 1.78 / 2.45, charged
    1.00 / 1.67, the 0.78 difference subsidised).

    Per building kind: households pay the next standard's charged rate if one is set, else
    the appraised rate. ``needed_rate_now``: the share of today's charged fees that would
    have to be collected to pay the appraised cost (above 100: impossible without a new
    fee); ``needed_rate_after``: the same at the fee after the subsidy."""
    facts = progress.facts
    latest = {s.building_kind: s for s in latest_standards(facts)}
    kinds = []
    cost = billed_now = billed_after = ZERO
    households = 0
    for kind, s in latest.items():
        if s.subsidy_rate <= 0:
            continue
        later = [
            o
            for o in facts.standards
            if o.building_kind == kind and s.valid_to and o.valid_from > s.valid_to
        ]
        after = later[0].charged_rate if later else s.appraised_rate
        n, area = facts.areas.get(kind, (0, ZERO))
        households += n
        cost += area * s.appraised_rate
        billed_now += area * s.charged_rate
        billed_after += area * after
        kinds.append(
            {
                "kind": kind,
                "appraised": str(s.appraised_rate),
                "charged": str(s.charged_rate),
                "after": str(after),
                "households": n,
                "average_now": str(to_fen(area * s.charged_rate / n) if n else ZERO),
                "average_after": str(to_fen(area * after / n) if n else ZERO),
            }
        )
    latest_year = progress.latest_collection
    return {
        "kinds": kinds,
        "households": households,
        "average_now": str(to_fen(billed_now / households) if households else ZERO),
        "average_after": str(to_fen(billed_after / households) if households else ZERO),
        "needed_rate_now": str(percent(to_fen(cost), to_fen(billed_now))),
        "needed_rate_after": str(percent(to_fen(cost), to_fen(billed_after))),
        "collection_year": latest_year.year if latest_year else None,
        "collection_rate": str(latest_year.rate_amount) if latest_year else None,
    }


def alert_message(kind: str, params: dict[str, Any], due: dt.date) -> str:
    """The alert in the reader's language, from its kind, parameters and due date."""
    day = due.isoformat()
    if kind == AlertKind.COMMITTEE_TERM_ENDED:
        return _("物管会任期已于 {day} 届满，尚无新一届物管会：请组织换届（BJ 52–58）").format(
            day=day
        )
    if kind == AlertKind.COMMITTEE_TERM_ENDING:
        return _("物管会任期将于 {day} 届满：请在届满前组织换届").format(day=day)
    if kind in (AlertKind.SUBSIDY_ENDED, AlertKind.SUBSIDY_ENDING):
        head = (
            _("补贴已于 {day} 到期")
            if kind == AlertKind.SUBSIDY_ENDED
            else _("补贴将于 {day} 到期")
        ).format(day=day)
        text = head + _(
            "：此后每户每月平均应缴 {after} 元（补贴期内 {now} 元）；"
            "按现收费标准，收缴率须达 {needed_now}% 才能覆盖评估的服务成本，"
            "按到期后的收费需 {needed_after}%"
        ).format(
            after=params.get("average_after", "—"),
            now=params.get("average_now", "—"),
            needed_now=params.get("needed_rate_now", "—"),
            needed_after=params.get("needed_rate_after", "—"),
        )
        if params.get("collection_year"):
            text += _("（{year} 年实际收缴率 {rate}%）").format(
                year=params["collection_year"], rate=params.get("collection_rate")
            )
        return text
    if kind == AlertKind.AGREEMENT_NOT_FILED:
        template = (
            _("四方协议 {number} 未在期限 {day} 前备案（BJ 63：签订后15日内）")
            if params.get("overdue")
            else _("四方协议 {number} 须在 {day} 前向街道备案（BJ 63）")
        )
        return template.format(number=params.get("number", ""), day=day)
    if kind == AlertKind.AGREEMENT_EXPIRED:
        template = (
            _("四方协议 {number} 已于 {day} 到期，尚无续签")
            if params.get("ended")
            else _("四方协议 {number} 将于 {day} 到期")
        )
        return template.format(number=params.get("number", ""), day=day)
    if kind == AlertKind.FEE_STANDARD_EXPIRED:
        kinds = "、".join(str(BuildingKind(k).label) for k in params.get("kinds", []))
        template = (
            _("收费标准（{kinds}）已于 {day} 到期，尚无新标准")
            if params.get("ended")
            else _("收费标准（{kinds}）将于 {day} 到期")
        )
        return template.format(kinds=kinds, day=day)
    if kind == AlertKind.RESULT_NOT_PUBLISHED:
        return _("“{title}”已计票，结果应在 {day} 前公布").format(
            title=params.get("title", ""), day=day
        )
    if kind == AlertKind.COLLECTION_BELOW_TARGET:
        return _("{year} 年收缴率 {rate}%，低于目标 {target}%").format(
            year=params.get("year"), rate=params.get("rate"), target=params.get("target")
        )
    return str(kind)


def decimal_or_none(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
