"""Password reset codes issued at the counter: who may issue for whom (enforced in the
service), the issuer pages, and the public page where the person chooses a new password,
with every hostile case: wrong code five times, expired, used, revoked, another
compound's resident, a weak password, the same answer for every failure."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from households.models import Owner
from households.services.resets import reset_candidates, reset_code_issue, reset_scope
from portal.audit import audit_verify
from portal.models import AccountState, AuditEntry, Membership, ResetCode, Role
from portal.resets import MAX_FAILED_ATTEMPTS
from portal.services import one_time_password_issue
from tests.factories import PASSWORD, make_member, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Xueyuan-South-32!"
RESET_URL = "/accounts/reset/code/"


def issue(cast, target, issuer=None, **scope):
    scope = scope or {"compound": cast.compound}
    return reset_code_issue(
        issuer=issuer or cast.committee, user_id=target.pk, identity_checked=True, **scope
    )


def redeem(client, username: str, code: str, password: str = NEW_PASSWORD, **extra):
    return client.post(
        RESET_URL,
        {
            "username": username,
            "code": code,
            "new_password1": password,
            "new_password2": password,
        },
        **extra,
    )


def wrong(code: str) -> str:
    """``code`` with its last character changed: the right selector, a wrong secret."""
    return code[:-1] + ("Z" if code[-1] != "Z" else "Y")


def normalised(response) -> str:
    """The body without what differs per request (the CSRF token)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


# --- who may issue for whom ----------------------------------------------------------------


def test_the_committee_issues_for_a_resident_of_its_compound(cast):
    issued = issue(cast, cast.resident)
    assert issued.user == cast.resident and len(issued.code) == 17  # 15 + 2 dashes
    row = ResetCode.objects.get(user=cast.resident)
    assert row.compound == cast.compound and row.issued_by == cast.committee
    assert issued.code.replace("-", "")[5:] not in row.secret_hash  # stored hashed
    assert row.expires_at - row.created_at == timedelta(hours=24)
    entry = AuditEntry.objects.get(action="reset_code.issue")
    assert entry.actor == cast.committee and entry.compound == cast.compound
    assert entry.data["username"] == "resident" and issued.code not in str(entry.data)


@pytest.mark.parametrize(
    "who", ["committee", "property_unit_rep", "company_staff"], ids=lambda who: who
)
def test_the_committee_reaches_the_staff_of_its_compound(cast, who):
    committee2 = make_member("committee2", Role.COMMITTEE_MEMBER, compound=cast.compound)
    issuer = committee2 if who == "committee" else cast.committee
    assert issue(cast, getattr(cast, who), issuer=issuer).user == getattr(cast, who)


@pytest.mark.parametrize(
    "target",
    ["outsider_resident", "outsider_compound", "officer", "outsider_office"],
)
def test_the_committee_cannot_reach_anyone_else_and_nothing_is_issued(cast, target):
    with pytest.raises(ValidationError) as error:
        issue(cast, getattr(cast, target))
    assert error.value.code == "out_of_scope"
    assert not ResetCode.objects.exists()
    assert not AuditEntry.objects.filter(action="reset_code.issue").exists()


def test_a_home_resident_who_also_lives_elsewhere_is_out_of_the_committees_reach(cast):
    """The issuer sees the code: it must not open roles beyond the issuer's own scope."""
    Owner.objects.filter(compound=cast.other_compound, name="业主-neighbour-2-1").update(
        user=cast.resident
    )
    with pytest.raises(ValidationError):
        issue(cast, cast.resident)
    # The street officer of both compounds reaches them.
    assert issue(cast, cast.resident, issuer=cast.officer, street_office=cast.office)


def test_company_staff_of_a_company_serving_other_compounds_too(cast):
    cast.other_compound.service_company = cast.company
    cast.other_compound.save()
    with pytest.raises(ValidationError):
        issue(cast, cast.company_staff)
    assert issue(cast, cast.company_staff, issuer=cast.officer, street_office=cast.office)


def test_the_street_officer_reaches_its_office_and_nothing_beyond(cast):
    officer2 = make_member("officer2", Role.STREET_OFFICER, street_office=cast.office)
    scope = {"street_office": cast.office}
    for target in (cast.resident, cast.outsider_resident, cast.committee, officer2):
        assert issue(cast, target, issuer=cast.officer, **scope).user == target
    far_resident = make_member("far_resident", Role.RESIDENT, compound=cast.far_compound)
    for target in (cast.outsider_office, far_resident):
        with pytest.raises(ValidationError):
            issue(cast, target, issuer=cast.officer, **scope)


def test_nobody_reaches_a_superuser_an_inactive_account_or_themselves(cast):
    root = User.objects.create_superuser("root", password=PASSWORD)
    Membership.objects.create(user=root, role=Role.RESIDENT, compound=cast.compound)
    gone = make_member("gone", Role.RESIDENT, compound=cast.compound)
    gone.is_active = False
    gone.save()
    for target in (root, gone, cast.committee):
        with pytest.raises(ValidationError):
            issue(cast, target)


def test_an_account_with_admin_access_is_for_street_officers_only(cast):
    cast.resident.is_staff = True
    cast.resident.save()
    with pytest.raises(ValidationError):
        issue(cast, cast.resident)
    assert issue(cast, cast.resident, issuer=cast.officer, street_office=cast.office)


def test_an_account_with_no_role_and_no_flat_is_nobodys(cast):
    stray = make_user("stray")
    with pytest.raises(ValidationError):
        issue(cast, stray, issuer=cast.officer, street_office=cast.office)


@pytest.mark.parametrize(
    "issuer", ["resident", "company_staff", "property_unit_rep", "outsider_compound"]
)
def test_only_committee_and_street_officers_issue_on_a_compound(cast, issuer):
    with pytest.raises(Http404):
        issue(cast, cast.resident, issuer=getattr(cast, issuer))
    assert not ResetCode.objects.exists()


def test_only_the_offices_officers_issue_on_its_page(cast):
    with pytest.raises(Http404):
        issue(cast, cast.resident, issuer=cast.outsider_office, street_office=cast.office)
    with pytest.raises(Http404):
        issue(cast, cast.resident, issuer=cast.committee, street_office=cast.office)


def test_identity_must_have_been_checked(cast):
    with pytest.raises(ValidationError) as error:
        reset_code_issue(
            issuer=cast.committee,
            user_id=cast.resident.pk,
            identity_checked=False,
            compound=cast.compound,
        )
    assert error.value.code == "identity_not_checked" and not ResetCode.objects.exists()


def test_a_new_code_revokes_the_open_ones(cast, client):
    first = issue(cast, cast.resident)
    second = issue(cast, cast.resident)
    assert ResetCode.objects.filter(user=cast.resident, revoked_at__isnull=True).count() == 1
    assert redeem(client, "resident", first.code).status_code == 400
    assert redeem(client, "resident", second.code).status_code == 200


# --- redeeming ---------------------------------------------------------------------------


def test_the_resident_sets_a_new_password_with_the_code(cast, client):
    issued = issue(cast, cast.resident)
    response = redeem(client, "resident", issued.code.lower().replace("-", " "))
    assert response.status_code == 200 and 'id="reset-done"' in response.content.decode()
    cast.resident.refresh_from_db()
    assert cast.resident.check_password(NEW_PASSWORD)
    row = ResetCode.objects.get(user=cast.resident)
    assert row.used_at is not None
    entry = AuditEntry.objects.get(action="reset_code.use")
    assert entry.actor == cast.resident and entry.object_id == str(row.pk)
    assert audit_verify() is None
    assert client.login(username="resident", password=NEW_PASSWORD)


def test_a_reset_ends_the_accounts_other_sessions_and_tokens(cast, client):
    phone = Client()
    phone.force_login(cast.resident)
    assert phone.get("/").status_code == 200
    Token.objects.create(user=cast.resident)
    redeem(client, "resident", issue(cast, cast.resident).code)
    response = phone.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Token.objects.filter(user=cast.resident).exists()


def test_a_reset_clears_the_one_time_password_flag(cast, client):
    one_time_password_issue(user=cast.resident, actor=cast.officer)
    redeem(client, "resident", issue(cast, cast.resident).code)
    assert not AccountState.objects.get(user=cast.resident).must_change_password


def test_a_reset_lifts_the_login_lockout(cast, client):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "resident", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "resident", "password": PASSWORD})
    assert locked.status_code == 429
    redeem(client, "resident", issue(cast, cast.resident).code)
    response = client.post("/accounts/login/", {"username": "resident", "password": NEW_PASSWORD})
    assert response.status_code == 302


def _failures(cast, client) -> dict[str, object]:
    """A refused answer per way of failing, for the same username."""
    answers = {}
    answers["unknown code"] = redeem(client, "resident", "ABCDE-FGHJK-MNPQR")
    answers["not a code"] = redeem(client, "resident", "x" * 40)
    good = issue(cast, cast.resident)
    answers["wrong secret"] = redeem(client, "resident", wrong(good.code))
    answers["another user's code"] = redeem(
        client, "resident", issue(cast, cast.property_unit_rep).code
    )
    expired = issue(cast, cast.resident)
    ResetCode.objects.filter(revoked_at__isnull=True, user=cast.resident).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    answers["expired"] = redeem(client, "resident", expired.code)
    used = issue(cast, cast.resident)
    assert redeem(client, "resident", used.code, password="Another-Pass-77").status_code == 200
    answers["used"] = redeem(client, "resident", used.code)
    answers["revoked"] = redeem(client, "resident", good.code)
    return answers


def test_every_failure_gets_the_same_answer(cast, client, settings):
    settings.RESET_CODE_FAILURES_PER_HOUR = 100
    answers = _failures(cast, client)
    unknown_user = redeem(client, "nobody-such", issue(cast, cast.resident).code)
    bodies = {name: normalised(r) for name, r in answers.items()}
    assert {r.status_code for r in answers.values()} == {400}
    assert len(set(bodies.values())) == 1, list(bodies)
    assert "用户名或重置码不正确" in bodies["expired"]
    assert unknown_user.status_code == 400
    assert normalised(unknown_user).replace("nobody-such", "resident") == bodies["expired"]


def test_the_wrong_code_five_times_locks_it(cast, client, settings):
    settings.RESET_CODE_FAILURES_PER_HOUR = 100
    issued = issue(cast, cast.resident)
    for _ in range(MAX_FAILED_ATTEMPTS):
        assert redeem(client, "resident", wrong(issued.code)).status_code == 400
    assert ResetCode.objects.get(user=cast.resident).failed_attempts == MAX_FAILED_ATTEMPTS
    assert AuditEntry.objects.filter(action="reset_code.locked").count() == 1
    response = redeem(client, "resident", issued.code)
    assert response.status_code == 400 and "用户名或重置码不正确" in response.content.decode()
    cast.resident.refresh_from_db()
    assert cast.resident.check_password(PASSWORD)


def test_one_address_is_throttled_after_its_failures(cast, client, settings):
    settings.RESET_CODE_FAILURES_PER_HOUR = 3
    for _ in range(3):
        assert redeem(client, "resident", "ABCDE-FGHJK-MNPQR").status_code == 400
    issued = issue(cast, cast.resident)
    response = redeem(client, "resident", issued.code)
    assert response.status_code == 429 and "尝试次数过多" in response.content.decode()
    # Another address is not held up.
    other = redeem(Client(REMOTE_ADDR="10.1.2.3"), "resident", issued.code)
    assert other.status_code == 200


@pytest.mark.parametrize(
    "password", ["12345678", "short", "resident1", "password"], ids=lambda p: p
)
def test_a_weak_password_is_refused_and_nothing_changes(cast, client, password):
    issued = issue(cast, cast.resident)
    response = redeem(client, "resident", issued.code, password=password)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    cast.resident.refresh_from_db()
    assert cast.resident.check_password(PASSWORD)
    row = ResetCode.objects.get(user=cast.resident)
    assert row.used_at is None and row.failed_attempts == 0
    assert redeem(client, "resident", issued.code).status_code == 200  # still usable


def test_mismatched_passwords_are_refused(cast, client):
    issued = issue(cast, cast.resident)
    response = client.post(
        RESET_URL,
        {
            "username": "resident",
            "code": issued.code,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD + "x",
        },
    )
    assert response.status_code == 400 and "两次输入的密码不一致" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": "", "code": "", "new_password1": "", "new_password2": ""},
        {
            "username": "r" * 10_000,
            "code": "A" * 10_000,
            "new_password1": "x",
            "new_password2": "x",
        },
        {
            "username": ["a", "b"],
            "code": "\x00",
            "new_password1": "\u202e",
            "new_password2": "\u202e",
        },
    ],
    ids=["missing", "empty", "huge", "odd"],
)
def test_hostile_input_is_refused_without_a_crash(cast, client, data):
    issue(cast, cast.resident)
    response = client.post(RESET_URL, data)
    assert response.status_code == 400
    cast.resident.refresh_from_db()
    assert cast.resident.check_password(PASSWORD)


def test_the_public_page_opens_for_anyone(client):
    response = client.get(RESET_URL)
    assert response.status_code == 200 and 'id="reset-code-form"' in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")


# --- the issuer pages --------------------------------------------------------------------


def test_the_committee_finds_a_resident_and_issues_a_code(cast, client):
    client.force_login(cast.committee)
    page = client.get("/c/home/accounts/reset/", {"q": "1号楼 0101"})
    body = page.content.decode()
    assert page.status_code == 200 and ">resident<" in body
    assert "outsider_resident" not in body
    response = client.post(
        "/c/home/accounts/reset/", {"user_id": cast.resident.pk, "identity_checked": "on"}
    )
    assert response.status_code == 200
    code = re.search(r'id="reset-code">([A-Z0-9-]+)<', response.content.decode())[1]
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert redeem(Client(), "resident", code).status_code == 200


def test_the_list_shows_only_people_in_reach(cast, client):
    client.force_login(cast.committee)
    body = client.get("/c/home/accounts/reset/").content.decode()
    for inside in ("resident", "property_unit_rep", "company_staff"):
        assert f">{inside}<" in body
    for outside in ("outsider_resident", "outsider_compound", ">officer<"):
        assert outside not in body


def test_the_search_finds_by_owner_name_and_phone(cast, client):
    client.force_login(cast.committee)
    owner = Owner.objects.get(user=cast.resident)
    for q in (owner.name, owner.phone, "resid"):
        body = client.get("/c/home/accounts/reset/", {"q": q}).content.decode()
        assert ">resident<" in body and ">property_unit_rep<" not in body, q


def test_the_page_refuses_another_compounds_resident_and_issues_nothing(cast, client):
    client.force_login(cast.committee)
    response = client.post(
        "/c/home/accounts/reset/",
        {"user_id": cast.outsider_resident.pk, "identity_checked": "on"},
    )
    assert response.status_code == 400
    assert "不在您的管理范围内" in response.content.decode()
    assert not ResetCode.objects.exists()


@pytest.mark.parametrize("user_id", ["", "abc", "-1", "9" * 40, "１２"])
def test_a_hostile_user_id_is_refused(cast, client, user_id):
    client.force_login(cast.committee)
    response = client.post(
        "/c/home/accounts/reset/", {"user_id": user_id, "identity_checked": "on"}
    )
    assert response.status_code == 400 and not ResetCode.objects.exists()


def test_without_the_identity_box_nothing_is_issued(cast, client):
    client.force_login(cast.committee)
    response = client.post("/c/home/accounts/reset/", {"user_id": cast.resident.pk})
    assert response.status_code == 400 and "核验本人身份" in response.content.decode()
    assert not ResetCode.objects.exists()


def test_the_street_office_page_reaches_its_compounds(cast, client):
    client.force_login(cast.officer)
    body = client.get("/so/home-office/accounts/reset/").content.decode()
    assert ">outsider_resident<" in body and ">resident<" in body
    assert "outsider_office" not in body
    response = client.post(
        "/so/home-office/accounts/reset/",
        {"user_id": cast.outsider_resident.pk, "identity_checked": "on"},
    )
    assert response.status_code == 200
    assert ResetCode.objects.get(user=cast.outsider_resident).compound is None


@pytest.mark.parametrize(
    "who", ["resident", "company_staff", "property_unit_rep", "outsider_compound"]
)
def test_others_get_404_on_the_compound_page(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get("/c/home/accounts/reset/").status_code == 404
    response = client.post(
        "/c/home/accounts/reset/", {"user_id": cast.resident.pk, "identity_checked": "on"}
    )
    assert response.status_code == 404 and not ResetCode.objects.exists()


def test_the_list_runs_the_same_queries_at_two_sizes(cast, client):
    client.force_login(cast.officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/so/home-office/accounts/reset/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(30):
        user = make_member(f"extra{n}", Role.RESIDENT, compound=cast.compound)
        Membership.objects.create(user=user, role=Role.COMMITTEE_MEMBER, compound=cast.compound)
    assert count() == small


def test_candidates_are_one_query(cast):
    scope = reset_scope(cast.officer, street_office=cast.office)
    with CaptureQueriesContext(connection) as ctx:
        names = set(reset_candidates(scope, cast.officer).values_list("username", flat=True))
    assert len(ctx.captured_queries) == 1
    assert names == {
        "resident",
        "outsider_resident",
        "committee",
        "property_unit_rep",
        "outsider_compound",
        "company_staff",
    }


@pytest.mark.parametrize(
    ("who", "page", "link", "shown"),
    [
        ("committee", "/c/home/", "/c/home/accounts/reset/", True),
        ("officer", "/c/home/", "/c/home/accounts/reset/", True),
        ("company_staff", "/c/home/", "/c/home/accounts/reset/", False),
        ("property_unit_rep", "/c/home/", "/c/home/accounts/reset/", False),
        ("officer", "/so/home-office/", "/so/home-office/accounts/reset/", True),
    ],
)
def test_the_dashboards_link_to_the_issuer_pages_for_issuers_only(
    cast, client, who, page, link, shown
):
    client.force_login(getattr(cast, who))
    body = client.get(page).content.decode()
    assert (f'href="{link}"' in body) is shown
