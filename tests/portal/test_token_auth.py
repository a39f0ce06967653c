"""API tokens read with their user and memberships in one statement (portal/token_auth.py):
the same user, token and memberships the ORM reads, and every refusal as before."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from portal.access import _memberships
from portal.models import Membership
from portal.token_auth import UserTokenAuthentication, token_with_user
from tests.factories import PASSWORD
from tests.voting.helpers import make_decision, publish

pytestmark = pytest.mark.django_db


def tally_url(decision) -> str:
    return f"/api/v1/compounds/{decision.compound.code}/decisions/{decision.pk}/tally/"


def test_the_token_user_and_memberships_are_read_as_the_orm_reads_them(cast):
    officer = cast.officer
    token = Token.objects.create(user=officer)
    with CaptureQueriesContext(connection) as ctx:
        user, loaded = UserTokenAuthentication().authenticate_credentials(token.key)
        memberships = _memberships(user)
    assert len(ctx.captured_queries) == 1
    expected = get_user_model().objects.get(pk=officer.pk)
    fields = [f.attname for f in get_user_model()._meta.concrete_fields]
    assert [getattr(user, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert (loaded.key, loaded.user_id, loaded.created) == (token.key, officer.pk, token.created)
    assert loaded.user is user
    orm = list(Membership.objects.filter(user=officer).order_by("pk"))
    assert orm and sorted(memberships, key=lambda m: m.pk) == orm


def test_a_user_without_memberships_has_none(cast):
    lonely = get_user_model().objects.create_user("lonely-token-perf", password=PASSWORD)
    token = Token.objects.create(user=lonely)
    found = token_with_user(token.key)
    assert found is not None and _memberships(found[0]) == []


def test_an_unknown_token_is_refused_as_before():
    assert token_with_user("0" * 40) is None
    with pytest.raises(AuthenticationFailed, match="认证令牌无效"):
        UserTokenAuthentication().authenticate_credentials("0" * 40)


def test_an_inactive_users_token_is_refused(cast):
    token = Token.objects.create(user=cast.resident)
    get_user_model().objects.filter(pk=cast.resident.pk).update(is_active=False)
    with pytest.raises(AuthenticationFailed, match="用户未激活或者已删除"):
        UserTokenAuthentication().authenticate_credentials(token.key)


def test_an_expired_token_is_refused_and_deleted(cast, settings):
    token = Token.objects.create(user=cast.resident)
    Token.objects.filter(pk=token.pk).update(
        created=timezone.now() - settings.API_TOKEN_LIFETIME - timedelta(seconds=1)
    )
    with pytest.raises(AuthenticationFailed):
        UserTokenAuthentication().authenticate_credentials(token.key)
    assert not Token.objects.filter(pk=token.pk).exists()


def test_over_http_a_deactivated_user_and_a_revoked_role_take_effect_at_once(cast, client):
    decision = make_decision(cast)
    publish(decision, cast)
    response = client.post(
        "/api/v1/auth/token/", {"username": cast.resident.username, "password": PASSWORD}
    )
    auth = {"HTTP_AUTHORIZATION": f"Token {response.json()['token']}"}
    assert client.get(tally_url(decision), **auth).status_code == 200
    Membership.objects.filter(user=cast.resident).delete()
    assert client.get(tally_url(decision), **auth).status_code == 404
    get_user_model().objects.filter(pk=cast.resident.pk).update(is_active=False)
    assert client.get(tally_url(decision), **auth).status_code == 401
