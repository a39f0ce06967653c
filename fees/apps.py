from django.apps import AppConfig


class FeesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fees"

    def ready(self) -> None:
        from . import views  # noqa: F401  (registers the lists' exports: portal.exports)
