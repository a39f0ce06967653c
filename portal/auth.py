"""Logging in safely: the client's address, the lockout after repeated failures
(django-axes), and API tokens that expire and are revoked when their holder's
credentials change.

The lockout counts failures per account and per address (``AXES_LOCKOUT_PARAMETERS``);
both the login page and the token endpoint authenticate with the request, so both count.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_out
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.throttling import BaseThrottle


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting exactly ``TRUSTED_PROXY_COUNT`` proxies' entries in
    X-Forwarded-For (DRF's rule with ``NUM_PROXIES``), so the lockout and the API
    throttles agree and a client cannot pick its own address by sending the header."""
    # get_ident reads only request.META, which a plain HttpRequest has too.
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out account or address before any password is checked.

    ``authenticate()`` called from code without a request (a shell, a management
    command, a test) has no client to count, so it is not checked; every network path
    (the login page, the token endpoint) passes the request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("登录失败次数过多，该账号或地址已被暂时锁定，请 %(minutes)d 分钟后再试。") % {
        "minutes": minutes
    }


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """The page a locked-out login gets (429), in the portal's look and language."""
    return render(
        request,
        "registration/locked_out.html",
        {"message": lockout_message()},
        status=429,
    )


class LockedOut(exceptions.APIException):
    status_code = 429
    default_code = "locked_out"


class ExpiringTokenAuthentication(TokenAuthentication):
    """A token is valid for ``API_TOKEN_LIFETIME`` from its issue; an expired one is
    deleted and answers 401, so the caller must present the password again."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新获取。"))
        return user, token


def token_expired(token: Token) -> bool:
    return token.created <= timezone.now() - settings.API_TOKEN_LIFETIME


def tokens_revoke(user) -> None:
    Token.objects.filter(user_id=user.pk).delete()


@receiver(user_logged_out)
def _revoke_tokens_on_logout(sender, request, user, **kwargs):
    if user is not None:
        tokens_revoke(user)


@receiver(pre_save, sender=get_user_model())
def _revoke_tokens_on_credential_change(sender, instance, update_fields=None, **kwargs):
    """A new password or a deactivation ends every token of the account, whichever path
    (password page, admin, shell, add_user) made the change."""
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    if old["password"] != instance.password or (old["is_active"] and not instance.is_active):
        tokens_revoke(instance)
