"""Where each compound stands in the transition: milestones in the case's order, derived.

The case's order (DOMAIN.md): environment renovation → committee (BJ 52–58) → fee
appraisal → owners' joint decision (announced, held, published) → four-party agreement
(signed, filed with the street office within 15 days, BJ 63) → 双晒 (service standard and
fees posted, BJ 70) → first billing → collection against the target → subsidy term →
works (co-funded projects with a basis, from ``works``). Only the renovation is typed in
(``board.models.Renovation``); every other date is read from the app that owns it.

:func:`compounds_progress` loads the facts of any number of compounds in a fixed number of
queries (one per kind of fact, whatever the number of compounds) and derives each
compound's :class:`Progress` with the pure :func:`derive`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, AgreementStatus
from fees.models import BillingRun, CollectionTotal, FeeStandard
from fees.money import ZERO, percent, to_fen
from households.models import BuildingKind, Committee, Unit
from portal.models import Compound, StreetOffice
from tickets.models import Channel, Request
from voting.models import Decision, DecisionState
from works.models import Project, ProjectStatus

from .models import DEFAULT_COLLECTION_TARGET, BoardSettings, Renovation

#: The steps ``stage`` names, in the case's order; the stage is the furthest one reached.
STAGES = ("renovation", "committee", "decision", "agreement", "disclosure", "collecting", "works")
STAGE_LABELS = {
    "renovation": _("环境整治"),
    "committee": _("成立物管会"),
    "decision": _("业主共同决定"),
    "agreement": _("四方协议"),
    "disclosure": _("双晒"),
    "collecting": _("收取物业费"),
    "works": _("共同出资改造"),
}
FILING_DAYS = 15  # BJ 63: the contract is filed with the street office within 15 days
PUBLISH_DAYS = 3  # the result is posted within 3 days of counting
COMMITTEE_WARNING_DAYS = 90
EXPIRY_WARNING_DAYS = 90
SUBSIDY_WARNING_MONTHS = 6


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


# --- facts, as read from the apps -----------------------------------------------------------


@dataclass(frozen=True)
class CommitteeFacts:
    """The committee in office (the latest formed) and its formation record, if kept."""

    id: int
    formed_on: dt.date
    term_end: dt.date
    members: int
    announced_on: dt.date | None = None  # 公告 (None: no formation record)
    publicity_start: dt.date | None = None
    publicity_end: dt.date | None = None
    filed_on: dt.date | None = None  # 备案
    illustrative: bool = False

    @property
    def has_record(self) -> bool:
        return self.announced_on is not None


@dataclass(frozen=True)
class StandardFacts:
    id: int
    building_kind: str
    appraised_rate: Decimal
    charged_rate: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    pending_vote: bool
    has_service_standard: bool
    basis_decision_id: int | None
    created_on: dt.date

    @property
    def subsidy_rate(self) -> Decimal:
        return self.appraised_rate - self.charged_rate


@dataclass(frozen=True)
class DecisionFacts:
    id: int
    title: str
    state: str
    announced_on: dt.date | None
    closed_on: dt.date | None
    counted_on: dt.date | None
    published_on: dt.date | None
    turnout: Decimal | None  # participating owners / all owners, percent


@dataclass(frozen=True)
class AgreementFacts:
    id: int
    number: str
    status: str
    signed_on: dt.date | None
    filing_deadline: dt.date | None
    filed_on: dt.date | None
    term_start: dt.date
    term_end: dt.date

    @property
    def status_label(self) -> str:
        return str(AgreementStatus(self.status).label)

    def ended(self, today: dt.date) -> bool:
        """Past its term on ``today``, whether or not the nightly task has marked it."""
        return self.status == AgreementStatus.EXPIRED or self.term_end < today

    def status_on(self, today: dt.date) -> str:
        """What the board says of it on ``today``: an agreement past its term is expired
        (with the date), not "filed" or "effective"; one signed but not filed says so."""
        if self.ended(today):
            return str(_("已到期（{day}）")).format(day=self.term_end.isoformat())
        label = self.status_label
        if self.signed_on and not self.filed_on:
            label += " · " + str(_("未备案"))
        return label


@dataclass
class YearCollection:
    year: int
    households: int = 0
    paid_households: int = 0
    owner_due: Decimal = ZERO
    collected: Decimal = ZERO

    @property
    def rate_households(self) -> Decimal:
        return percent(self.paid_households, self.households)

    @property
    def rate_amount(self) -> Decimal:
        return percent(self.collected, self.owner_due)


@dataclass(frozen=True)
class RenovationFacts:
    started_on: dt.date
    finished_on: dt.date | None
    money_invested: Decimal
    illegal_structures_removed: Decimal
    ground_locks_removed: int
    buildings_renovated: int
    illustrative: bool


@dataclass
class Facts:
    """Everything the board knows of one compound, read in bulk."""

    compound: Compound
    target: Decimal = DEFAULT_COLLECTION_TARGET
    renovation: RenovationFacts | None = None
    committee: CommitteeFacts | None = None
    standards: list[StandardFacts] = field(default_factory=list)
    decisions: list[DecisionFacts] = field(default_factory=list)  # oldest first
    agreement: AgreementFacts | None = None
    first_billing: dt.date | None = None
    collection: dict[int, YearCollection] = field(default_factory=dict)
    areas: dict[str, tuple[int, Decimal]] = field(default_factory=dict)  # kind → (n, m²)
    works: WorksFacts | None = None
    hotline: dict[int, int] = field(default_factory=dict)  # year → 12345 cases received


@dataclass(frozen=True)
class WorksFacts:
    """The compound's co-funded works that have a basis (approved or later)."""

    projects: int
    accepted: int
    first_approved_on: dt.date | None


def load_facts(compounds: Sequence[Compound]) -> list[Facts]:
    """The facts of ``compounds`` (which come with their street office): eleven queries
    whatever their number (none for an empty list)."""
    if not compounds:
        return []
    by_id = {c.pk: Facts(compound=c) for c in compounds}
    ids = list(by_id)
    office_ids = {c.street_office_id for c in compounds}
    targets = dict(
        BoardSettings.objects.filter(street_office_id__in=office_ids).values_list(
            "street_office_id", "collection_target"
        )
    )
    for facts in by_id.values():
        facts.target = targets.get(facts.compound.street_office_id, DEFAULT_COLLECTION_TARGET)
    for r in Renovation.objects.filter(compound_id__in=ids):
        by_id[r.compound_id].renovation = RenovationFacts(
            r.started_on,
            r.finished_on,
            r.money_invested,
            r.illegal_structures_removed,
            r.ground_locks_removed,
            r.buildings_renovated,
            r.illustrative,
        )
    committees = (
        Committee.objects.filter(compound_id__in=ids)
        .values(
            "id",
            "compound_id",
            "formed_on",
            "term_end",
            "formation__announced_on",
            "formation__publicity_start",
            "formation__publicity_end",
            "formation__filed_on",
            "formation__illustrative",
        )
        .annotate(n=Count("members"))
        .order_by("compound_id", "formed_on", "id")
    )
    for c in committees:  # the latest formed wins
        by_id[c["compound_id"]].committee = CommitteeFacts(
            id=c["id"],
            formed_on=c["formed_on"],
            term_end=c["term_end"],
            members=c["n"],
            announced_on=c["formation__announced_on"],
            publicity_start=c["formation__publicity_start"],
            publicity_end=c["formation__publicity_end"],
            filed_on=c["formation__filed_on"],
            illustrative=bool(c["formation__illustrative"]),
        )
    standards = FeeStandard.objects.filter(compound_id__in=ids).order_by(
        "compound_id", "building_kind", "valid_from", "version"
    )
    for s in standards.values(
        "id",
        "compound_id",
        "building_kind",
        "appraised_rate",
        "charged_rate",
        "valid_from",
        "valid_to",
        "pending_vote",
        "service_standard",
        "basis_item__decision_id",
        "created_at",
    ):
        by_id[s["compound_id"]].standards.append(
            StandardFacts(
                id=s["id"],
                building_kind=s["building_kind"],
                appraised_rate=s["appraised_rate"],
                charged_rate=s["charged_rate"],
                valid_from=s["valid_from"],
                valid_to=s["valid_to"],
                pending_vote=s["pending_vote"],
                has_service_standard=bool(s["service_standard"]),
                basis_decision_id=s["basis_item__decision_id"],
                created_on=_day(s["created_at"]) or s["valid_from"],
            )
        )
    decisions = (
        Decision.objects.filter(compound_id__in=ids)
        .exclude(state=DecisionState.DRAFT)
        .order_by("compound_id", "announced_at", "id")
        .values(
            "id",
            "compound_id",
            "title",
            "state",
            "announced_at",
            "closed_at",
            "counted_at",
            "counting_date",
            "published_at",
            "tally_snapshot__items__0__ratios__participation_owners",
        )
    )
    for d in decisions:
        turnout = d["tally_snapshot__items__0__ratios__participation_owners"]
        by_id[d["compound_id"]].decisions.append(
            DecisionFacts(
                id=d["id"],
                title=d["title"],
                state=d["state"],
                announced_on=_day(d["announced_at"]),
                closed_on=_day(d["closed_at"]),
                counted_on=d["counting_date"] or _day(d["counted_at"]),
                published_on=_day(d["published_at"]),
                turnout=_decimal(turnout),
            )
        )
    agreements = (
        Agreement.objects.filter(compound_id__in=ids)
        .exclude(status__in=[AgreementStatus.DRAFT, AgreementStatus.SUPERSEDED])
        .order_by("compound_id", "term_start", "id")
        .values(
            "id",
            "compound_id",
            "number",
            "status",
            "effective_on",
            "filing_deadline",
            "filed_at",
            "term_start",
            "term_end",
        )
    )
    for a in agreements:  # the latest term wins
        by_id[a["compound_id"]].agreement = AgreementFacts(
            id=a["id"],
            number=a["number"],
            status=a["status"],
            signed_on=a["effective_on"],
            filing_deadline=a["filing_deadline"],
            filed_on=_day(a["filed_at"]),
            term_start=a["term_start"],
            term_end=a["term_end"],
        )
    for w in (
        Project.objects.filter(compound_id__in=ids)
        .exclude(status=ProjectStatus.PROPOSED)
        .values("compound_id")
        .annotate(
            n=Count("id"),
            accepted=Count("id", filter=Q(accepted_on__isnull=False)),
            first=Min("approved_on"),
        )
        .order_by()
    ):
        by_id[w["compound_id"]].works = WorksFacts(w["n"], w["accepted"], w["first"])
    for h in (
        Request.objects.filter(compound_id__in=ids, channel=Channel.HOTLINE)
        .annotate(year=ExtractYear("received_at"))
        .values("compound_id", "year")
        .annotate(n=Count("id"))
        .order_by()
    ):
        by_id[h["compound_id"]].hotline[h["year"]] = h["n"]
    for run_row in (
        BillingRun.objects.filter(compound_id__in=ids)
        .values("compound_id")
        .annotate(first=Min("period_start"))
        .order_by()
    ):
        by_id[run_row["compound_id"]].first_billing = run_row["first"]
    for row in (
        CollectionTotal.objects.filter(compound_id__in=ids)
        .values("compound_id", "year")
        .annotate(
            households=Sum("households"),
            paid=Sum("paid_households"),
            due=Sum("owner_due"),
            collected=Sum("collected"),
        )
        .order_by()
    ):
        if row["households"]:
            by_id[row["compound_id"]].collection[row["year"]] = YearCollection(
                year=row["year"],
                households=row["households"],
                paid_households=row["paid"],
                owner_due=to_fen(_decimal(row["due"]) or ZERO),
                collected=to_fen(_decimal(row["collected"]) or ZERO),
            )
    for area_row in (
        Unit.objects.filter(compound_id__in=ids, floor_area__isnull=False)
        .values("compound_id", "building__kind")
        .annotate(n=Count("id"), area=Sum("floor_area"))
        .order_by()
    ):
        by_id[area_row["compound_id"]].areas[area_row["building__kind"]] = (
            area_row["n"],
            _decimal(area_row["area"]) or ZERO,
        )
    return [by_id[c.pk] for c in compounds]


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def _decimal(value: object) -> Decimal | None:
    """Decimal of a sum or a JSON string (SQLite hands sums of decimals back as floats)."""
    if value in (None, "", "—"):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


# --- derivation (pure) ----------------------------------------------------------------------


def _committee_filing_detail(c: CommitteeFacts | None) -> str:
    """What the filing milestone says: the posting's dates, or that no record was kept."""
    if c is None:
        return ""
    if not c.has_record:
        return str(_("无组建记录（平台启用前组建）"))
    text = ""
    if c.publicity_start and c.publicity_end:
        text = str(_("公示 {start} 至 {end}")).format(
            start=c.publicity_start.isoformat(), end=c.publicity_end.isoformat()
        )
    elif not c.filed_on:
        text = str(_("尚未公示"))
    return text + (str(_("（示意数据）")) if c.illustrative else "")


@dataclass(frozen=True)
class Milestone:
    """One step: when it was done, by when it is due, and where its evidence is."""

    key: str
    label: str
    done_on: dt.date | None
    due: dt.date | None = None
    evidence: str = ""
    detail: str = ""
    reached: bool = False

    def overdue(self, today: dt.date) -> bool:
        return not self.reached and self.due is not None and self.due < today


@dataclass
class Progress:
    """One compound's milestones, stage, next deadline and headline figures."""

    facts: Facts
    milestones: list[Milestone]
    stage: str
    next_deadline: dt.date | None
    next_deadline_label: str
    subsidy_end: dt.date | None
    subsidy_months_left: int | None
    agreement_status: str = ""

    @property
    def compound(self) -> Compound:
        return self.facts.compound

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.stage])

    @property
    def stage_index(self) -> int:
        return STAGES.index(self.stage)

    @property
    def next_step_label(self) -> str:
        """The step after the furthest one reached ("" at the last step); before any step
        (no renovation recorded) the next step is the renovation itself."""
        if self.stage == "renovation" and self.facts.renovation is None:
            return str(STAGE_LABELS["renovation"])
        index = self.stage_index + 1
        return str(STAGE_LABELS[STAGES[index]]) if index < len(STAGES) else ""

    def collection(self, year: int) -> YearCollection | None:
        return self.facts.collection.get(year)

    @property
    def latest_collection(self) -> YearCollection | None:
        """The latest year that has charges (the API's ``collection``)."""
        years = self.facts.collection
        return years[max(years)] if years else None

    @property
    def last_decision(self) -> DecisionFacts | None:
        held = [d for d in self.facts.decisions if d.turnout is not None]
        return held[-1] if held else None

    @property
    def transition_decision(self) -> DecisionFacts | None:
        return transition_decision(self.facts)


def transition_decision(facts: Facts) -> DecisionFacts | None:
    """The decision the fee standards rest on; else the latest one announced."""
    basis = {s.basis_decision_id for s in facts.standards if s.basis_decision_id}
    chosen = [d for d in facts.decisions if d.id in basis]
    if chosen:
        return chosen[0]
    return facts.decisions[-1] if facts.decisions else None


def latest_standards(facts: Facts) -> list[StandardFacts]:
    """Per building kind, the standard with the latest start (its end shows what lapsed)."""
    latest: dict[str, StandardFacts] = {}
    for s in facts.standards:  # ordered by kind, then start
        latest[s.building_kind] = s
    order = list(BuildingKind.values)
    return sorted(latest.values(), key=lambda s: order.index(s.building_kind))


def subsidy_end(facts: Facts) -> dt.date | None:
    """The last day any subsidised standard of the compound covers (None: no subsidy)."""
    ends = [s.valid_to for s in facts.standards if s.subsidy_rate > 0 and s.valid_to is not None]
    if any(s.subsidy_rate > 0 and s.valid_to is None for s in facts.standards):
        return None if not ends else max(ends)
    return max(ends) if ends else None


def derive(facts: Facts, today: dt.date) -> Progress:
    """The milestones of ``facts`` in the case's order (pure: no query)."""
    code = facts.compound.code
    milestones: list[Milestone] = []
    reached = {"renovation": False}

    r = facts.renovation
    milestones.append(
        Milestone(
            "renovation",
            str(_("环境整治")),
            r.started_on if r else None,
            evidence=reverse("board:compound-milestones", args=[code]) + "#renovation",
            detail=(
                str(
                    _("投入 {money} 元，拆除违建 {area} m²，地锁 {locks} 个，改造楼栋 {b} 栋")
                ).format(
                    money=f"{r.money_invested:,.2f}",
                    area=f"{r.illegal_structures_removed:,.2f}",
                    locks=r.ground_locks_removed,
                    b=r.buildings_renovated,
                )
                + (str(_("（示意数据）")) if r.illustrative else "")
                if r
                else ""
            ),
            reached=r is not None,
        )
    )
    reached["renovation"] = r is not None

    c = facts.committee
    committee_url = reverse("committee", args=[code])
    milestones += [
        Milestone(
            "committee",
            str(_("物管会成立（任期）")),
            c.formed_on if c else None,
            due=c.term_end if c else None,
            evidence=committee_url,
            detail=(
                str(_("{n} 名委员，任期至 {end}")).format(n=c.members, end=c.term_end.isoformat())
                + (
                    str(_("；{day} 组建公告")).format(day=c.announced_on.isoformat())
                    if c.announced_on
                    else ""
                )
                if c
                else ""
            ),
            reached=c is not None,
        ),
        Milestone(
            "committee_filed",
            str(_("物管会备案（公示10个工作日后）")),
            c.filed_on if c else None,
            evidence=committee_url + "#formation",
            detail=_committee_filing_detail(c),
            reached=bool(c and c.filed_on),
        ),
    ]
    reached["committee"] = c is not None

    decision = transition_decision(facts)
    appraisal = facts.standards[0] if facts.standards else None
    appraised_on = None
    if facts.standards:
        appraised_on = min(s.created_on for s in facts.standards)
        if (
            decision
            and decision.announced_on
            and decision.id in {s.basis_decision_id for s in facts.standards}
        ):
            # The appraised rates were put to the owners with the decision.
            appraised_on = min(appraised_on, decision.announced_on)
    milestones.append(
        Milestone(
            "appraisal",
            str(_("物业费评估")),
            appraised_on,
            evidence=reverse("fees:standards", args=[code]),
            detail=", ".join(
                f"{BuildingKind(s.building_kind).label} {s.appraised_rate}"
                for s in latest_standards(facts)
            )
            if appraisal
            else "",
            reached=appraisal is not None,
        )
    )
    decision_url = reverse("voting:decision", args=[code, decision.id]) if decision else ""
    publish_due = (
        decision.counted_on + dt.timedelta(days=PUBLISH_DAYS)
        if decision and decision.counted_on
        else None
    )
    milestones += [
        Milestone(
            "decision_announced",
            str(_("共同决定公告")),
            decision.announced_on if decision else None,
            evidence=decision_url,
            detail=decision.title if decision else "",
            reached=bool(decision and decision.announced_on),
        ),
        Milestone(
            "decision_held",
            str(_("共同决定表决（计票）")),
            (decision.counted_on or decision.closed_on) if decision else None,
            evidence=decision_url,
            detail=(
                str(_("参与业主 {t}%")).format(t=decision.turnout)
                if decision and decision.turnout is not None
                else ""
            ),
            reached=bool(decision and (decision.counted_on or decision.closed_on)),
        ),
        Milestone(
            "decision_published",
            str(_("表决结果公布")),
            decision.published_on if decision else None,
            due=publish_due,
            evidence=decision_url,
            reached=bool(decision and decision.published_on),
        ),
    ]
    reached["decision"] = bool(decision and decision.state == DecisionState.PUBLISHED)

    a = facts.agreement
    agreement_url = reverse("agreement", args=[code, a.id]) if a else ""
    milestones += [
        Milestone(
            "agreement_signed",
            str(_("四方协议签署")),
            a.signed_on if a else None,
            due=a.term_end if a else None,
            evidence=agreement_url,
            detail=(
                str(_("{number}，期限 {start} 至 {end}")).format(
                    number=a.number, start=a.term_start.isoformat(), end=a.term_end.isoformat()
                )
                if a
                else ""
            ),
            reached=bool(a and a.signed_on),
        ),
        Milestone(
            "agreement_filed",
            str(_("协议备案（15日内）")),
            a.filed_on if a else None,
            due=a.filing_deadline if a else None,
            evidence=agreement_url,
            reached=bool(a and a.filed_on),
        ),
    ]
    reached["agreement"] = bool(a and a.signed_on)

    posted = [s for s in facts.standards if not s.pending_vote and s.has_service_standard]
    milestones.append(
        Milestone(
            "disclosure",
            str(_("双晒（服务标准与收费公示）")),
            min(s.valid_from for s in posted) if posted else None,
            evidence=reverse("fees_public:disclosure", args=[code]),
            reached=bool(posted),
        )
    )
    reached["disclosure"] = bool(posted)

    milestones.append(
        Milestone(
            "first_billing",
            str(_("首次计费")),
            facts.first_billing,
            evidence=reverse("fees:runs", args=[code]),
            reached=facts.first_billing is not None,
        )
    )
    reached["collecting"] = facts.first_billing is not None

    first_year = min(facts.collection) if facts.collection else None
    first = facts.collection.get(first_year) if first_year else None
    milestones.append(
        Milestone(
            "collection",
            str(_("收缴率达到目标")),
            dt.date(first.year, 12, 31) if first and first.rate_amount >= facts.target else None,
            evidence=reverse("fees:collection", args=[code]),
            detail=(
                str(_("{year} 年 {rate}%（目标 {target}%）")).format(
                    year=first_year, rate=first.rate_amount, target=facts.target
                )
                if first
                else str(_("目标 {target}%")).format(target=facts.target)
            ),
            reached=bool(first and first.rate_amount >= facts.target),
        )
    )

    subsidised = [s for s in facts.standards if s.subsidy_rate > 0]
    end = subsidy_end(facts)
    milestones.append(
        Milestone(
            "subsidy",
            str(_("补贴期")),
            min(s.valid_from for s in subsidised) if subsidised else None,
            due=end,
            evidence=reverse("fees:subsidies", args=[code]),
            detail=(
                str(_("每月每平方米补贴 {rate} 元，至 {end}")).format(
                    rate=max(s.subsidy_rate for s in subsidised),
                    end=end.isoformat() if end else "—",
                )
                if subsidised
                else ""
            ),
            reached=bool(subsidised),
        )
    )
    works = facts.works
    milestones.append(
        Milestone(
            "works",
            str(_("共同出资改造")),
            works.first_approved_on if works else None,
            evidence=reverse("works:projects", args=[code]),
            detail=(
                str(_("{n} 项工程，{accepted} 项已验收")).format(
                    n=works.projects, accepted=works.accepted
                )
                if works
                else ""
            ),
            reached=works is not None,
        )
    )
    reached["works"] = works is not None
    milestones.append(hotline_trend(facts, today))

    stage = "renovation"
    for step in STAGES:
        if reached.get(step):
            stage = step

    # A missed step's deadline, or a term that lapsed without renewal (committee,
    # agreement), stays the next deadline until it is dealt with; else the soonest ahead.
    lapsed = [
        (m.due, m.label)
        for m in milestones
        if m.due is not None
        and m.due < today
        and (m.overdue(today) or m.key in ("committee", "agreement_signed"))
    ]
    ahead = [(m.due, m.label) for m in milestones if m.due is not None and m.due >= today]
    nxt = min(lapsed or ahead, key=lambda pair: pair[0], default=(None, ""))
    return Progress(
        facts=facts,
        milestones=milestones,
        stage=stage,
        next_deadline=nxt[0],
        next_deadline_label=nxt[1],
        subsidy_end=end,
        subsidy_months_left=months_between(today, end) if end else None,
        agreement_status=a.status_on(today) if a else str(_("无")),
    )


def hotline_trend(facts: Facts, today: dt.date) -> Milestone:
    """The 12345 hotline's cases of the compound, first year against the last full year
    (the case's claim: complaints fell after the transition). Not a step of the stage."""
    years = sorted(y for y in facts.hotline if y < today.year) or sorted(facts.hotline)
    detail = ""
    if years:
        first, last = years[0], years[-1]
        detail = str(_("{first} 年 {a} 件 → {last} 年 {b} 件")).format(
            first=first, a=facts.hotline[first], last=last, b=facts.hotline[last]
        )
    return Milestone(
        "hotline",
        str(_("12345 诉求趋势")),
        None,
        evidence=reverse("tickets:rates", args=[facts.compound.code]),
        detail=detail,
        reached=bool(years) and facts.hotline[years[-1]] < facts.hotline[years[0]],
    )


def compounds_progress(compounds: Sequence[Compound], today: dt.date) -> list[Progress]:
    return [derive(facts, today) for facts in load_facts(compounds)]


def office_compounds(office: StreetOffice) -> list[Compound]:
    """The street office's compounds with what the board shows of each (one query)."""
    return list(
        office.compounds.select_related("street_office", "service_company").order_by("name", "id")
    )


def collection_target(office: StreetOffice) -> Decimal:
    row = BoardSettings.objects.filter(street_office=office).values_list(
        "collection_target", flat=True
    )
    return next(iter(row), DEFAULT_COLLECTION_TARGET)


__all__ = [
    "STAGES",
    "Facts",
    "Milestone",
    "Progress",
    "compounds_progress",
    "derive",
    "load_facts",
]
