"""POST /api/v1/compounds/: street officers of that street office only; 201 with the
compound exactly as GET /api/v1/compounds/ shows it; anyone else a 4xx and nothing made."""

import pytest
from rest_framework.authtoken.models import Token

from portal.models import AuditEntry, Compound

URL = "/api/v1/compounds/"


def body(**extra) -> dict:
    return {
        "code": "xin",
        "name": "新小区",
        "address": "北京市海淀区某路1号",
        "street_office": "home-office",
        **extra,
    }


def post(client, user, data, **extra):
    if user is not None:
        client.force_login(user)
    return client.post(URL, data, content_type="application/json", **extra)


def test_officer_creates_and_gets_the_compound_as_the_list_shows_it(cast, client):
    response = post(client, cast.officer, body())
    assert response.status_code == 201, response.content
    created = response.json()
    assert created == {
        "code": "xin",
        "name": "新小区",
        "address": "北京市海淀区某路1号",
        "street_office": {"code": "home-office", "name": cast.office.name},
        "service_company": None,
        "households": 0,
    }
    listed = client.get(URL).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert next(row for row in rows if row["code"] == "xin") == created
    compound = Compound.objects.get(code="xin")
    assert compound.street_office == cast.office
    assert AuditEntry.objects.filter(action="compound.create", compound=compound).exists()


def test_token_authenticated_officer_creates_too(cast, client):
    token = Token.objects.create(user=cast.officer)
    response = client.post(
        URL, body(), content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "who", ["committee", "company_staff", "property_unit_rep", "resident", "outsider_compound"]
)
def test_non_officers_are_refused_and_nothing_is_created(cast, client, who):
    response = post(client, getattr(cast, who), body())
    assert response.status_code == 403
    assert not Compound.objects.filter(code="xin").exists()


def test_anonymous_is_refused(cast, client):
    response = post(client, None, body())
    assert response.status_code in (401, 403)
    assert not Compound.objects.filter(code="xin").exists()


@pytest.mark.parametrize("office", ["home-office", "no-such-office", 7, None])
def test_officer_of_another_office_gets_the_same_403_for_any_office_not_theirs(
    cast, client, office
):
    response = post(client, cast.outsider_office, body(street_office=office))
    if office is None:
        assert response.status_code == 400  # a required field, the caller's own mistake
    else:
        assert response.status_code == 403
        assert (
            response.json()
            == post(client, cast.outsider_office, body(street_office="no-such-office")).json()
        )
    assert not Compound.objects.filter(code="xin").exists()


@pytest.mark.parametrize(
    ("extra", "field", "zh", "en"),
    [
        ({"code": "home"}, "code", "已被使用", "already in use"),
        ({"code": "far"}, "code", "已被使用", "already in use"),
        ({"code": "Bad Code!"}, "code", "小写字母", "lowercase"),
        ({"name": "名" * 10_000}, "name", "100", "100"),
        ({"name": ""}, "name", "", ""),
    ],
)
def test_validation_errors_in_both_languages_create_nothing(cast, client, extra, field, zh, en):
    before = Compound.objects.count()
    for language, expected in (("zh-hans", zh), ("en", en)):
        response = post(client, cast.officer, body(**extra), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400
        message = " ".join(response.json()[field])
        assert expected in message
    assert Compound.objects.count() == before


def test_the_schema_documents_the_create(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    post_op = schema["paths"]["/api/v1/compounds/"]["post"]
    request = post_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request.endswith("/CompoundCreate")
    assert "201" in post_op["responses"]
    fields = schema["components"]["schemas"]["CompoundCreate"]["properties"]
    assert set(fields) == {"code", "name", "address", "street_office"}
