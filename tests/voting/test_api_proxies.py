"""API v1 of proxy votes (委托投票): list, register (multipart upload), revoke."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from portal.models import AuditEntry
from voting import selectors, services
from voting.models import Proxy

from .helpers import close, make_decision, resident_of


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def holder(cast):
    return resident_of(cast, "2", 1, "holder")


def proxies_url(decision, code="home"):
    return f"/api/v1/compounds/{code}/decisions/{decision.pk}/proxies/"


def revoke_url(proxy, code="home", decision_id=None):
    decision_id = decision_id or proxy.decision_id
    return f"/api/v1/compounds/{code}/decisions/{decision_id}/proxies/{proxy.pk}/revoke/"


def upload():
    return SimpleUploadedFile("auth.pdf", b"%PDF-1.4 signed", "application/pdf")


def register(decision, cast, holder, name="张三"):
    return services.proxy_register(
        decision=decision,
        entry=selectors.roll_entries_for_user(decision, cast.resident).get(),
        actor=cast.committee,
        holder_name=name,
        holder_user=holder,
        authorisation=upload(),
    )


def test_committee_registers_a_proxy_with_an_upload_and_lists_it(api, cast, holder):
    decision = make_decision(cast)
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    api.force_authenticate(cast.committee)
    response = api.post(
        proxies_url(decision),
        {
            "voter_number": entry.number,
            "holder_name": " 张三 ",
            "holder_username": holder.username,
            "authorisation": upload(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["voter_number"] == entry.number and body["holder_name"] == "张三"
    assert body["holder_username"] == holder.username
    assert body["is_active"] is True and body["has_voted"] is False
    assert "authorisation" not in body
    proxy = Proxy.objects.get()
    assert proxy.holder_user == holder and proxy.authorisation.read() == b"%PDF-1.4 signed"
    assert AuditEntry.objects.filter(action="voting.proxy.register").count() == 1
    listed = api.get(proxies_url(decision)).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == proxy.pk


def test_registering_refuses_a_missing_file_an_unknown_voter_and_an_unknown_holder(
    api, cast, holder
):
    decision = make_decision(cast)
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    api.force_authenticate(cast.committee)
    url = proxies_url(decision)
    no_file = api.post(url, {"voter_number": entry.number, "holder_name": "张三"})
    assert no_file.status_code == 400 and "authorisation" in no_file.json()
    unknown = api.post(
        url, {"voter_number": 9999, "holder_name": "张三", "authorisation": upload()}
    )
    assert unknown.status_code == 400
    assert unknown.json() == {"voter_number": ["名册中没有该序号"]}
    nobody = api.post(
        url,
        {
            "voter_number": entry.number,
            "holder_name": "张三",
            "holder_username": "no-such-user",
            "authorisation": upload(),
        },
    )
    assert nobody.json() == {"holder_username": ["受托人账号不存在或不属于本小区"]}
    assert not Proxy.objects.exists()
    register(decision, cast, holder)
    twice = api.post(
        url, {"voter_number": entry.number, "holder_name": "李四", "authorisation": upload()}
    )
    assert twice.status_code == 400 and "请先撤销" in twice.json()["detail"][0]
    assert Proxy.objects.count() == 1


def test_committee_revokes_a_proxy_with_a_reason(api, cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    api.force_authenticate(cast.committee)
    response = api.post(revoke_url(proxy), {"reason": " 业主书面撤回授权 "}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_active"] is False and body["revoked_reason"] == "业主书面撤回授权"
    proxy.refresh_from_db()
    assert proxy.revoked_at is not None
    audit = AuditEntry.objects.get(action="voting.proxy.revoke")
    assert audit.actor == cast.committee and audit.data["reason"] == "业主书面撤回授权"
    again = api.post(revoke_url(proxy), {"reason": "登记有误"}, format="json")
    assert again.status_code == 400 and again.json() == {"detail": ["该委托已撤销"]}


def test_revoking_without_a_reason_is_refused(api, cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    api.force_authenticate(cast.committee)
    for body in ({}, {"reason": "   "}):
        response = api.post(revoke_url(proxy), body, format="json")
        assert response.status_code == 400
        assert response.json() == {"reason": ["请填写撤销委托的原因"]}
    proxy.refresh_from_db()
    assert proxy.is_active
    assert not AuditEntry.objects.filter(action="voting.proxy.revoke").exists()


def test_revoking_after_the_holder_voted_is_refused(api, cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    services.ballot_cast(
        decision=decision,
        entry=proxy.entry,
        user=holder,
        choices={i.pk: "agree" for i in decision.items.all()},
    )
    api.force_authenticate(cast.committee)
    listed = api.get(proxies_url(decision)).json()["results"][0]
    assert listed["has_voted"] is True
    response = api.post(revoke_url(proxy), {"reason": "业主书面撤回授权"}, format="json")
    assert response.status_code == 400
    assert "受托人张三已代为投票" in response.json()["detail"][0]
    proxy.refresh_from_db()
    assert proxy.is_active


def test_revoking_after_the_close_is_refused(api, cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    close(decision, cast)
    api.force_authenticate(cast.committee)
    response = api.post(revoke_url(proxy), {"reason": "登记有误"}, format="json")
    assert response.status_code == 400 and "投票截止前撤销" in response.json()["detail"][0]
    proxy.refresh_from_db()
    assert proxy.is_active


@pytest.mark.parametrize(
    "who", ["resident", "officer", "outsider_compound", "outsider_office", "outsider_resident"]
)
def test_only_the_committee_lists_registers_and_revokes(api, cast, holder, who):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    api.force_authenticate(getattr(cast, who))
    assert api.get(proxies_url(decision)).status_code == 404
    posted = api.post(
        proxies_url(decision),
        {"voter_number": proxy.entry.number, "holder_name": "李四", "authorisation": upload()},
    )
    assert posted.status_code == 404
    assert api.post(revoke_url(proxy), {"reason": "x"}, format="json").status_code == 404
    proxy.refresh_from_db()
    assert proxy.is_active and Proxy.objects.count() == 1


def test_home_ids_under_another_compound_or_decision_are_not_found(api, cast, holder):
    decision = make_decision(cast)
    proxy = register(decision, cast, holder)
    other = make_decision(cast, title="另一个决定")
    api.force_authenticate(cast.committee)
    wrong_decision = revoke_url(proxy, decision_id=other.pk)
    assert api.post(wrong_decision, {"reason": "x"}, format="json").status_code == 404
    assert api.get(proxies_url(other)).json()["count"] == 0
    api.force_authenticate(cast.outsider_compound)
    own_code = cast.other_compound.code
    assert api.get(proxies_url(decision, code=own_code)).status_code == 404
    wrong_code = revoke_url(proxy, code=own_code)
    assert api.post(wrong_code, {"reason": "x"}, format="json").status_code == 404
    proxy.refresh_from_db()
    assert proxy.is_active
