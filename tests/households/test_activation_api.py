"""POST /api/v1/activate/ and the /activate/ page: exact shapes, one body for every
refusal, the throttle, the schema, and a forged QR link."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from households.models import ActivationCode, Unit
from tests.factories import PASSWORD
from tests.households.activation_helpers import NEW_PASSWORD, give_id, issue_code, owner_of, unit_of

URL = "/api/v1/activate/"


@pytest.fixture
def unit(cast) -> Unit:
    return unit_of(cast)


@pytest.fixture
def suffix(unit) -> str:
    return give_id(owner_of(unit), 41)[-6:]


def post(client, body, **extra):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **extra)


def body(code, suffix, username="lisi", password=NEW_PASSWORD):
    return {"code": code, "id_suffix": suffix, "username": username, "password": password}


def test_activation_answers_201_with_the_account_and_its_units(cast, client, unit, suffix):
    code = issue_code(unit)
    response = post(client, body(code.replace("-", ""), suffix))
    assert response.status_code == 201
    assert response.json() == {
        "username": "lisi",
        "account_created": True,
        "compound": "home",
        "units": [{"id": unit.pk, "label": unit.label}],
    }
    # the new login works with the password chosen
    token = client.post("/api/v1/auth/token/", {"username": "lisi", "password": NEW_PASSWORD})
    assert token.status_code == 200
    units = client.get(
        "/api/v1/compounds/home/units/", HTTP_AUTHORIZATION=f"Token {token.json()['token']}"
    ).json()
    assert [u["id"] for u in units["results"]] == [unit.pk]


def test_every_refusal_has_a_byte_identical_body(cast, client, unit, suffix):
    others = list(cast.compound.units.exclude(pk=unit.pk))
    now = timezone.now()
    good = issue_code(unit)
    wrong_secret = good[:-1] + ("2" if good[-1] != "2" else "3")
    cases = {
        "unknown": body("ABCDE-FGHJK-MNPQR", suffix),
        "malformed": body("<script>alert(1)</script>", suffix),
        "huge": body("A" * 100_000, suffix),
        "wrong secret": body(wrong_secret, suffix),
        "wrong suffix": body(good, "999999"),
        "expired": body(issue_code(others[0], days=-1), suffix),
        "used": body(issue_code(others[1], used_at=now), suffix),
        "revoked": body(issue_code(others[2], revoked_at=now), suffix),
        "locked": body(issue_code(others[3], locked_at=now), suffix),
    }
    responses = {name: post(client, data) for name, data in cases.items()}
    assert {r.status_code for r in responses.values()} == {400}
    bodies = {r.content for r in responses.values()}
    assert len(bodies) == 1, {n: r.content for n, r in responses.items()}
    text = bodies.pop().decode()
    assert set(json.loads(text)) == {"detail"}
    for leak in ("attempt", "次", "剩余", "remaining", "expired", "过期", "锁定"):
        assert leak not in text
    assert not User.objects.filter(username="lisi").exists()
    assert ActivationCode.objects.get(unit=unit).used_at is None


def test_a_weak_password_or_a_taken_login_names_the_field(cast, client, unit, suffix):
    code = issue_code(unit)
    weak = post(client, body(code, suffix, password="123"))
    assert weak.status_code == 400 and "password" in weak.json()
    taken = post(client, body(code, suffix, username="resident"))
    assert taken.status_code == 400 and "username" in taken.json()
    assert ActivationCode.objects.get(unit=unit).used_at is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"code": ["a"], "id_suffix": "123456"},
        {"code": {"x": 1}, "id_suffix": "123456", "username": "a", "password": "b"},
        {"code": "A" * 10_000, "id_suffix": "123456", "username": "x", "password": NEW_PASSWORD},
        {"code": None, "id_suffix": None},
    ],
)
def test_hostile_bodies_are_400_never_500(cast, client, data):
    response = post(client, data)
    assert response.status_code == 400


def test_the_endpoint_is_throttled_per_address(cast, client, unit, suffix):
    for _ in range(10):
        post(client, body("ABCDE-FGHJK-MNPQR", suffix))
    response = post(client, body(issue_code(unit), suffix))
    assert response.status_code == 429
    assert not User.objects.filter(username="lisi").exists()


def test_a_refused_address_gets_429(cast, client, unit, suffix, settings):
    settings.ACTIVATION_ADDRESS_LIMIT = 2
    for _ in range(2):
        assert post(client, body("ABCDE-FGHJK-MNPQR", suffix)).status_code == 400
    assert post(client, body(issue_code(unit), suffix)).status_code == 429


def test_a_token_caller_links_the_units_to_their_own_account(cast, client, unit, suffix):
    token = Token.objects.create(user=cast.outsider_resident)
    response = post(
        client,
        {"code": issue_code(unit), "id_suffix": suffix},
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 201
    assert response.json()["username"] == "outsider_resident"
    assert response.json()["account_created"] is False
    assert list(Unit.objects.owned_by(cast.outsider_resident).filter(compound=cast.compound)) == [
        unit
    ]


def test_the_endpoint_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/activate/"]["post"]
    assert {"201", "400", "429"} <= set(operation["responses"])
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][request.rsplit("/", 1)[-1]]["properties"]
    assert {"code", "id_suffix", "username", "password"} <= set(fields)


# --- the page ----------------------------------------------------------------------------


def form(code, suffix, username="lisi", password=NEW_PASSWORD):
    return {
        "code": code,
        "id_suffix": suffix,
        "username": username,
        "password": password,
        "password2": password,
    }


def test_the_page_activates_logs_in_and_lands_on_the_home_page(cast, client, unit, suffix):
    code = issue_code(unit)
    page = client.get(reverse("activate"), {"code": code.replace("-", "").lower()})
    assert page.status_code == 200 and code in page.content.decode()  # prefilled, printed
    response = client.post(reverse("activate"), form(code, suffix))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home")).content.decode()
    assert unit.number in home
    others = cast.compound.units.exclude(pk=unit.pk).values_list("building__number", "number")
    assert all(f"{b}号楼 {n}" not in home for b, n in others)


def test_a_forged_qr_link_reflects_nothing_and_gets_the_generic_error(cast, client, suffix):
    forged = '"><script>alert(1)</script>'
    page = client.get(reverse("activate"), {"code": forged})
    text = page.content.decode()
    assert page.status_code == 200 and "<script>alert(1)" not in text
    assert 'value="&quot;&gt;' not in text.split('name="code"')[1][:200]
    response = client.post(reverse("activate"), form(forged, suffix))
    assert response.status_code == 400
    assert "开通码或证件号码后6位不正确" in response.content.decode()
    assert "<script>alert(1)" not in response.content.decode()


def test_the_page_shows_one_error_for_every_refusal(cast, client, unit, suffix):
    good = issue_code(unit)
    expired = issue_code(cast.compound.units.exclude(pk=unit.pk).first(), days=-1)
    errors = set()
    cases = (
        ("ABCDE-FGHJK-MNPQR", suffix),
        (good, "999999"),
        (expired, suffix),
        ("Z" * 5000, suffix),
    )
    for code, sfx in cases:
        text = client.post(reverse("activate"), form(code, sfx)).content.decode()
        errors.add(text.split('class="errorlist nonfield"')[1].split("</ul>")[0])
    assert len(errors) == 1


def test_the_password_twice_must_match(cast, client, unit, suffix):
    data = form(issue_code(unit), suffix)
    data["password2"] = "something-else-9"
    response = client.post(reverse("activate"), data)
    assert response.status_code == 400
    assert not User.objects.filter(username="lisi").exists()


def test_logged_in_the_page_asks_for_no_login(cast, client, unit, suffix):
    client.login(username="outsider_resident", password=PASSWORD)
    page = client.get(reverse("activate")).content.decode()
    assert 'name="username"' not in page and "outsider_resident" in page
    response = client.post(reverse("activate"), {"code": issue_code(unit), "id_suffix": suffix})
    assert response.status_code == 302
    assert Unit.objects.owned_by(cast.outsider_resident).filter(pk=unit.pk).exists()


def test_an_expired_code_on_the_page_is_refused(cast, client, unit, suffix):
    code = issue_code(unit)
    ActivationCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.post(reverse("activate"), form(code, suffix)).status_code == 400
