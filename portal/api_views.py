"""API v1 at the top: obtaining a token. The caller's compounds are listed by ``board.api``;
everything below ``compounds/{code}/`` is a :class:`portal.api.CompoundScopedAPIView`.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from .audit import audit_record
from .auth import LockedOut, lockout_message, token_expired
from .sign_ins import sign_in_record


class TokenObtainThrottle(SimpleRateThrottle):
    """Password guessing through the token endpoint is slowed per client address."""

    scope = "auth_token"
    rate = "10/minute"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenObtainView(ObtainAuthToken):
    """Exchange a username and password for the caller's API token (one per user)."""

    # Credentials come in the body; a browser session must not turn this into a CSRF target.
    authentication_classes = ()
    throttle_classes = (TokenObtainThrottle,)

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("AuthTokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong username or password"),
            429: OpenApiResponse(description="Too many attempts, or locked out"),
        },
        auth=[],
        description=(
            "Send `username` and `password`; use the returned key as "
            "`Authorization: Token <key>`. Limited to 10 attempts per minute per address; "
            "after 5 failed logins the account and the address are locked for 15 minutes "
            "(429). A token expires after `API_TOKEN_LIFETIME_HOURS` (24) and is revoked by "
            "a password change, a logout or a deactivation."
        ),
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        # django-axes flags the request it was handed (DRF's) when the account or the
        # address is locked out: say so instead of "wrong password".
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(lockout_message())
        if not valid:
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, created = Token.objects.get_or_create(user=user)
        if not created and token_expired(token):
            token.delete()
            token, created = Token.objects.create(user=user), True
        if created:
            audit_record(action="api.token_issued", actor=user, obj=user)
        sign_in_record(user=user, request=request, method="api")
        return Response({"token": token.key})
