"""The members API's one-member operations (issue 11 item 6): grant and revoke a role in
the compound's scope, deactivate and reactivate, over the same services as the pages.

``/api/v1/compounds/{code}/members/{username}/roles/`` (POST), ``…/roles/{role}/``
(DELETE), ``…/deactivate/`` and ``…/reactivate/`` (POST)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from portal.models import AuditEntry, Membership, Role
from tests.factories import PASSWORD, make_member

User = get_user_model()
BASE = "/api/v1/compounds/{code}/members/{username}/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()


def url(username: str, tail: str, code: str = "home") -> str:
    return BASE.format(code=code, username=username) + tail


def grant(client, username, role, code="home", **extra):
    return client.post(
        url(username, "roles/", code), {"role": role}, content_type="application/json", **extra
    )


def grant_admin(client, username, role):
    return client.post(
        url(username, "roles/"),
        {"role": role, "company_admin": True},
        content_type="application/json",
    )


def roles_of(username: str) -> set[tuple[str, str | None]]:
    return {
        (m.role, m.compound.code if m.compound else None)
        for m in Membership.objects.filter(user__username=username).select_related("compound")
    }


def state():
    """Everything an endpoint could change: memberships, active flags and the audit log."""
    return (
        sorted(
            Membership.objects.values_list("user_id", "role", "compound_id", "street_office_id")
        ),
        sorted(User.objects.values_list("username", "is_active")),
        AuditEntry.objects.count(),
    )


# --- success shapes -------------------------------------------------------------------------


def test_grant_answers_201_with_the_member_then_200_when_held(cast, client):
    client.force_login(cast.officer)
    response = grant(client, "company_staff", "committee_member")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"username", "name", "is_active", "roles"}
    assert body["username"] == "company_staff" and body["is_active"] is True
    assert {(r["role"], r["compound"], r["service_company"]) for r in body["roles"]} == {
        ("committee_member", "home", None),
        ("company_staff", None, "测试物业"),
    }
    assert ("committee_member", "home") in roles_of("company_staff")
    audits = AuditEntry.objects.count()
    again = grant(client, "company_staff", "committee_member")
    assert again.status_code == 200
    assert again.json() == body
    assert AuditEntry.objects.count() == audits  # granting twice changes nothing


def test_each_role_is_granted_in_this_compounds_scope(cast, client):
    client.force_login(cast.officer)
    assert grant(client, "committee", "street_officer").status_code == 201
    assert grant(client, "committee", "company_staff").status_code == 201
    assert grant(client, "committee", "property_unit_rep").status_code == 201
    held = Membership.objects.filter(user=cast.committee)
    assert held.get(role=Role.STREET_OFFICER).street_office == cast.office
    assert held.get(role=Role.COMPANY_STAFF).service_company == cast.company
    assert held.get(role=Role.PROPERTY_UNIT_REP).compound == cast.compound


def test_revoke_answers_204_and_the_role_is_gone(cast, client):
    client.force_login(cast.officer)
    response = client.delete(url("property_unit_rep", "roles/property_unit_rep/"))
    assert response.status_code == 204
    assert response.content == b""
    assert roles_of("property_unit_rep") == set()
    assert AuditEntry.objects.filter(action="membership.revoke").count() == 1
    # Gone now: the member is no longer in the list, so a second revoke is a 404.
    assert client.delete(url("property_unit_rep", "roles/property_unit_rep/")).status_code == 404


def test_revoke_of_a_role_not_held_here_is_404(cast, client):
    client.force_login(cast.officer)
    before = state()
    for role in ("company_staff", "resident", "king", "street_officer"):
        assert client.delete(url("committee", f"roles/{role}/")).status_code == 404
    assert state() == before


def test_deactivate_and_reactivate_answer_the_member(cast, client):
    client.force_login(cast.officer)
    response = client.post(url("committee", "deactivate/"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "committee" and body["is_active"] is False
    assert body["roles"][0]["role"] == "committee_member"
    cast.committee.refresh_from_db()
    assert not cast.committee.is_active
    assert cast.committee.account_state.deactivated_by == cast.officer
    # The list still shows the deactivated member, so reactivation finds them.
    response = client.post(url("committee", "reactivate/"))
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    cast.committee.refresh_from_db()
    assert cast.committee.is_active
    assert client.login(username="committee", password=PASSWORD)  # the old password


def test_deactivation_ends_a_logged_in_session_and_a_token_at_once(cast, client):
    from django.test import Client

    units = "/api/v1/compounds/home/units/"
    theirs = Client()
    assert theirs.login(username="committee", password=PASSWORD)
    assert theirs.get(units).status_code == 200
    key = Client().post(TOKEN, {"username": "committee", "password": PASSWORD}).json()["token"]
    assert Client().get(units, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200

    client.force_login(cast.officer)
    assert client.post(url("committee", "deactivate/")).status_code == 200

    assert theirs.get(units).status_code in (401, 403)
    assert Client().get(units, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    # Reactivating does not bring the token back.
    assert client.post(url("committee", "reactivate/")).status_code == 200
    assert Client().get(units, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_a_token_caller_works_too(cast, client):
    key = client.post(TOKEN, {"username": "officer", "password": PASSWORD}).json()["token"]
    response = client.post(
        url("committee", "roles/"),
        {"role": "property_unit_rep"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 201
    assert ("property_unit_rep", "home") in roles_of("committee")


# --- who may call ---------------------------------------------------------------------------


def _every_call(client, username="committee", code="home"):
    return [
        grant(client, username, "property_unit_rep", code),
        client.delete(url(username, "roles/committee_member/", code)),
        client.post(url(username, "deactivate/", code)),
        client.post(url(username, "reactivate/", code)),
    ]


@pytest.mark.parametrize(
    ("who", "code", "expected"),
    [
        ("outsider_office", "home", 404),  # an officer of another street office
        ("outsider_compound", "home", 404),  # a committee member of the neighbour compound
        ("committee", "home", 404),  # no managing role: like a missing compound
        ("property_unit_rep", "home", 404),
        ("resident", "home", 404),
        ("company_staff", "home", 403),  # serves the compound but is no company admin
        ("officer", "far", 404),  # another street office's compound
        ("officer", "no-such", 404),
        (None, "home", 401),
    ],
)
def test_anyone_else_is_refused_and_nothing_changes(cast, client, who, code, expected):
    if who:
        client.force_login(getattr(cast, who))
    before = state()
    assert [r.status_code for r in _every_call(client, code=code)] == [expected] * 4
    assert state() == before


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("outsider_compound", "home"),  # the officer manages them, but in the neighbour compound
        ("committee", "neighbour"),  # the officer's compound, but not this member's
        ("outsider_office", "home"),  # another street office's officer
        ("resident", "home"),  # residents are not staff
        ("nobody", "home"),
        ("Committee", "home"),
    ],
)
def test_a_member_outside_the_compounds_list_is_404(cast, client, username, code):
    client.force_login(cast.officer)
    before = state()
    assert [r.status_code for r in _every_call(client, username, code)] == [404] * 4
    assert state() == before


def test_an_outsider_officer_never_learns_of_home_members(cast, client):
    """Under their own compound's code, home's members are as absent as a made-up name."""
    client.force_login(cast.outsider_office)
    for username in ("committee", "officer", "company_staff", "nobody"):
        assert [r.status_code for r in _every_call(client, username, "far")] == [404] * 4


def test_company_admin_manages_the_companys_staff_only(cast, client):
    Membership.objects.filter(user=cast.company_staff).update(can_manage_staff=True)
    colleague = make_member("colleague", Role.COMPANY_STAFF, service_company=cast.company)
    client.force_login(cast.company_staff)
    assert grant(client, "colleague", "company_staff").status_code == 200  # already held
    response = client.post(url("colleague", "deactivate/"))
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert client.post(url("colleague", "reactivate/")).status_code == 200
    before = state()
    # Roles outside the company: refused with the service's message.
    for role in ("committee_member", "street_officer", "property_unit_rep"):
        refused = grant(client, "colleague", role)
        assert refused.status_code == 403
        assert "管理范围" in refused.json()["detail"]
    # Members outside the company are not in their list at all.
    assert [r.status_code for r in _every_call(client, "committee")] == [404] * 4
    assert state() == before
    assert client.delete(url("colleague", "roles/company_staff/")).status_code == 204
    assert not Membership.objects.filter(user=colleague).exists()


def test_an_officer_grants_company_staff_with_the_administration(cast, client):
    client.force_login(cast.officer)
    response = grant_admin(client, "committee", "company_staff")
    assert response.status_code == 201, response.content
    roles = {r["role"]: r for r in response.json()["roles"]}
    assert roles["company_staff"]["company_admin"] is True
    assert Membership.objects.get(user=cast.committee, role=Role.COMPANY_STAFF).can_manage_staff
    assert AuditEntry.objects.filter(action="membership.company_admin").count() == 1
    # Already company staff without the administration: the flag alone is added (200).
    assert grant_admin(client, "company_staff", "company_staff").status_code == 200
    assert Membership.objects.get(user=cast.company_staff).can_manage_staff


def test_the_administration_with_another_role_is_refused_and_nothing_granted(cast, client):
    client.force_login(cast.officer)
    before = state()
    response = grant_admin(client, "company_staff", "committee_member")
    assert response.status_code == 400, response.content
    assert "企业管理员" in str(response.json())
    assert state() == before


def test_a_company_admin_cannot_name_another_admin(cast, client):
    Membership.objects.filter(user=cast.company_staff).update(can_manage_staff=True)
    make_member("colleague", Role.COMPANY_STAFF, service_company=cast.company)
    client.force_login(cast.company_staff)
    before = state()
    response = grant_admin(client, "colleague", "company_staff")
    assert response.status_code == 403, response.content
    assert state() == before
    assert not Membership.objects.get(user__username="colleague").can_manage_staff


# --- the services' refusals -----------------------------------------------------------------


def test_the_last_street_officer_is_kept(cast, client):
    client.force_login(cast.officer)
    before = state()
    response = client.delete(url("officer", "roles/street_officer/"))
    assert response.status_code == 400
    assert "最后一名" in str(response.json())
    assert state() == before
    # With a second officer, that one can go, and then the first is the last again.
    make_member("officer2", Role.STREET_OFFICER, street_office=cast.office)
    assert client.post(url("officer2", "deactivate/")).status_code == 200
    refused = client.delete(url("officer", "roles/street_officer/"))
    assert refused.status_code == 400
    assert Membership.objects.filter(user=cast.officer, role=Role.STREET_OFFICER).exists()


def test_the_last_street_officer_cannot_be_deactivated(cast, client):
    other = make_member("officer2", Role.STREET_OFFICER, street_office=cast.office)
    client.force_login(other)
    assert client.post(url("officer", "deactivate/")).status_code == 200
    make_member("officer3", Role.STREET_OFFICER, street_office=cast.office)
    client.force_login(User.objects.get(username="officer3"))
    assert client.post(url("officer2", "deactivate/")).status_code == 200
    client.force_login(other)  # deactivated: the session no longer counts
    assert client.post(url("officer3", "deactivate/")).status_code in (401, 403)
    client.force_login(cast.officer)
    assert client.post(url("officer3", "deactivate/")).status_code in (401, 403)
    root = User.objects.create_superuser("root", password=PASSWORD)
    client.force_login(root)
    before = state()
    response = client.post(url("officer3", "deactivate/"))
    assert response.status_code == 400
    assert "最后一名" in str(response.json())
    assert state() == before


def test_nobody_deactivates_themselves(cast, client):
    make_member("officer2", Role.STREET_OFFICER, street_office=cast.office)
    client.force_login(cast.officer)
    before = state()
    for action in ("deactivate/", "reactivate/"):
        response = client.post(url("officer", action))
        assert response.status_code == 400
        assert "自己的账号" in str(response.json())
    assert state() == before


def test_an_account_with_roles_elsewhere_is_refused_403(cast, client):
    """The neighbour-office's officer holds a committee seat here too: this office may
    revoke that seat but not deactivate the account."""
    Membership.objects.create(
        user=cast.outsider_office, role=Role.COMMITTEE_MEMBER, compound=cast.compound
    )
    client.force_login(cast.officer)
    before = state()
    response = client.post(url("outsider_office", "deactivate/"))
    assert response.status_code == 403
    assert "管理范围之外" in response.json()["detail"]
    assert state() == before
    assert client.delete(url("outsider_office", "roles/committee_member/")).status_code == 204


@pytest.mark.parametrize(
    "body",
    [{}, {"role": ""}, {"role": "king"}, {"role": "resident"}, {"role": ["x"]}, ["role"]],
)
def test_a_bad_grant_body_is_400_and_nothing_changes(cast, client, body):
    client.force_login(cast.officer)
    before = state()
    response = client.post(url("committee", "roles/"), body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert state() == before


def test_a_deactivated_account_gets_no_new_role(cast, client):
    client.force_login(cast.officer)
    assert client.post(url("committee", "deactivate/")).status_code == 200
    before = state()
    response = grant(client, "committee", "property_unit_rep")
    assert response.status_code == 400
    assert "已停用" in str(response.json())
    assert state() == before


def test_english_refusals_when_asked_in_english(cast, client):
    client.force_login(cast.officer)
    response = grant(client, "committee", "king", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "committee_member" in str(response.json())


# --- the schema -----------------------------------------------------------------------------


def test_the_endpoints_are_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    member = "/api/v1/compounds/{code}/members/{username}/"
    roles = paths[member + "roles/"]
    assert set(roles) - {"parameters"} == {"post"}
    assert {"200", "201", "400", "403", "404"} <= set(roles["post"]["responses"])
    role = paths[member + "roles/{role}/"]
    assert set(role) - {"parameters"} == {"delete"}
    assert {"204", "400", "403", "404"} <= set(role["delete"]["responses"])
    for action in ("deactivate/", "reactivate/"):
        operation = paths[member + action]["post"]
        assert "requestBody" not in operation
        assert {"200", "400", "403", "404"} <= set(operation["responses"])
