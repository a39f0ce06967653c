"""First login with a one-time password: every page but the password change (and logout,
the language switch, static files, the API) sends the account to change it first; the
flag is cleared once it has, and an account without the flag pays no query for the check."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from portal.first_login import SESSION_FLAG
from portal.models import AccountState, AuditEntry
from portal.services import one_time_password_issue
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Lanting-Xu-2026!"


@pytest.fixture
def otp(cast) -> str:
    """The committee member's account given a one-time password by the street officer."""
    return one_time_password_issue(user=cast.committee, actor=cast.officer)


def login(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_with_a_one_time_password_lands_on_the_change_page_saying_why(cast, client, otp):
    response = login(client, "committee", otp)
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/password/?next=")
    body = response.content.decode()
    assert 'id="must-change"' in body and "一次性密码" in body


@pytest.mark.parametrize("path", ["/", "/c/home/", "/c/home/units/", "/accounts/", "/admin/"])
def test_every_other_page_redirects_to_the_change_page(cast, client, otp, path):
    login(client, "committee", otp)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/?next=" + path.replace("/", "%2F")


def test_a_post_elsewhere_is_refused_before_it_does_anything(cast, client, otp):
    login(client, "committee", otp)
    response = client.post("/c/home/roster/buildings/", {"number": "99"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    assert not cast.compound.buildings.filter(number="99").exists()


@pytest.mark.parametrize(
    "path", ["/accounts/password/", "/static/css/portal.css", "/api/v1/compounds/"]
)
def test_the_change_page_static_files_and_the_api_stay_reachable(cast, client, otp, path):
    login(client, "committee", otp)
    response = client.get(path)
    assert not (response.status_code == 302 and "/accounts/password/" in response["Location"])


def test_logout_and_language_stay_reachable(cast, client, otp):
    login(client, "committee", otp)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/password/"})
    assert response["Location"] == "/accounts/password/"
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_the_reason_reads_in_english_too():
    reason = (
        "您正在使用工作人员发给您的一次性密码。为了账号安全，"
        "请先设置您自己的新密码，然后才能使用其他页面。"
    )
    with translation.override("en"):
        assert gettext(reason).startswith("You are signed in with a one-time password")


def test_changing_the_password_clears_the_flag_and_goes_on_to_the_page_asked_for(cast, client, otp):
    login(client, "committee", otp)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": otp,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "next": "/c/home/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/c/home/"
    assert not AccountState.objects.get(user=cast.committee).must_change_password
    assert client.get("/c/home/").status_code == 200
    assert AuditEntry.objects.filter(action="user.password_chosen", actor=cast.committee).exists()
    # A new session (another phone) is not sent to the change page either.
    client.logout()
    response = login(client, "committee", NEW_PASSWORD)
    assert client.get("/c/home/").status_code == 200


def test_a_weak_new_password_keeps_the_flag(cast, client, otp):
    login(client, "committee", otp)
    response = client.post(
        "/accounts/password/",
        {"old_password": otp, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert AccountState.objects.get(user=cast.committee).must_change_password
    assert client.get("/c/home/").status_code == 302


def test_an_unsafe_next_is_ignored_after_the_change(cast, client, otp):
    login(client, "committee", otp)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": otp,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_a_session_from_before_the_check_reads_the_flag_once(cast, client, otp):
    client.force_login(cast.committee)
    session = client.session
    del session[SESSION_FLAG]
    session.save()
    assert client.get("/c/home/").status_code == 302
    assert client.session[SESSION_FLAG] is True


def test_an_account_without_the_flag_pays_no_query_for_the_check(cast, client, settings):
    """The middleware reads only the session the page reads anyway: the same page costs
    the same queries with and without it."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client.force_login(cast.resident)

    def queries(browser) -> tuple[int, list[str]]:
        browser.cookies = client.cookies
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get("/").status_code == 200
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    with_check, sql = queries(Client())
    assert not any("portal_accountstate" in q for q in sql)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "first_login" not in m]
    assert queries(Client())[0] == with_check


def test_the_check_itself_runs_no_query_for_a_flagless_session(cast, client, rf):
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.cache import SessionStore

    from portal.first_login import FirstLoginMiddleware

    request = rf.get("/")
    request.session = SessionStore()
    request.session[SESSION_KEY] = str(cast.resident.pk)
    request.session[SESSION_FLAG] = False
    middleware = FirstLoginMiddleware(lambda r: "page")
    with CaptureQueriesContext(connection) as ctx:
        assert middleware(request) == "page"
    assert len(ctx.captured_queries) == 0


def test_login_with_the_normal_password_is_not_redirected(cast, client):
    response = login(client, "committee", PASSWORD)
    assert response.status_code == 302
    assert client.get("/c/home/").status_code == 200
