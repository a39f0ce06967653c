"""Password guessing: after 5 failed logins the account and the client address are locked
for the cool-off, on the login page and the token endpoint alike, and the client address is
the one the trusted proxies report, not whatever X-Forwarded-For a client sends."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    """The token endpoint's throttle counts in the cache, which outlives a test."""
    cache.clear()


def login(client, username: str, password: str, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def test_the_sixth_attempt_is_refused_even_with_the_right_password(cast, client):
    statuses = [login(client, "committee", "guess").status_code for _ in range(5)]
    # Four times the form again ("wrong password"); the fifth failure locks.
    assert statuses == [200, 200, 200, 200, 429]
    locked = login(client, "committee", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert "登录失败次数过多" in page and "15 分钟" in page


def test_the_account_is_locked_whatever_address_the_guesses_come_from(cast, client):
    for n in range(5):
        login(client, "committee", "guess", REMOTE_ADDR=f"10.0.0.{n + 1}")
    assert login(client, "committee", PASSWORD, REMOTE_ADDR="10.0.9.9").status_code == 429


def test_rotating_x_forwarded_for_does_not_escape_the_per_address_limit(cast, client):
    # One client guessing different accounts, claiming a new address each time.
    for n in range(5):
        login(client, f"nobody{n}", "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}")
    other_account = login(client, "resident", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert other_account.status_code == 429


def test_behind_one_trusted_proxy_the_forwarded_address_counts(cast, client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for n in range(5):
        login(client, f"nobody{n}", "guess", HTTP_X_FORWARDED_FOR="198.51.100.7")
    # Another client behind the same proxy is not locked out with the guesser.
    fine = login(client, "resident", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert fine.status_code == 302
    guesser = login(client, "resident", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert guesser.status_code == 429


def test_the_token_endpoint_counts_and_refuses_like_the_login_page(cast, client):
    statuses = [
        client.post(TOKEN, {"username": "committee", "password": "x"}).status_code for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    locked = client.post(TOKEN, {"username": "committee", "password": PASSWORD})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.json()["detail"]
    assert "token" not in locked.json()


def test_guesses_on_the_token_endpoint_lock_the_login_page_too(cast, client):
    for n in range(5):
        client.post(
            TOKEN,
            {"username": "committee", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert login(client, "committee", PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 429


@pytest.mark.parametrize("failures", [0, 4])
def test_fewer_than_five_failures_still_let_the_owner_in(cast, client, failures):
    for _ in range(failures):
        login(client, "committee", "guess")
    assert login(client, "committee", PASSWORD).status_code == 302


def test_rotating_x_forwarded_for_does_not_escape_the_token_throttle(cast, client, settings):
    settings.AXES_ENABLED = False  # the throttle alone: 10 requests a minute per address
    statuses = [
        client.post(
            TOKEN,
            {"username": "committee", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(11)
    ]
    assert statuses == [400] * 10 + [429]
