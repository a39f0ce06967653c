"""``POST /api/v1/activate/``: activation with a letter's code, for apps and integrations.

Public (no token needed), throttled per address, and answered like the page: the code's
and the ID suffix's failures all get one byte-identical 400 body; what the login or
password lacks is said specifically (see :mod:`households.services.activation`). A caller
with a token activates for the token's account instead of making a new login.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from portal.auth import ExpiringTokenAuthentication, client_ip

from .services.activation import ActivationRefused, ActivationThrottled, account_activate


class ActivationThrottle(SimpleRateThrottle):
    """Guessing through the API is slowed per client address, before any code is read."""

    scope = "activate"
    rate = "10/minute"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ActivationInputSerializer(serializers.Serializer):
    # No max_length: any code that is not ours gets the one generic 400 body.
    code = serializers.CharField(help_text="开通码 as printed, e.g. ABCDE-FGHJK-MNPQR")
    id_suffix = serializers.CharField(
        max_length=32, help_text="The last 6 characters of the owner's ID number on the roster"
    )
    username = serializers.CharField(
        max_length=150, required=False, allow_blank=True, trim_whitespace=True
    )
    password = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, trim_whitespace=False
    )


class ActivatedUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label


class ActivationOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    account_created = serializers.BooleanField()
    compound = serializers.CharField(source="compound.code")
    units = ActivatedUnitSerializer(many=True)


class _Refused(serializers.Serializer):
    detail = serializers.CharField()


class ActivateView(APIView):
    """Turn an activation code into an account linked to every unit its owner holds."""

    authentication_classes = (ExpiringTokenAuthentication,)  # no session: no CSRF target
    permission_classes = (AllowAny,)
    throttle_classes = (ActivationThrottle,)

    @extend_schema(
        request=ActivationInputSerializer,
        responses={
            201: ActivationOutputSerializer,
            400: OpenApiResponse(
                _Refused,
                description="A wrong, used, expired, revoked or locked code, or a wrong ID "
                "suffix: always the same body. A field's own problem (password too weak, "
                "login taken) names the field.",
            ),
            429: OpenApiResponse(
                inline_serializer("ActivationThrottled", {"detail": serializers.CharField()}),
                description="Too many attempts from this address",
            ),
        },
        examples=[
            OpenApiExample(
                "Activation",
                value={
                    "code": "ABCDE-FGHJK-MNPQR",
                    "id_suffix": "01234X",
                    "username": "zhang_san",
                    "password": "a long passphrase",
                },
                request_only=True,
            )
        ],
        auth=[],
        description=(
            "Send the code as printed on the activation letter (case, spaces and dashes are "
            "ignored), the last 6 characters of the owner's ID number on the roster, and a "
            "new `username` and `password` (Django's password rules). 201: the new account, "
            "linked to every unit that owner holds now in the compound. With a token, the "
            "units are linked to the token's account and no login is made. After 5 wrong "
            "tries the code locks; after 20 within an hour the address is refused (429). "
            "Limited to 10 requests per minute per address."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = ActivationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user if request.user.is_authenticated else None
        try:
            result = account_activate(
                code=data["code"],
                id_suffix=data["id_suffix"],
                username=data.get("username", ""),
                password=data.get("password", ""),
                ip=client_ip(request._request),
                user=user,
            )
        except ActivationThrottled as exc:
            return Response({"detail": str(exc.message)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        except ActivationRefused as exc:
            return Response({"detail": str(exc.message)}, status=status.HTTP_400_BAD_REQUEST)
        body = {
            "username": result.user.get_username(),
            "account_created": result.account_created,
            "compound": result.compound,
            "units": [{"id": u.pk, "label": u.label} for u in result.units],
        }
        return Response(ActivationOutputSerializer(body).data, status=status.HTTP_201_CREATED)
