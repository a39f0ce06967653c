from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "households"

    def ready(self) -> None:
        # Registered here, before any URLconf is loaded: fees' run pages use it too.
        from django.urls import register_converter

        from .converters import BuildingNumberConverter

        register_converter(BuildingNumberConverter, "building")

        from . import views  # noqa: F401  (registers the lists' exports: portal.exports)
