from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import auth  # noqa: F401  (connects the token-revoking signal receivers)
        from . import first_login, sign_ins  # noqa: F401  (login receivers)
