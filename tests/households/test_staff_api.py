"""POST /api/v1/compounds/{code}/members/: the exact shape, who may call it, and that the
one-time password works for a normal login and for the token endpoint."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from portal.models import AccountState, Membership, Role
from tests.factories import PASSWORD

User = get_user_model()
URL = "/api/v1/compounds/{code}/members/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()


def post(client, user, body, code="home"):
    if user is not None:
        client.force_login(user)
    return client.post(URL.format(code=code), body, content_type="application/json")


def test_officer_creates_a_committee_member_and_the_password_works(cast, client):
    response = post(
        client, cast.officer, {"username": "wang.wei", "name": "王伟", "role": "committee_member"}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"username", "one_time_password"}
    assert body["username"] == "wang.wei"
    assert response["Cache-Control"] == "no-store"
    user = User.objects.get(username="wang.wei")
    assert user.first_name == "王伟"
    assert list(user.memberships.values_list("role", "compound__code")) == [
        ("committee_member", "home")
    ]
    assert AccountState.objects.get(user=user).must_change_password
    # A normal login and the token endpoint both take the one-time password.
    client.logout()
    assert client.login(username="wang.wei", password=body["one_time_password"])
    client.logout()
    token = client.post(TOKEN, {"username": "wang.wei", "password": body["one_time_password"]})
    assert token.status_code == 200 and token.json()["token"]


@pytest.mark.parametrize(
    ("role", "where"),
    [
        ("company_staff", ("service_company__name", "测试物业")),
        ("street_officer", ("street_office__code", "home-office")),
        ("property_unit_rep", ("compound__code", "home")),
    ],
)
def test_each_role_lands_in_its_scope(cast, client, role, where):
    response = post(client, cast.officer, {"username": "n1", "name": "某", "role": role})
    assert response.status_code == 201
    assert Membership.objects.filter(user__username="n1", role=role, **dict([where])).exists()


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"username": "r", "name": "业", "role": "resident"}, "detail", "开通通知书"),
        ({"username": "r", "name": "业", "role": "king"}, "detail", "未知角色"),
        ({"username": "committee", "name": "X", "role": "committee_member"}, "detail", "已被使用"),
        ({"username": "r", "name": "X", "role": "committee_member", "password": "123"}, "", ""),
        ({"username": "r", "role": "committee_member"}, "name", ""),
        ({"name": "X", "role": "committee_member"}, "username", ""),
        ({"username": "r", "name": "X"}, "role", ""),
        ({"username": "x" * 151, "name": "X", "role": "committee_member"}, "username", ""),
        ({"username": ["a"], "name": "X", "role": "committee_member"}, "username", ""),
        ({"username": "a b", "name": "X", "role": "committee_member"}, "username", ""),
        ({"username": "r", "name": "X", "role": "company_staff", "property_unit": "无"}, "", ""),
    ],
)
def test_bad_input_is_a_400_with_the_reason_and_nothing_created(
    cast, client, body, field, fragment
):
    users = User.objects.count()
    response = post(client, cast.officer, body)
    assert response.status_code == 400, response.content
    if field:
        assert field in response.json()
    if fragment:
        assert fragment in str(response.json())
    assert User.objects.count() == users


def test_english_errors_when_asked_in_english(cast, client):
    client.force_login(cast.officer)
    response = client.post(
        URL.format(code="home"),
        {"username": "r", "name": "X", "role": "king"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "committee_member" in str(response.json())


def test_a_json_list_body_is_refused(cast, client):
    response = post(client, cast.officer, ["username"])
    assert response.status_code == 400
    assert not User.objects.filter(username="username").exists()


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("committee", "home", 404),  # no managing role here: like a missing compound
        ("property_unit_rep", "home", 404),
        ("resident", "home", 404),
        ("outsider_office", "home", 404),
        ("outsider_compound", "home", 404),
        ("company_staff", "home", 403),  # serves the compound but is no company admin
        ("officer", "far", 404),  # another street office's compound
        ("officer", "no-such", 404),
        (None, "home", 401),
    ],
)
def test_anyone_else_gets_a_4xx_and_nothing_is_created(cast, client, who, code, status):
    users = User.objects.count()
    body = {"username": "sneaky", "name": "X", "role": "company_staff"}
    response = post(client, getattr(cast, who) if who else None, body, code=code)
    assert response.status_code == status
    assert User.objects.count() == users


def test_company_admin_adds_staff_of_the_company_only(cast, client):
    Membership.objects.filter(user=cast.company_staff).update(can_manage_staff=True)
    ok = post(
        client, cast.company_staff, {"username": "s2", "name": "员工", "role": "company_staff"}
    )
    assert ok.status_code == 201
    assert Membership.objects.get(user__username="s2").service_company == cast.company
    for role in ("committee_member", "street_officer", "property_unit_rep"):
        refused = post(client, cast.company_staff, {"username": "s3", "name": "X", "role": role})
        assert refused.status_code == 403
        assert "管理范围" in refused.json()["detail"]
    admin = post(
        client,
        cast.company_staff,
        {"username": "s3", "name": "X", "role": "company_staff", "company_admin": True},
    )
    assert admin.status_code == 403
    assert not User.objects.filter(username="s3").exists()


def test_officer_names_a_company_admin_and_a_property_unit_representative(cast, client):
    from households.models import PropertyRightUnit

    pru = PropertyRightUnit.objects.create(compound=cast.compound, name="甲单位")
    response = post(
        client,
        cast.officer,
        {"username": "boss", "name": "X", "role": "company_staff", "company_admin": True},
    )
    assert response.status_code == 201
    assert Membership.objects.get(user__username="boss").can_manage_staff
    response = post(
        client,
        cast.officer,
        {"username": "rep", "name": "X", "role": "property_unit_rep", "property_unit": "甲单位"},
    )
    assert response.status_code == 201
    pru.refresh_from_db()
    assert pru.representative.username == "rep"


def test_a_token_caller_works_too(cast, client):
    key = client.post(TOKEN, {"username": "officer", "password": PASSWORD}).json()["token"]
    response = client.post(
        URL.format(code="home"),
        {"username": "t1", "name": "X", "role": "committee_member"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 201
    assert Membership.objects.get(user__username="t1").role == Role.COMMITTEE_MEMBER


def test_the_endpoint_is_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/compounds/{code}/members/"]["post"]
    assert "201" in operation["responses"]
    assert "403" in operation["responses"]


# --- the list ------------------------------------------------------------------------------


def test_officer_lists_the_compounds_staff_without_residents(cast, client):
    client.force_login(cast.officer)
    response = client.get(URL.format(code="home"))
    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()["results"]}
    assert set(rows) == {"officer", "committee", "company_staff", "property_unit_rep"}
    assert rows["committee"] == {
        "username": "committee",
        "name": "",
        "is_active": True,
        "roles": [
            {
                "role": "committee_member",
                "street_office": None,
                "compound": "home",
                "service_company": None,
                "company_admin": False,
            }
        ],
    }
    assert rows["company_staff"]["roles"][0]["service_company"] == "测试物业"


def test_company_admin_lists_only_the_companys_staff(cast, client):
    client.force_login(cast.company_staff)
    assert client.get(URL.format(code="home")).status_code == 403
    Membership.objects.filter(user=cast.company_staff).update(can_manage_staff=True)
    response = client.get(URL.format(code="home"))
    assert [row["username"] for row in response.json()["results"]] == ["company_staff"]


@pytest.mark.parametrize("who", ["committee", "resident", "outsider_office", "outsider_compound"])
def test_others_cannot_list(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(URL.format(code="home")).status_code == 404


def test_the_list_runs_the_same_number_of_queries_at_two_sizes(cast, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_member

    client.force_login(cast.officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL.format(code="home")).status_code == 200
        return len(queries)

    small = count()
    for n in range(40):
        make_member(f"m{n:02d}", Role.COMMITTEE_MEMBER, compound=cast.compound)
    assert count() == small
