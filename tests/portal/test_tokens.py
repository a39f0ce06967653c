"""API tokens end: after API_TOKEN_LIFETIME, and at once on a password change, a logout
or a deactivation of their holder."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()


def obtain(client, username: str = "committee") -> str:
    response = client.post(TOKEN, {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()["token"]


def call(client, key: str):
    return client.get("/api/v1/compounds/", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_fresh_token_works(cast, client):
    assert call(client, obtain(client)).status_code == 200


def test_an_expired_token_answers_401_and_is_deleted(cast, client, settings):
    key = obtain(client)
    Token.objects.filter(key=key).update(
        created=timezone.now() - settings.API_TOKEN_LIFETIME - timedelta(seconds=1)
    )
    response = call(client, key)
    assert response.status_code == 401
    assert "令牌已过期" in response.json()["detail"]
    assert not Token.objects.filter(key=key).exists()
    # Asking again with the password gives a new, working token.
    fresh = obtain(client)
    assert fresh != key and call(client, fresh).status_code == 200


def test_asking_for_a_token_after_expiry_issues_a_new_one(cast, client, settings):
    key = obtain(client)
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=365))
    assert obtain(client) != key


def test_a_password_change_revokes_the_token(cast, client):
    key = obtain(client)
    client.force_login(cast.committee)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    client.logout()
    assert not Token.objects.filter(key=key).exists()
    assert call(client, key).status_code == 401


def test_set_password_anywhere_revokes_the_token(cast, client):
    key = obtain(client)
    user = get_user_model().objects.get(username="committee")
    user.set_password("another-long-passphrase-7")
    user.save()
    assert call(client, key).status_code == 401


def test_a_logout_revokes_the_token(cast, client):
    key = obtain(client)
    client.force_login(cast.committee)
    client.post(reverse("logout"))
    assert call(client, key).status_code == 401


def test_a_deactivation_revokes_the_token(cast, client):
    key = obtain(client)
    user = get_user_model().objects.get(username="committee")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not Token.objects.filter(key=key).exists()
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert call(client, key).status_code == 401


def test_saving_other_fields_keeps_the_token(cast, client):
    key = obtain(client)
    user = get_user_model().objects.get(username="committee")
    user.first_name = "新名"
    user.save()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert call(client, key).status_code == 200
