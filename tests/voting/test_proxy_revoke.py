"""The committee revokes a proxy (委托投票): audited, refused once the holder has voted."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import AuditEntry
from voting import selectors, services
from voting.models import Ballot, Channel, Proxy

from .helpers import close, make_decision, resident_of


@pytest.fixture
def holder(cast):
    return resident_of(cast, "2", 1, "holder")


def register(decision, cast, holder, name="张三"):
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    return services.proxy_register(
        decision=decision,
        entry=entry,
        actor=cast.committee,
        holder_name=name,
        holder_user=holder,
        authorisation=SimpleUploadedFile("auth.pdf", b"%PDF-1.4 signed", "application/pdf"),
    )


def vote_as(decision, user, entry, choice="agree"):
    return services.ballot_cast(
        decision=decision,
        entry=entry,
        user=user,
        choices={i.pk: choice for i in decision.items.all()},
    )


def revoke_url(proxy):
    return reverse("voting:proxy_revoke", args=[proxy.compound.code, proxy.decision_id, proxy.pk])


def test_a_revoked_proxy_can_no_longer_vote_and_a_new_one_may_be_registered(cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    services.proxy_revoke(proxy=proxy, actor=cast.committee, reason="  业主书面撤回授权 ")
    proxy.refresh_from_db()
    assert proxy.revoked_at is not None and proxy.revoked_reason == "业主书面撤回授权"
    audit = AuditEntry.objects.get(action="voting.proxy.revoke")
    assert audit.actor == cast.committee
    assert audit.data == {
        "voter": proxy.entry.number,
        "holder": "张三",
        "reason": "业主书面撤回授权",
    }
    assert proxy.entry not in selectors.roll_entries_for_user(decision, holder)
    with pytest.raises(ValidationError, match="不是该业主的代表/受托人"):
        vote_as(decision, holder, proxy.entry)
    assert not Ballot.objects.exists()
    again = register(decision, cast, holder, name="李四")
    assert again.is_active and Proxy.objects.count() == 2


def test_revoking_after_the_holder_voted_is_refused(cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    vote_as(decision, holder, proxy.entry, "disagree")
    with pytest.raises(ValidationError) as err:
        services.proxy_revoke(proxy=proxy, actor=cast.committee, reason="业主书面撤回授权")
    assert "受托人张三已代为投票" in err.value.messages[0]
    assert "业主本人可在投票截止前亲自投票" in err.value.messages[0]
    proxy.refresh_from_db()
    assert proxy.is_active
    assert Ballot.objects.get().channel == Channel.PROXY
    assert not AuditEntry.objects.filter(action="voting.proxy.revoke").exists()


def test_revoking_needs_a_reason_an_active_proxy_and_an_unclosed_vote(cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    with pytest.raises(ValidationError, match="请填写撤销委托的原因"):
        services.proxy_revoke(proxy=proxy, actor=cast.committee, reason="   ")
    proxy.refresh_from_db()
    assert proxy.is_active
    services.proxy_revoke(proxy=proxy, actor=cast.committee, reason="登记有误")
    with pytest.raises(ValidationError, match="该委托已撤销"):
        services.proxy_revoke(proxy=proxy, actor=cast.committee, reason="登记有误")
    other = register(decision, cast, holder, name="李四")
    close(decision, cast)
    with pytest.raises(ValidationError, match="投票截止前撤销"):
        services.proxy_revoke(proxy=other, actor=cast.committee, reason="登记有误")
    other.refresh_from_db()
    assert other.is_active
    assert AuditEntry.objects.filter(action="voting.proxy.revoke").count() == 1


def test_the_decision_page_revokes_with_a_button(client, cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    client.force_login(cast.committee)
    page = client.get(decision.get_absolute_url()).content.decode()
    assert f'id="revoke-proxy-{proxy.pk}"' in page
    response = client.post(revoke_url(proxy), {"reason": "业主书面撤回授权"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert f"已撤销名册序号 {proxy.entry.number} 的委托投票" in shown
    proxy.refresh_from_db()
    assert not proxy.is_active
    page = response.content.decode()
    assert f'id="revoke-proxy-{proxy.pk}"' not in page and "业主书面撤回授权" in page


def test_the_page_offers_no_button_once_the_holder_voted(client, cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    vote_as(decision, holder, proxy.entry)
    client.force_login(cast.committee)
    page = client.get(decision.get_absolute_url()).content.decode()
    assert f'id="revoke-proxy-{proxy.pk}"' not in page and "已投票，不能撤销" in page
    response = client.post(revoke_url(proxy), {"reason": "x"}, follow=True)
    assert any("已代为投票" in str(m) for m in response.context["messages"])
    proxy.refresh_from_db()
    assert proxy.is_active


@pytest.mark.parametrize(
    "who", ["resident", "officer", "outsider_compound", "outsider_office", "outsider_resident"]
)
def test_only_the_committee_may_revoke(client, cast, holder, who):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    client.force_login(getattr(cast, who))
    assert client.post(revoke_url(proxy), {"reason": "x"}).status_code == 404
    proxy.refresh_from_db()
    assert proxy.is_active


def test_a_proxy_of_another_decision_is_not_found_under_this_one(client, cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    other = make_decision(cast, title="另一个决定")
    client.force_login(cast.committee)
    url = reverse("voting:proxy_revoke", args=["home", other.pk, proxy.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404
    proxy.refresh_from_db()
    assert proxy.is_active
