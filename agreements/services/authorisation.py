"""Whether a decision item authorises an agreement, and when its term may start."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from voting import selectors as vote_selectors
from voting.models import DecisionState, Item
from voting.rules import Category

from .. import facts as facts_mod
from ..models import shift_months


def item_allows_agreement(item: Item) -> bool:
    """An agreement is authorised by an item that hires the service company (CC 278 (4))
    or that the committee marked as setting the fee standard (``Item.sets_fee_standard``)."""
    return item.category == Category.SERVICE_COMPANY or item.sets_fee_standard


def generation_blockers(item: Item) -> list[str]:
    """Why ``item`` cannot authorise an agreement (empty when it can), each reason naming
    what is missing."""
    decision = item.decision
    problems = []
    if decision.state not in (DecisionState.COUNTED, DecisionState.PUBLISHED):
        problems.append(
            _("共同决定“%(decision)s”尚未计票（当前状态：%(state)s），不能据此生成协议")
            % {"decision": decision.title, "state": decision.get_state_display()}
        )
    else:
        tally = vote_selectors.certified_tally(decision)
        result = tally.item(item.pk) if tally else None
        if result is None or not result.passed:
            failed = [
                _("%(rule)s %(value)s%% 未达到 %(threshold)s")
                % {"rule": check.name, "value": check.value, "threshold": check.threshold}
                for check in (result.failed_checks if result else [])
            ]
            problems.append(
                _("表决事项“%(item)s”未通过%(why)s")
                % {"item": item.title, "why": ("：" + "；".join(failed)) if failed else ""}
            )
    if not item_allows_agreement(item):
        problems.append(
            _(
                "表决事项“%(item)s”的类别为%(category)s，且未标明“涉及物业服务收费标准”；"
                "只有选聘物业服务企业（第二百七十八条第一款第（四）项）"
                "或涉及物业服务收费标准的事项可以生成四方协议"
            )
            % {"item": item.title, "category": item.get_category_display()}
        )
    return problems


def max_months_after_decision() -> int:
    """settings.AGREEMENT_MAX_MONTHS_AFTER_DECISION (6): a decision authorises the terms the
    owners saw when they voted; six months matches the renewal decision prepared from six
    months before a term ends (BJ 75)."""
    return settings.AGREEMENT_MAX_MONTHS_AFTER_DECISION


def decision_day(item: Item) -> dt.date | None:
    """The day the authorising decision was taken: its counting date (计票日期), else the
    local date it was counted; None while it is not counted."""
    decision = item.decision
    if decision.counting_date:
        return decision.counting_date
    return timezone.localdate(decision.counted_at) if decision.counted_at else None


def term_start_window(item: Item) -> tuple[dt.date, dt.date] | None:
    """The first and last day an agreement authorised by ``item`` may start: not before
    the decision, and within :func:`max_months_after_decision` months of it."""
    day = decision_day(item)
    if day is None:
        return None
    return day, shift_months(day, max_months_after_decision())


def term_start_problems(item: Item, term_start: dt.date) -> list[str]:
    """Why ``term_start`` does not fit the decision of ``item`` (empty when it does)."""
    window = term_start_window(item)
    if window is None:  # not counted: generation_blockers says so
        return []
    earliest, latest = window
    names = {
        "start": facts_mod.chinese_date(term_start),
        "decision": item.decision.title,
        "decided": facts_mod.chinese_date(earliest),
        "latest": facts_mod.chinese_date(latest),
        "months": max_months_after_decision(),
    }
    if term_start < earliest:
        return [
            _(
                "协议期限开始日期%(start)s早于授权它的共同决定“%(decision)s”的计票日期"
                "%(decided)s：协议不能在业主作出决定之前开始"
            )
            % names
        ]
    if term_start > latest:
        return [
            _(
                "协议期限开始日期%(start)s距授权它的共同决定“%(decision)s”的计票日期"
                "%(decided)s超过%(months)s个月，最晚须于%(latest)s开始；"
                "更晚开始的协议须有新的业主共同决定"
            )
            % names
        ]
    return []
