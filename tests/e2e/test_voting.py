"""A decision from draft to published in a real browser, with an online and a paper ballot."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.models import Role
from tests.factories import make_member
from voting.models import Ballot, Decision, DecisionState

pytestmark = pytest.mark.e2e


def local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_decision_from_draft_to_published(cast, make_page, login, screenshot):
    make_member("committee2", Role.COMMITTEE_MEMBER, compound=cast.compound)
    now = timezone.now()
    committee = make_page()
    login(committee, "committee")
    committee.goto("/c/home/")
    committee.click("#compound-sections a:has-text('业主共同决定')")
    committee.click("text=新建决定")
    committee.fill("#id_title", "选聘物业服务企业")
    committee.fill("#id_voting_opens_at", local(now + dt.timedelta(days=16)))
    committee.fill("#id_voting_closes_at", local(now + dt.timedelta(days=30)))
    committee.click("main form button[type=submit]")
    committee.fill("#id_title", "选聘某物业为本小区物业服务企业")
    committee.select_option("#id_category", "4")
    committee.click("main form[action$='/items/'] button[type=submit]")
    assert "选聘某物业为本小区物业服务企业" in committee.inner_text("main")
    committee.click("#do-announce")
    assert "已公告" in committee.inner_text("h1")
    decision = Decision.objects.get()
    assert decision.roll.count() == 6

    # Fifteen days later: move the window to now (the notice period has passed).
    Decision.objects.filter(pk=decision.pk).update(
        announced_at=now - dt.timedelta(days=20),
        voting_opens_at=now - dt.timedelta(minutes=5),
        voting_closes_at=now + dt.timedelta(days=1),
    )
    committee.reload()
    committee.click("#do-open")
    assert "投票中" in committee.inner_text("h1")

    resident = make_page()
    login(resident, "resident")
    resident.goto(decision.get_absolute_url())
    resident.click("#my-ballot")
    resident.check("input[value=agree]")
    resident.click("form.ballot-form button[type=submit]")
    assert "投票成功" in resident.inner_text("main")
    receipt = Ballot.objects.get(entry__owner__user=cast.resident).receipt_code
    screenshot(resident, "voting-resident-ballot")

    # A paper ballot, keyed by two different committee members.
    code = decision.roll.get(number=4).ballot_code
    committee.goto(f"/c/home/decisions/{decision.pk}/paper/?code={code}")
    committee.select_option("select[name^=item_]", "agree")
    committee.click("#paper-form button[type=submit]")
    assert "待第二人录入" in committee.inner_text("main")
    second = make_page()
    login(second, "committee2")
    second.goto(f"/c/home/decisions/{decision.pk}/paper/")
    second.fill("#ballot_code", code)
    second.select_option("select[name^=item_]", "agree")
    second.click("#paper-form button[type=submit]")
    assert "两次录入一致" in second.inner_text("main")

    committee.goto(f"/c/home/decisions/{decision.pk}/turnout/")
    assert committee.locator("#turnout tbody tr").count() == 2
    assert committee.locator("svg.chart").count() == 1

    Decision.objects.filter(pk=decision.pk).update(voting_closes_at=now - dt.timedelta(minutes=1))
    committee.goto(decision.get_absolute_url())
    committee.click("#do-close")
    committee.fill("#id_counting_date", timezone.localdate().isoformat())
    committee.fill("#id_counting_place", "居委会活动室")
    committee.fill("#id_counters", "甲、乙、丙")
    committee.fill("#id_notary_office", "某公证处")
    committee.check("#id_public_counting")
    committee.click("#do-count")
    assert committee.locator("#publication-reminder").count() == 1
    committee.click("#do-publish")
    assert "已公布" in committee.inner_text("h1")
    screenshot(committee, "voting-published")
    assert Decision.objects.get().state == DecisionState.PUBLISHED

    public = make_page()
    public.goto(f"/public/home/decisions/{decision.pk}/result/")
    text = public.inner_text("main")
    assert "33.33%" in text  # 2 of 6 owners took part
    assert "100.00%" in text  # both agreed
    assert "未通过" in text  # participation below 2/3
    public.fill("#receipt-code", receipt)
    public.click("form:has(#receipt-code) button[type=submit]")
    assert "已计入" in public.inner_text("#receipt-result")
    assert "业主-home" not in public.content()
