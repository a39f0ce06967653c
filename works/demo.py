"""Demo works of 学院南路32号院: the lift replacement of buildings 16 and 17 as it happened
(proposed 2021, replaced 2023-06), and the compound's opening maintenance-fund balances.

The basis is added to the demo's history: the 2021 proposal decided by the owners of
buildings 16 and 17 as a building-scoped CC 278 (7) item (rebuilding ancillary facilities)
that passed (≥ 2/3 participating, ≥ 3/4 of them consenting, by owners and by area). The
open lift vote of today's demo (voting.demo) is left as it is for residents to try.

Amounts are plausible and marked illustrative (``Project.illustrative``): the case report
gives the payers, not the figures. Everything goes through the services: decisions through
voting's, the project, plan and steps through works.services.projects and funding, the
owners' contributions as receipts through works.services.receipts (mostly collected), the
opening balances through the fund's import. Idempotent: what exists is left alone.
"""

import datetime as dt
import logging
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.html import escape

from portal.models import Compound, Membership, Role
from voting import rules
from voting import services as voting
from voting.models import Item
from voting.selectors import item_passed

from .models import (
    Contribution,
    DocumentKind,
    EntryKind,
    FundEntry,
    FundingKind,
    Project,
    ProjectStatus,
)
from .services.funding import FundingLineInput, funding_plan_set
from .services.projects import (
    ItemInput,
    Transition,
    document_upload,
    project_create,
    project_transition,
)
from .services.receipts import receipt_record

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")

TITLE_DECISION = "16号楼、17号楼电梯更新改造方案（2021年）"
ITEM = "拆除16号楼、17号楼4部超龄电梯并更新安装新电梯，资金由政府补贴、物业服务企业出资和业主自筹"
TITLE_PROJECT = "16号楼、17号楼电梯更新改造"
BUILDINGS = ("16", "17")
BUDGET = Decimal("2400000.00")
LINES = (
    (FundingKind.GOVERNMENT, "海淀区老旧小区综合整治电梯更新补贴（示意）", Decimal("1200000.00")),
    (FundingKind.COMPANY, "天岳恒物业", Decimal("240000.00")),
    (FundingKind.OWNERS, "16号楼、17号楼业主自筹", Decimal("960000.00")),
)
LIFTS = (
    ("16", "16号楼1号乘客电梯", "31101101082003060161"),
    ("16", "16号楼2号乘客电梯", "31101101082003060162"),
    ("17", "17号楼1号乘客电梯", "31101101082003060171"),
    ("17", "17号楼2号乘客电梯", "31101101082003060172"),
)
CONTRACTOR = "北京某电梯工程有限公司（示意）"
CONTRACT_SUM = Decimal("2380000.00")
SETTLED_AMOUNT = Decimal("2376800.00")
#: An illustrative opening balance of the maintenance fund per m² of exclusive area.
FUND_PER_M2 = Decimal("30.00")
FUND_AS_OF = dt.date(2023, 12, 31)


def _at(year: int, month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def _committee(compound: Compound):
    member = (
        Membership.objects.filter(compound=compound, role=Role.COMMITTEE_MEMBER)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return member.user if member else None


def seed_decision(compound: Compound, actor) -> Item:
    """The 2021 proposal, decided on paper by the owners of buildings 16 and 17: nine in ten
    took part and eight in nine of them agreed (every tenth owner did not vote, every tenth
    that did disagreed), so it passes the (7) thresholds by owners and by area."""
    buildings = list(compound.buildings.filter(number__in=BUILDINGS).values_list("id", flat=True))
    decision = voting.decision_create(
        compound=compound,
        actor=actor,
        title=TITLE_DECISION,
        description="16号楼、17号楼共4部电梯已超过使用年限，物业管理委员会提请两栋楼业主共同决定更新改造方案及资金筹集方式。",
        voting_opens_at=_at(2021, 11, 22, 9),
        voting_closes_at=_at(2021, 12, 6, 18),
    )
    item = voting.item_add(
        decision=decision,
        actor=actor,
        title=ITEM,
        category=rules.Category.REBUILDING,
        building_ids=buildings,
    )
    voting.decision_announce(decision=decision, actor=actor, at=_at(2021, 11, 1, 10))
    voting.decision_open(decision=decision, actor=actor, at=_at(2021, 11, 22, 9))
    # The owners of the most area all agree (a property-right unit holding many flats is
    # one owner, SPC 9), so the area ratios pass as surely as the owner counts.
    in_scope = decision.roll.filter(units__building_id__in=buildings).distinct()
    choices = {}
    ranked = in_scope.order_by("-area", "number").values_list("id", flat=True)
    for index, entry_id in enumerate(ranked):
        if index < 20:
            choices[entry_id] = "agree"
        elif index % 10 == 9:
            continue  # did not vote
        else:
            choices[entry_id] = "disagree" if index % 10 == 4 else "agree"
    voting.paper_ballots_import(
        decision=decision, actor=actor, choices_by_entry=choices, at=_at(2021, 12, 6, 17)
    )
    voting.decision_close(decision=decision, actor=actor, at=_at(2021, 12, 6, 18))
    voting.decision_count(
        decision=decision,
        actor=actor,
        counting_date=dt.date(2021, 12, 7),
        counting_place="学院南路32号院社区居委会活动室",
        counters="唱票：物管会委员；计票：物管会委员、居委会工作人员；监票：16号楼、17号楼业主代表",
        public_counting=True,
        at=_at(2021, 12, 7, 16),
    )
    voting.decision_publish(decision=decision, actor=actor, at=_at(2021, 12, 8, 9))
    # Read again: the item holds its decision as it was before counting (no result yet).
    item = Item.objects.select_related("decision").get(pk=item.pk)
    if not item_passed(item):  # the register changed under the demo: say so plainly
        raise RuntimeError("works.demo: the 2021 lift proposal did not pass on this register")
    return item


def _step(project: Project, actor, to_status: str, on: dt.date, **facts) -> Project:
    return project_transition(
        project=project, actor=actor, step=Transition(to_status=to_status, on=on, **facts)
    )


def _collect(compound: Compound, project: Project, actor) -> None:
    """Owners' contributions mostly collected in 2022 (most in full, some in part, a few
    not yet), the company's part at signing and the subsidy after acceptance."""
    owners = project.funding.get(kind=FundingKind.OWNERS)
    rng = random.Random("works-lifts-2022")
    contributions = (
        Contribution.objects.filter(compound=compound, project=project)
        .select_related("unit__building")
        .order_by("building__sort_key", "unit__number")
    )
    for contribution in contributions:
        draw = rng.random()
        if draw < 0.06:
            continue  # not paid yet
        amount = (
            contribution.share
            if draw >= 0.12
            else (contribution.share / 2).quantize(Decimal("0.01"))
        )
        receipt_record(
            compound=compound,
            project=project,
            line=owners,
            unit=contribution.unit,
            amount=amount,
            received_on=dt.date(2022, 1, 10) + dt.timedelta(days=rng.randrange(0, 170)),
            idempotency_key=f"demo-works-{project.pk}-unit-{contribution.unit_id}",
            reference=f"YZ{contribution.unit_id:06d}",
            actor=actor,
        )
    for kind, day in (
        (FundingKind.COMPANY, dt.date(2023, 3, 20)),
        (FundingKind.GOVERNMENT, dt.date(2023, 7, 14)),
    ):
        line = project.funding.get(kind=kind)
        receipt_record(
            compound=compound,
            project=project,
            line=line,
            amount=line.amount,
            received_on=day,
            idempotency_key=f"demo-works-{project.pk}-{kind}",
            reference=f"{kind.upper()}-2023",
            actor=actor,
        )


def _illustrative_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF standing for a document of the case (marked illustrative)."""
    from weasyprint import HTML

    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return HTML(
        string=f'<html lang="zh"><body style="font-family: sans-serif"><h1>{escape(title)}</h1>'
        f"<p><b>示意文件（演示数据），不是实际记录。</b></p>{body}</body></html>"
    ).write_pdf()


def _document(project: Project, actor, kind: str, title: str, lines: list[str]) -> None:
    document_upload(
        project=project,
        actor=actor,
        kind=kind,
        title=title,
        content=_illustrative_pdf(f"{project.title} · {title}", lines),
        filename=f"{title}.pdf",
        public=True,
    )


def seed_project(compound: Compound, actor, basis: Item) -> Project:
    project = project_create(
        compound=compound,
        actor=actor,
        title=TITLE_PROJECT,
        budget=BUDGET,
        proposed_on=dt.date(2021, 9, 10),
        description="16号楼、17号楼（高层，各18层）共4部电梯于2003年投入使用，超过使用年限且多次停梯，"
        "物业管理委员会提出整体更新。金额为示意数据。",
        building_numbers=BUILDINGS,
        items=[ItemInput(name, number, building) for building, name, number in LIFTS],
        illustrative=True,
    )
    funding_plan_set(
        project=project,
        actor=actor,
        lines=[FundingLineInput(kind, amount, payer) for kind, payer, amount in LINES],
    )
    project = _step(project, actor, ProjectStatus.APPROVED, dt.date(2021, 12, 10), basis_item=basis)
    project = _step(
        project,
        actor,
        ProjectStatus.CONTRACTED,
        dt.date(2023, 3, 15),
        contractor=CONTRACTOR,
        contract_sum=CONTRACT_SUM,
    )
    lifts = "、".join(f"{name}（注册代码 {number}）" for _building, name, number in LIFTS)
    _document(
        project,
        actor,
        DocumentKind.CONTRACT,
        "电梯更新改造施工合同（摘要）",
        [
            f"发包方：{compound.name}物业管理委员会；承包方：{CONTRACTOR}",
            f"合同金额：{CONTRACT_SUM:,.2f} 元；签订日期：2023-03-15",
            f"工程内容：{lifts}",
        ],
    )
    project = _step(project, actor, ProjectStatus.IN_PROGRESS, dt.date(2023, 4, 10))
    project = _step(project, actor, ProjectStatus.ACCEPTED, dt.date(2023, 6, 28))
    _document(
        project,
        actor,
        DocumentKind.ACCEPTANCE,
        "竣工验收报告",
        [
            "验收日期：2023-06-28；参加单位：物业管理委员会、街道办事处、物业服务企业、施工单位、"
            "特种设备检验机构",
            f"验收范围：{lifts}",
            "结论：4部电梯经监督检验合格，同意交付使用。",
        ],
    )
    _collect(compound, project, actor)
    project = _step(
        project, actor, ProjectStatus.SETTLED, dt.date(2023, 9, 20), settled_amount=SETTLED_AMOUNT
    )
    _document(
        project,
        actor,
        DocumentKind.SETTLEMENT,
        "工程结算报告",
        [
            f"合同金额 {CONTRACT_SUM:,.2f} 元，结算金额 {SETTLED_AMOUNT:,.2f} 元（2023-09-20）",
            "资金来源：政府补贴、物业服务企业出资、业主自筹，见工程公示。",
        ],
    )
    return project


def seed_fund(compound: Compound, actor) -> None:
    """Opening balances of every unit of known area (illustrative: 30 yuan per m²), as one
    CSV through the fund's import (all rows or none)."""
    try:
        from .services.fund_import import fund_import
    except ImportError:  # the fund's import not there: no opening balances
        log.warning("works.demo: the fund import is missing; no opening balances seeded")
        return
    units = (
        compound.units.filter(floor_area__isnull=False)
        .select_related("building")
        .order_by("building__sort_key", "number")
    )
    lines = ["楼号,房号,余额,日期,备注"]
    for unit in units:
        assert unit.floor_area is not None  # filtered above
        balance = (unit.floor_area * FUND_PER_M2).quantize(Decimal("0.01"))
        lines.append(f"{unit.building.number},{unit.number},{balance},{FUND_AS_OF},示意数据")
    report = fund_import(
        compound=compound,
        data="\n".join(lines).encode("utf-8"),
        filename="维修资金期初余额（示意）.csv",
        actor=actor,
        today=FUND_AS_OF + dt.timedelta(days=1),
    )
    if getattr(report, "errors", None):
        log.warning("works.demo: opening balances refused: %s", report.errors[:3])


@transaction.atomic
def seed(compound: Compound) -> None:
    """Add the demo works and fund balances to ``compound`` unless they are there."""
    if compound.buildings.filter(number__in=BUILDINGS).count() != len(BUILDINGS):
        return
    actor = _committee(compound)
    if not Project.objects.filter(compound=compound, title=TITLE_PROJECT).exists():
        basis = (
            Item.objects.filter(decision__compound=compound, decision__title=TITLE_DECISION)
            .select_related("decision")
            .first()
        )
        if basis is None:
            basis = seed_decision(compound, actor)
        seed_project(compound, actor, basis)
    if not FundEntry.objects.filter(compound=compound, kind=EntryKind.OPENING).exists():
        seed_fund(compound, actor)


__all__ = ["seed"]
