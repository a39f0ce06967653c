"""My account (我的账号), recent sign-ins, where each role lands after login, and the reset by
mail that exists only where EMAIL_URL is configured."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, clear_url_caches, reverse
from django.utils import timezone

from portal.account_views import browser_label
from portal.landing import landing_url
from portal.models import AccountState, AuditEntry, Membership, Role, SignIn
from portal.services import one_time_password_issue
from portal.sign_ins import SIGN_IN_HISTORY, recent_sign_ins, sign_in_record
from tests.factories import PASSWORD, make_member, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)
NEW_PASSWORD = "Beitaipingzhuang-9!"


# --- recent sign-ins ---------------------------------------------------------------------


def test_a_login_is_recorded_with_address_and_browser(cast, client):
    response = client.post(
        "/accounts/login/",
        {"username": "resident", "password": PASSWORD},
        HTTP_USER_AGENT=PHONE_UA + " " + "x" * 500,
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    sign_in = SignIn.objects.get(user=cast.resident)
    assert sign_in.ip == "203.0.113.7" and sign_in.method == "password"
    assert sign_in.user_agent.startswith("Mozilla/5.0 (Linux; Android 13")
    assert len(sign_in.user_agent) == 200


def test_a_failed_login_is_not_a_sign_in(cast, client):
    client.post("/accounts/login/", {"username": "resident", "password": "wrong"})
    assert not SignIn.objects.exists()


def test_a_token_obtained_is_a_sign_in_through_the_api(cast, client):
    response = client.post("/api/v1/auth/token/", {"username": "resident", "password": PASSWORD})
    assert response.status_code == 200
    assert SignIn.objects.get(user=cast.resident).method == "api"


def test_only_the_last_sign_ins_are_kept(cast):
    for _ in range(SIGN_IN_HISTORY + 7):
        sign_in_record(user=cast.resident, request=None)
    sign_in_record(user=cast.committee, request=None)
    kept = SignIn.objects.filter(user=cast.resident)
    assert kept.count() == SIGN_IN_HISTORY
    assert SignIn.objects.filter(user=cast.committee).count() == 1
    newest = SignIn.objects.filter(user=cast.resident).order_by("-id").first()
    assert newest in kept


def test_my_account_shows_name_roles_and_sign_ins(cast, client):
    client.post(
        "/accounts/login/",
        {"username": "committee", "password": PASSWORD},
        HTTP_USER_AGENT=PHONE_UA,
        REMOTE_ADDR="198.51.100.4",
    )
    body = client.get("/accounts/").content.decode()
    assert "我的账号" in body and "物管会委员" in body and cast.compound.name in body
    assert "198.51.100.4" in body and "Chrome · Android" in body
    assert 'href="/accounts/password/"' in body
    assert 'href="/accounts/"' in body  # the header's link


def test_my_account_shows_only_my_own_sign_ins(cast, client):
    sign_in_record(user=cast.resident, request=None)
    SignIn.objects.filter(user=cast.resident).update(ip="192.0.2.55")
    client.force_login(cast.committee)
    assert "192.0.2.55" not in client.get("/accounts/").content.decode()


def test_my_account_needs_a_login(client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_my_account_runs_the_same_queries_at_two_sizes(cast, client, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client.force_login(cast.officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/accounts/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(40):
        sign_in_record(user=cast.officer, request=None)
        Membership.objects.create(
            user=cast.officer,
            role=Role.COMMITTEE_MEMBER,
            compound=make_compound_quick(cast, n),
        )
    assert count() == small


def make_compound_quick(cast, n):
    from portal.models import Compound

    return Compound.objects.create(street_office=cast.office, code=f"q{n:02d}", name=f"q{n}")


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        ("", "—"),
        (PHONE_UA, "Chrome · Android"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0 Safari/604.1",
            "微信 · iPhone",
        ),
        ("python-requests/2.31", "python-requests/2.31"),
    ],
)
def test_browser_labels(agent, label):
    assert browser_label(agent) == label


# --- landing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("officer", "/so/home-office/"),
        ("committee", "/c/home/"),
        ("company_staff", "/c/home/"),
        ("property_unit_rep", "/c/home/"),
        ("resident", "/"),
        ("outsider_compound", "/c/neighbour/"),
        ("outsider_office", "/so/far-office/"),
        ("outsider_resident", "/"),
    ],
)
def test_each_role_lands_on_its_own_page(cast, client, who, target):
    response = client.post("/accounts/login/", {"username": who, "password": PASSWORD})
    assert response["Location"] == "/accounts/landing/"
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == target
    assert client.get(target).status_code == 200


def test_several_scopes_land_on_the_chooser(cast):
    Membership.objects.create(
        user=cast.committee, role=Role.COMMITTEE_MEMBER, compound=cast.other_compound
    )
    assert landing_url(cast.committee) == "/"
    Membership.objects.create(user=cast.officer, role=Role.RESIDENT, compound=cast.compound)
    assert landing_url(cast.officer) == "/"
    cast.other_compound.service_company = cast.company
    cast.other_compound.save()
    assert landing_url(cast.company_staff) == "/"  # a company serving two compounds


def test_no_role_and_superusers_land_home(cast):
    assert landing_url(make_user("nobody")) == "/"
    assert landing_url(User.objects.create_superuser("root", password=PASSWORD)) == "/"


def test_a_safe_next_wins(cast, client):
    response = client.post(
        "/accounts/login/",
        {"username": "committee", "password": PASSWORD, "next": "/c/home/units/"},
    )
    assert response["Location"] == "/c/home/units/"
    assert client.get("/accounts/landing/?next=/c/home/fees/")["Location"] == "/c/home/fees/"


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_an_unsafe_next_is_ignored(cast, client, unsafe):
    client.force_login(cast.committee)
    assert client.get("/accounts/landing/", {"next": unsafe})["Location"] == "/c/home/"


def test_a_one_time_password_is_changed_before_landing(cast, client):
    otp = one_time_password_issue(user=cast.committee, actor=cast.officer)
    client.post("/accounts/login/", {"username": "committee", "password": otp})
    response = client.get("/accounts/landing/")
    assert response["Location"].startswith("/accounts/password/")


# --- reset by mail -----------------------------------------------------------------------


@pytest.fixture
def with_email(settings):
    """EMAIL_URL configured: the routes exist (the URLconf reads the setting at import)."""
    settings.EMAIL_URL = "consolemail://"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ROOT_URLCONF = "tests.portal.urls_with_email"
    clear_url_caches()
    yield
    clear_url_caches()


def test_without_email_url_there_is_no_reset_by_mail(cast, client):
    assert client.get("/accounts/reset/").status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("password_reset")
    body = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/reset/code/"' in body and "物管会或街道办事处" in body
    assert "通过邮件重置" not in body


def test_reset_by_mail_end_to_end(cast, client, with_email):
    cast.resident.email = "resident@example.cn"
    cast.resident.save()
    one_time_password_issue(user=cast.resident, actor=cast.officer)
    login_page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/reset/"' in login_page
    response = client.post("/accounts/reset/", {"email": "resident@example.cn"})
    assert response.status_code == 302 and response["Location"] == "/accounts/reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["resident@example.cn"] and "重置密码" in message.subject
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body)[1]
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and 'name="new_password1"' in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/reset/done/"
    cast.resident.refresh_from_db()
    assert cast.resident.check_password(NEW_PASSWORD)
    assert not AccountState.objects.get(user=cast.resident).must_change_password
    assert AuditEntry.objects.filter(
        action="user.password_chosen", actor=cast.resident, data__how="email_reset"
    ).exists()
    # The link is single use.
    again = client.get(link, follow=True)
    assert 'id="reset-invalid"' in again.content.decode()


def test_reset_by_mail_says_the_same_for_an_unknown_address(cast, client, with_email):
    response = client.post("/accounts/reset/", {"email": "nobody@example.cn"})
    assert response.status_code == 302 and response["Location"] == "/accounts/reset/sent/"
    assert mail.outbox == []


def test_a_forged_mail_link_sets_nothing(cast, client, with_email):
    response = client.get("/accounts/reset/MQ/forged-token/")
    assert response.status_code == 200 and 'id="reset-invalid"' in response.content.decode()


def test_a_weak_password_by_mail_is_refused(cast, client, with_email):
    cast.resident.email = "resident@example.cn"
    cast.resident.save()
    client.post("/accounts/reset/", {"email": "resident@example.cn"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    cast.resident.refresh_from_db()
    assert cast.resident.check_password(PASSWORD)


def test_sign_ins_of_the_same_moment_list_newest_first(cast):
    first = sign_in_record(user=cast.resident, request=None)
    second = sign_in_record(user=cast.resident, request=None)
    SignIn.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=timezone.now())
    assert recent_sign_ins(cast.resident) == [second, first]


def test_the_landing_page_is_cheap(cast, client, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    member = make_member("staff2", Role.COMPANY_STAFF, service_company=cast.company)
    client.force_login(member)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/accounts/landing/")["Location"] == "/c/home/"
    # session, user, memberships, the company's compounds, resident compounds (none: no query)
    assert len(ctx.captured_queries) <= 4


def test_reset_by_mail_is_throttled_per_address(cast, client, with_email, settings):
    settings.RESET_CODE_FAILURES_PER_HOUR = 2
    cast.resident.email = "resident@example.cn"
    cast.resident.save()
    for _ in range(2):
        assert client.post("/accounts/reset/", {"email": "resident@example.cn"}).status_code == 302
    response = client.post("/accounts/reset/", {"email": "resident@example.cn"})
    assert response.status_code == 429 and "尝试次数过多" in response.content.decode()
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("who", ["anonymous", "outsider_compound", "outsider_resident"])
def test_the_mail_routes_show_nobody_home_data(cast, client, with_email, who):
    """The walk of tests/isolation.py runs without EMAIL_URL, where these routes are absent:
    the same check for them here, the confirm link naming a home resident."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from tests import isolation

    cast.resident.email = "resident@example.cn"
    cast.resident.save()
    markers = isolation.home_markers(cast) | {"resident@example.cn"}
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    uid = urlsafe_base64_encode(force_bytes(cast.resident.pk))
    for path in (
        "/accounts/reset/",
        "/accounts/reset/sent/",
        "/accounts/reset/done/",
        f"/accounts/reset/{uid}/not-a-token/",
        "/accounts/reset/code/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not isolation.found_markers(isolation.response_text(response), markers), path
