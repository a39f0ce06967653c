"""The portal's own error pages (in its look, both languages, a way home) and favicon."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults
from django.views.csrf import csrf_failure

pytestmark = pytest.mark.django_db


def test_a_missing_page_answers_404_with_the_portal_page(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'class="card error-page"' in body and "页面不存在" in body
    assert 'class="topbar"' in body  # base.html: the portal's header
    assert f'href="{reverse("home")}"' in body and f'href="{reverse("login")}"' in body


def test_a_compound_the_user_may_not_see_looks_absent_in_english_too(cast, client):
    client.force_login(cast.outsider_resident)
    response = client.get("/c/home/", headers={"accept-language": "en"})
    assert response.status_code == 404
    body = response.content.decode()
    # The page follows the language (its English comes from the message catalogue).
    assert '<html lang="en">' in body and "error-page" in body and ">404<" in body
    assert "小区home" not in body


def test_403_renders_in_the_portal_look(rf_user_request):
    response = defaults.permission_denied(rf_user_request, PermissionError())
    assert response.status_code == 403
    assert "error-page" in response.content.decode() and "无权访问" in response.content.decode()


def test_csrf_failure_page_renders_without_a_request_context(rf_user_request):
    response = csrf_failure(rf_user_request, reason="CSRF token missing.")
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已过期" in body and "error-page" in body


def test_a_stale_form_gets_the_expired_page_not_djangos(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_server_error_page_needs_no_context_and_no_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with translation.override("en"), django_assert_num_queries(0):
        response = defaults.server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器出错" in body and "Server error" in body  # both languages, always
    assert 'href="/"' in body


def test_favicon_is_linked_and_served_at_the_usual_address(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith("favicon.svg")
    assert response["Location"] in client.get(reverse("login")).content.decode()


@pytest.fixture
def rf_user_request(cast):
    """A request handed to the error views directly, past LocaleMiddleware: in the default
    language, whatever an earlier test's request left active in this thread."""
    request = RequestFactory().get("/c/home/")
    request.user = cast.resident
    request.session = {}
    with translation.override("zh-hans"):
        yield request
