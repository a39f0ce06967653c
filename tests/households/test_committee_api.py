"""The committee API: scoped like the page, writes through the services (400 with field
errors, nothing saved), in the schema, a fixed number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.masking import mask_name
from households.models import CommitteeCandidate, CommitteeFormation, CommitteeRole
from households.services.committee import (
    committee_candidate_add,
    committee_form,
    committee_formation_start,
    committee_formation_step,
    committee_member_add,
)
from portal.models import AuditEntry
from tests.fees.helpers import bill, low_rise_standard

pytestmark = pytest.mark.django_db

BASE = "/api/v1/compounds/home/committee/"
OWNER = "业主-home-1-1"
TODAY = dt.date.today()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def under_way(compound):
    """A formation announced and nominated, not yet confirmed."""
    f = committee_formation_start(compound=compound, announced_on=ago(20))
    return committee_formation_step(formation=f, step="nominated_on", day=ago(10))


def test_the_schema_documents_the_committee_routes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    prefix = "/api/v1/compounds/{code}/committee/"
    assert "get" in paths[prefix]
    assert {"get", "post"} <= set(paths[prefix + "formations/"])
    for action in ("steps", "candidates", "corrections"):
        operation = paths[prefix + "formations/{formation_id}/" + action + "/"]["post"]
        assert {"400", "403", "404"} <= set(operation["responses"])


@pytest.mark.parametrize(
    "who", ["resident", "outsider_compound", "outsider_office", "district_officer"]
)
def test_outside_the_compounds_staff_everything_is_404(cast, client, who):
    f = under_way(cast.compound)
    client.force_login(getattr(cast, who))
    assert client.get(BASE).status_code == 404
    assert client.get(BASE + "formations/").status_code == 404
    response = client.post(
        f"{BASE}formations/{f.pk}/candidates/",
        {"name": "x", "kind": "owner"},
        content_type="application/json",
    )
    assert response.status_code == 404 and not CommitteeCandidate.objects.exists()


@pytest.mark.parametrize("who", ["committee", "company_staff", "property_unit_rep"])
def test_staff_read_but_only_the_street_office_writes(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(BASE).status_code == 200
    response = client.post(
        BASE + "formations/", {"announced_on": ago(3).isoformat()}, content_type="application/json"
    )
    assert response.status_code == 403 and not CommitteeFormation.objects.exists()


def test_the_officer_runs_a_formation_through_the_api(cast, client):
    low_rise_standard(cast.compound)
    bill(cast.compound)  # every unit owes 2022's fees
    client.force_login(cast.officer)
    response = client.post(
        BASE + "formations/",
        {"announced_on": (TODAY + dt.timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400 and "不能晚于今天" in response.json()["announced_on"][0]
    response = client.post(
        BASE + "formations/", {"announced_on": ago(20).isoformat()}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    f = response.json()
    assert f["next_step"] == "nominated_on" and f["committee"] is None
    url = f"{BASE}formations/{f['id']}/"

    # A step out of order: 400 under the field sent, nothing saved.
    response = client.post(
        url + "steps/",
        {"step": "nominated_on", "day": ago(25).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400 and "须不早于「公告」" in response.json()["day"][0]
    assert CommitteeFormation.objects.get().nominated_on is None
    response = client.post(
        url + "steps/",
        {"step": "nominated_on", "day": ago(10).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 200

    response = client.post(
        url + "candidates/", {"name": " ", "kind": "mayor"}, content_type="application/json"
    )
    assert response.status_code == 400 and set(response.json()) == {"name", "kind"}
    assert "请填写候选人姓名" in response.json()["name"][0]
    response = client.post(
        url + "candidates/", {"name": OWNER, "kind": "owner"}, content_type="application/json"
    )
    assert response.status_code == 201
    owner = response.json()
    assert owner["role"] == "owner_rep" and owner["member"] is None
    assert any("欠缴物业费" in w for w in owner["warnings"])
    chair = client.post(
        url + "candidates/",
        {"name": "居委会代表", "kind": "residents_committee", "role": "chair"},
        content_type="application/json",
    ).json()
    assert chair["warnings"] == []

    state = client.get(BASE).json()
    assert state["committee"] is None
    names = [c["name"] for c in state["pending_formation"]["candidates"]]
    assert names == [OWNER, "居委会代表"]

    response = client.post(
        url + "steps/",
        {
            "step": "confirmed_on",
            "day": ago(5).isoformat(),
            "candidates": [owner["id"], chair["id"]],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    confirmed = response.json()
    assert confirmed["committee"]["formed_on"] == ago(5).isoformat()
    assert all(c["member"] for c in confirmed["candidates"])
    state = client.get(BASE).json()
    members = {m["name"]: m for m in state["committee"]["members"]}
    assert members["居委会代表"]["role"] == "chair"
    assert any("欠缴物业费" in w for w in members[OWNER]["warnings"])
    assert state["formation"]["id"] == f["id"] and state["pending_formation"] is None

    response = client.post(
        url + "corrections/",
        {"step": "nominated_on", "day": ago(9).isoformat(), "reason": ""},
        content_type="application/json",
    )
    assert response.status_code == 400 and "reason" in response.json()
    response = client.post(
        url + "corrections/",
        {"step": "nominated_on", "day": ago(9).isoformat(), "reason": "推荐会议纪要日期"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["nominated_on"] == ago(9).isoformat()
    entry = AuditEntry.objects.get(action="committee.formation_correct")
    assert (
        entry.data["before"] == ago(10).isoformat() and entry.data["reason"] == "推荐会议纪要日期"
    )

    history = client.get(BASE + "formations/").json()
    assert [h["id"] for h in history] == [f["id"]]


def test_errors_come_in_english_when_asked(cast, client):
    client.force_login(cast.officer)
    response = client.post(
        BASE + "formations/",
        {"announced_on": (TODAY + dt.timedelta(days=1)).isoformat()},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "cannot be after today" in response.json()["announced_on"][0]


def test_a_formation_of_another_compound_is_404(cast, client):
    other = committee_formation_start(compound=cast.other_compound, announced_on=ago(3))
    client.force_login(cast.officer)
    response = client.post(
        f"{BASE}formations/{other.pk}/candidates/",
        {"name": "x", "kind": "owner"},
        content_type="application/json",
    )
    assert response.status_code == 404 and not CommitteeCandidate.objects.exists()


def test_names_are_masked_for_those_who_do_not_read_the_register(cast, client):
    f = under_way(cast.compound)
    committee_candidate_add(formation=f, name=OWNER, kind="owner")
    client.force_login(cast.property_unit_rep)
    body = client.get(BASE).content.decode()
    assert OWNER not in body and mask_name(OWNER) in body
    client.force_login(cast.committee)
    assert OWNER in client.get(BASE).content.decode()


def seat(committee, names):
    for name in names:
        committee_member_add(
            committee=committee, name=name, role=CommitteeRole.OWNER_REPRESENTATIVE
        )


def test_reads_cost_a_fixed_number_of_queries(cast, client, django_assert_num_queries):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    committee = committee_form(compound=cast.compound, formed_on=ago(400), term_end=ago(-600))
    seat(committee, [OWNER])
    f = under_way(cast.compound)
    committee_candidate_add(formation=f, name="业主-home-2-1", kind="owner")
    client.force_login(cast.officer)
    counts = {}
    for url in (BASE, BASE + "formations/"):
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        counts[url] = len(one)
    seat(committee, ["业主-home-1-2", "业主-home-1-3", "委员甲"])
    for name in ("业主-home-2-2", "业主-home-2-3", "居委"):
        committee_candidate_add(formation=f, name=name, kind="owner")
    for url in (BASE, BASE + "formations/"):
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200
    body = client.get(BASE).json()
    assert len(body["committee"]["members"]) == 4
    assert len(body["pending_formation"]["candidates"]) == 4
