from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Signal receivers: tokens revoked on credential changes (auth), the one-time-password
        # flag read at login (first_login), sign-ins recorded (sign_ins).
        from . import auth, first_login, sign_ins  # noqa: F401
