"""Editing a draft decision's title, window and counting settings from its page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry
from voting.models import Decision, DecisionState

from .helpers import make_decision


def edit_url(decision):
    return reverse("voting:decision_update", args=[decision.compound.code, decision.pk])


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def form(**changes):
    data = {
        "decision-title": "选聘物业（修订）",
        "decision-description": "",
        "decision-voting_opens_at": "2031-03-01T09:00",
        "decision-voting_closes_at": "2031-03-10T18:00",
    }
    data.update({f"decision-{k}": v for k, v in changes.items()})
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_committee_edits_a_draft_from_its_page(client, cast):
    decision = make_decision(cast, state="draft")
    client.force_login(cast.committee)
    page = client.get(decision.get_absolute_url()).content.decode()
    assert 'id="decision-edit"' in page and 'name="decision-voting_opens_at"' in page
    assert local(decision.voting_opens_at) in page  # the current window, in local time
    response = client.post(
        edit_url(decision),
        form(spoiled_counts_as_participating="on", allow_changes_until_close="on"),
        follow=True,
    )
    decision.refresh_from_db()
    assert decision.title == "选聘物业（修订）"
    assert local(decision.voting_opens_at) == "2031-03-01T09:00"
    assert local(decision.voting_closes_at) == "2031-03-10T18:00"
    assert decision.spoiled_counts_as_participating and decision.allow_changes_until_close
    assert not decision.adopted_rules_follow_majority
    shown = messages_of(response)
    assert "已保存决定草稿的设置" in shown
    assert any("须在 2031-02-14 09:00 前公告" in m for m in shown)
    audit = AuditEntry.objects.filter(action="voting.decision.update").get()
    assert set(audit.data) == {
        "title",
        "voting_opens_at",
        "voting_closes_at",
        "spoiled_counts_as_participating",
        "allow_changes_until_close",
    }  # description and the majority rule did not change


def test_a_window_closing_before_it_opens_is_refused_and_nothing_is_saved(client, cast):
    decision = make_decision(cast, state="draft")
    before = Decision.objects.values().get(pk=decision.pk)
    client.force_login(cast.committee)
    response = client.post(
        edit_url(decision),
        form(voting_opens_at="2031-03-10T18:00", voting_closes_at="2031-03-01T09:00"),
        follow=True,
    )
    assert "投票截止时间必须晚于投票开始时间" in messages_of(response)
    assert Decision.objects.values().get(pk=decision.pk) == before
    assert not AuditEntry.objects.filter(action="voting.decision.update").exists()


def test_unreadable_input_names_the_field(client, cast):
    decision = make_decision(cast, state="draft")
    client.force_login(cast.committee)
    response = client.post(
        edit_url(decision), form(title="", voting_opens_at="next week"), follow=True
    )
    shown = messages_of(response)
    assert any(m.startswith("标题：") for m in shown)
    assert any(m.startswith("投票开始时间：") for m in shown)
    assert Decision.objects.get(pk=decision.pk).title == "测试决定"


def test_a_window_too_close_for_the_notice_period_is_flagged_and_announcing_refused(client, cast):
    """A draft has no announcement date yet: saving warns, announcing refuses (BJ 35)."""
    decision = make_decision(cast, state="draft")
    client.force_login(cast.committee)
    opens = timezone.now() + dt.timedelta(days=10)
    response = client.post(
        edit_url(decision),
        form(voting_opens_at=local(opens), voting_closes_at=local(opens + dt.timedelta(days=5))),
        follow=True,
    )
    assert any("距今不足15日" in m for m in messages_of(response))
    response = client.post(
        reverse("voting:action", args=["home", decision.pk, "announce"]), follow=True
    )
    assert any("公告之日起15日以后" in m for m in messages_of(response))
    assert Decision.objects.get(pk=decision.pk).state == DecisionState.DRAFT


def test_an_announced_decision_cannot_be_edited(client, cast):
    decision = make_decision(cast, state="announced")
    client.force_login(cast.committee)
    page = client.get(decision.get_absolute_url()).content.decode()
    assert 'id="decision-edit"' not in page
    response = client.post(edit_url(decision), form(), follow=True)
    assert "决定已公告，不能再修改" in messages_of(response)
    assert Decision.objects.get(pk=decision.pk).title == "测试决定"


@pytest.mark.parametrize(
    "who", ["resident", "officer", "company_staff", "outsider_compound", "outsider_office"]
)
def test_only_the_committee_may_edit(client, cast, who):
    decision = make_decision(cast, state="draft")
    client.force_login(getattr(cast, who))
    assert client.post(edit_url(decision), form()).status_code == 404
    assert Decision.objects.get(pk=decision.pk).title == "测试决定"
    if who == "officer":  # staff see the draft, but not the form
        page = client.get(decision.get_absolute_url()).content.decode()
        assert 'id="decision-edit"' not in page
