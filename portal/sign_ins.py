"""Recent sign-ins (登录记录): every successful login through the login page or the API's
token endpoint is kept, the last :data:`SIGN_IN_HISTORY` per account, so each user can
see on "我的账号" when and from where their account was used."""

from django.contrib.auth import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .auth import client_ip
from .models import SignIn

#: Sign-ins kept per account; older ones are deleted as new ones come.
SIGN_IN_HISTORY = 50
USER_AGENT_LENGTH = SignIn._meta.get_field("user_agent").max_length or 200


@transaction.atomic
def sign_in_record(*, user, request: HttpRequest | None, method: str = "password") -> SignIn:
    """Keep this sign-in of ``user`` (address and browser from ``request``) and forget
    those beyond the last :data:`SIGN_IN_HISTORY`."""
    meta = request.META if request is not None else {}
    sign_in = SignIn.objects.create(
        user=user,
        created_at=timezone.now(),
        ip=client_ip(request) if request is not None else None,
        user_agent=str(meta.get("HTTP_USER_AGENT", ""))[:USER_AGENT_LENGTH],
        method=method,
    )
    # The oldest row kept: everything before it goes (one DELETE per sign-in, so the
    # table never holds more than SIGN_IN_HISTORY rows of one account). Ids grow with time.
    oldest_kept = (
        SignIn.objects.filter(user_id=user.pk)
        .order_by("-id")
        .values_list("id", flat=True)[SIGN_IN_HISTORY - 1 : SIGN_IN_HISTORY]
    )
    SignIn.objects.filter(user_id=user.pk, id__lt=oldest_kept).delete()
    return sign_in


def recent_sign_ins(user, limit: int = SIGN_IN_HISTORY) -> list[SignIn]:
    return list(SignIn.objects.filter(user_id=user.pk).order_by("-created_at", "-id")[:limit])


@receiver(user_logged_in)
def _record_login(sender, request, user, **kwargs) -> None:
    sign_in_record(user=user, request=request)
