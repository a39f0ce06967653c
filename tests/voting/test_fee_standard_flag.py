"""Item.sets_fee_standard: set when the item is added (page, API, service), locked after
the announcement like the rest of the item, shown on the decision page and the notice."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import AuditEntry
from voting import services
from voting.models import Decision

from .helpers import make_decision


def test_the_item_form_sets_the_flag_and_both_pages_show_it(client, cast):
    decision = make_decision(cast, items=(), state="draft")
    client.force_login(cast.committee)
    add = reverse("voting:item_add", args=["home", decision.pk])
    client.post(
        add, {"title": "选聘物业并执行新收费标准", "category": 4, "sets_fee_standard": "on"}
    )
    client.post(add, {"title": "修订管理规约", "category": 2})
    flagged, plain = decision.items.order_by("position")
    assert flagged.sets_fee_standard and not plain.sets_fee_standard
    page = client.get(decision.get_absolute_url()).content.decode()
    assert page.count('class="badge fee-standard"') == 1
    assert 'name="sets_fee_standard"' in page  # the checkbox of the add form
    entry = AuditEntry.objects.filter(action="voting.item.add").order_by("id").first()
    assert entry.data["sets_fee_standard"] is True
    services.decision_announce(
        decision=decision, actor=cast.committee, at=timezone.now() - dt.timedelta(days=20)
    )
    notice = client.get(reverse("voting_public:notice", args=["home", decision.pk]))
    body = notice.content.decode()
    assert notice.status_code == 200
    assert body.count('class="badge fee-standard"') == 1 and "涉及物业服务收费标准" in body


def test_the_api_takes_and_returns_the_flag(cast):
    api = APIClient()
    api.force_authenticate(cast.committee)
    response = api.post(
        "/api/v1/compounds/home/decisions/",
        {
            "title": "选聘物业",
            "voting_opens_at": "2031-02-01T09:00:00+08:00",
            "voting_closes_at": "2031-02-10T18:00:00+08:00",
            "items": [
                {"title": "选聘物业服务企业", "category": 4},
                {"title": "执行新的物业服务收费标准", "category": 9, "sets_fee_standard": True},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [i["sets_fee_standard"] for i in response.json()["items"]] == [False, True]
    decision = Decision.objects.get()
    assert list(decision.items.values_list("sets_fee_standard", flat=True)) == [False, True]


def test_no_item_can_be_flagged_after_the_announcement(cast):
    decision = make_decision(cast, state="announced")
    with pytest.raises(ValidationError, match="不能再增加或修改表决事项"):
        services.item_add(
            decision=decision,
            actor=cast.committee,
            title="执行新的物业服务收费标准",
            category=9,
            sets_fee_standard=True,
        )
    assert not decision.items.filter(sets_fee_standard=True).exists()
