"""API v1 over the register: token auth, each endpoint for each role, masking, query counts."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from households.masking import mask_id_number, mask_phone
from households.models import Owner, Unit
from portal.models import AuditEntry, Role
from tests.factories import PASSWORD, make_compound, make_member

INSIDERS = ["officer", "committee", "company_staff", "property_unit_rep", "resident"]
STAFF = ["officer", "committee", "company_staff", "property_unit_rep"]
OUTSIDERS = ["outsider_compound", "outsider_office", "outsider_resident"]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The token endpoint's throttle counts in the cache; start every test from zero."""
    cache.clear()
    yield
    cache.clear()


def _get(client, user, url, **extra):
    client.force_login(user)
    return client.get(url, **extra)


def _resident_unit(cast) -> Unit:
    return Unit.objects.get(ownerships__owner__user=cast.resident, compound=cast.compound)


# --- authentication ---------------------------------------------------------------------


def test_token_from_username_and_password_authenticates_api_calls(cast, client):
    response = client.post("/api/v1/auth/token/", {"username": "committee", "password": PASSWORD})
    assert response.status_code == 200
    key = response.json()["token"]
    assert key == Token.objects.get(user=cast.committee).key

    listed = client.get("/api/v1/compounds/", HTTP_AUTHORIZATION=f"Token {key}")
    assert listed.status_code == 200
    assert [c["code"] for c in listed.json()["results"]] == ["home"]


def test_asking_again_returns_the_same_token_and_audits_only_the_first_issue(cast, client):
    first = client.post("/api/v1/auth/token/", {"username": "resident", "password": PASSWORD})
    again = client.post(
        "/api/v1/auth/token/",
        data=json.dumps({"username": "resident", "password": PASSWORD}),
        content_type="application/json",
    )
    assert first.json()["token"] == again.json()["token"]
    issued = AuditEntry.objects.filter(action="api.token_issued", actor=cast.resident)
    assert issued.count() == 1


def test_wrong_password_gets_no_token(cast, client):
    response = client.post("/api/v1/auth/token/", {"username": "committee", "password": "nope"})
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.filter(user=cast.committee).exists()


def test_token_endpoint_is_throttled_per_address(cast, client, settings):
    settings.AXES_ENABLED = False  # the lockout (tests/portal/test_lockout.py) would refuse first
    statuses = [
        client.post(
            "/api/v1/auth/token/", {"username": "committee", "password": "guess"}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    # Even the right password waits out the limit.
    right = client.post("/api/v1/auth/token/", {"username": "committee", "password": PASSWORD})
    assert right.status_code == 429


def test_a_bad_token_and_no_credentials_are_refused(cast, client):
    assert client.get("/api/v1/compounds/").status_code in (401, 403)
    bad = client.get("/api/v1/compounds/", HTTP_AUTHORIZATION="Token not-a-real-key")
    # The token authenticator comes first: an unusable token answers 401.
    assert bad.status_code == 401
    assert "results" not in bad.json()


def test_session_auth_works_for_the_api(cast, client):
    assert _get(client, cast.officer, "/api/v1/compounds/").status_code == 200


# --- compounds ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", INSIDERS)
def test_each_insider_lists_the_home_compound_with_its_households(cast, client, who):
    response = _get(client, getattr(cast, who), "/api/v1/compounds/")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    assert rows["home"] == {
        "code": "home",
        "name": "小区home",
        "address": "home 路1号",
        "street_office": {"code": "home-office", "name": "北太平庄街道(测试)"},
        "service_company": {"name": "测试物业", "contact_phone": ""},
        "households": 6,
    }


def test_the_street_officer_lists_every_compound_of_the_office(cast, client):
    response = _get(client, cast.officer, "/api/v1/compounds/")
    assert [c["code"] for c in response.json()["results"]] == ["home", "neighbour"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_do_not_list_the_home_compound(cast, client, who):
    response = _get(client, getattr(cast, who), "/api/v1/compounds/")
    assert response.status_code == 200
    codes = [c["code"] for c in response.json()["results"]]
    assert codes and "home" not in codes


@pytest.mark.parametrize("who", INSIDERS)
def test_each_insider_gets_the_compound_detail(cast, client, who):
    response = _get(client, getattr(cast, who), "/api/v1/compounds/home/")
    assert response.status_code == 200
    body = response.json()
    assert (body["households"], body["building_count"]) == (6, 2)
    assert (body["known_area"], body["units_without_area"]) == ("363.00", 0)


# --- buildings ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", STAFF)
def test_staff_list_the_buildings(cast, client, who):
    response = _get(client, getattr(cast, who), "/api/v1/compounds/home/buildings/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(b["number"], b["label"], b["unit_count"], b["area"]) for b in rows] == [
        ("1", "1号楼", 3, "181.50"),
        ("2", "2号楼", 3, "181.50"),
    ]


def test_residents_get_no_building_list(cast, client):
    assert _get(client, cast.resident, "/api/v1/compounds/home/buildings/").status_code == 404


# --- units -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", STAFF)
def test_staff_see_every_unit(cast, client, who):
    response = _get(client, getattr(cast, who), "/api/v1/compounds/home/units/")
    assert response.status_code == 200
    assert response.json()["count"] == 6
    owners = [o["name"] for u in response.json()["results"] for o in u["owners"]]
    assert owners == [f"业主-home-{b}-{u}" for b in (1, 2) for u in (1, 2, 3)]


def test_residents_see_only_their_own_units(cast, client):
    response = _get(client, cast.resident, "/api/v1/compounds/home/units/")
    assert response.status_code == 200
    (unit,) = response.json()["results"]
    assert unit["id"] == _resident_unit(cast).id
    assert [o["name"] for o in unit["owners"]] == ["业主-home-1-1"]


def test_units_filter_by_building_number(cast, client):
    response = _get(client, cast.committee, "/api/v1/compounds/home/units/?building=2")
    rows = response.json()["results"]
    assert len(rows) == 3
    assert {u["building"] for u in rows} == {"2"}
    assert (
        _get(client, cast.committee, "/api/v1/compounds/home/units/?building=99").json()["count"]
        == 0
    )


def test_the_building_filter_does_not_widen_a_residents_view(cast, client):
    response = _get(client, cast.resident, "/api/v1/compounds/home/units/?building=2")
    assert response.json()["count"] == 0
    response = _get(client, cast.resident, "/api/v1/compounds/home/units/?building=1")
    assert [u["id"] for u in response.json()["results"]] == [_resident_unit(cast).id]


@pytest.mark.parametrize("who", INSIDERS)
def test_each_insider_opens_the_residents_unit(cast, client, who):
    unit = _resident_unit(cast)
    response = _get(client, getattr(cast, who), f"/api/v1/compounds/home/units/{unit.id}/")
    assert response.status_code == 200
    assert response.json()["label"] == "1号楼 0101"


def test_a_resident_cannot_open_a_neighbours_unit(cast, client):
    other = cast.compound.units.exclude(pk=_resident_unit(cast).pk).first()
    response = _get(client, cast.resident, f"/api/v1/compounds/home/units/{other.id}/")
    assert response.status_code == 404


def test_a_unit_of_another_compound_is_absent_under_home(cast, client):
    foreign = cast.other_compound.units.first()
    response = _get(client, cast.officer, f"/api/v1/compounds/home/units/{foreign.id}/")
    assert response.status_code == 404


# --- owners ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", STAFF)
def test_staff_list_owners_with_masked_identifiers_only(cast, client, who):
    response = _get(client, getattr(cast, who), "/api/v1/compounds/home/owners/")
    assert response.status_code == 200
    rows = {o["name"]: o for o in response.json()["results"]}
    assert len(rows) == 6
    owner = Owner.objects.get(compound=cast.compound, name="业主-home-2-3")
    row = rows["业主-home-2-3"]
    assert row["id_number_masked"] == mask_id_number(owner.id_number) == "110***********0203"
    assert row["phone_masked"] == mask_phone(owner.phone) == "138****0203"
    assert [u["label"] for u in row["units"]] == ["2号楼 0301"]
    body = response.content.decode()
    for raw in Owner.objects.filter(compound=cast.compound).values_list("id_number", "phone"):
        assert raw[0] not in body and raw[1] not in body
    assert "id_number" not in row and "phone" not in row


def test_residents_get_no_owner_list(cast, client):
    assert _get(client, cast.resident, "/api/v1/compounds/home/owners/").status_code == 404


# --- outsiders ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize(
    "path", ["", "buildings/", "units/", "units/{unit}/", "owners/", "units/?building=1"]
)
def test_outsiders_get_404_everywhere_under_home(cast, client, who, path):
    url = "/api/v1/compounds/home/" + path.format(unit=_resident_unit(cast).id)
    response = _get(client, getattr(cast, who), url)
    assert response.status_code == 404
    assert "业主-home" not in response.content.decode()


def test_outsiders_with_a_token_get_404_too(cast, client):
    token = Token.objects.create(user=cast.outsider_compound)
    response = client.get("/api/v1/compounds/home/owners/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 404


def test_anonymous_callers_are_refused_under_home(cast, client):
    for path in ("", "units/", "owners/"):
        assert client.get(f"/api/v1/compounds/home/{path}").status_code in (401, 403)


# --- query counts ------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "path, queries",
    [
        # session, the user with their memberships (one statement), compound, then COUNT,
        # rows and one prefetch
        ("units/", 6),
        ("owners/", 6),
        ("buildings/", 5),
        ("", 4),
    ],
)
def test_lists_run_the_same_number_of_queries_for_3_and_30_units(
    cast, client, path, queries, django_assert_num_queries
):
    small = make_compound(cast.office, "small", buildings=1, units_per_building=3)
    large = make_compound(cast.office, "large", buildings=10, units_per_building=3)
    assert (small.units.count(), large.units.count()) == (3, 30)
    # One member of both compounds, so only the size of the compound differs.
    both = make_member("both", Role.COMMITTEE_MEMBER, compound=small)
    both.memberships.create(role=Role.COMMITTEE_MEMBER, compound=large)
    client.force_login(both)

    few = _count_queries(client, f"/api/v1/compounds/small/{path}")
    many = _count_queries(client, f"/api/v1/compounds/large/{path}")
    assert few == many
    with django_assert_num_queries(queries):
        client.get(f"/api/v1/compounds/large/{path}")


def test_compound_list_runs_the_same_number_of_queries_for_1_and_10_compounds(cast, client):
    client.force_login(cast.committee)
    one = _count_queries(client, "/api/v1/compounds/")
    for n in range(9):
        extra = make_compound(cast.office, f"extra-{n}", buildings=1, units_per_building=2)
        cast.committee.memberships.create(role=Role.COMMITTEE_MEMBER, compound=extra)
    response = client.get("/api/v1/compounds/")
    assert response.json()["count"] == 10
    assert _count_queries(client, "/api/v1/compounds/") == one
