from django.apps import AppConfig


class BoardConfig(AppConfig):
    """The app above all others: landing pages and the street-office and compound boards.
    It reads every app through its selectors; no app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "board"

    def ready(self) -> None:
        # The committee page (households) shows fee arrears and refreshes alerts through
        # households' hooks, since households may not import the apps above it.
        from .committee_checks import register

        register()
