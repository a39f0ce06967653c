"""``manage.py alerts_refresh [--today YYYY-MM-DD] [--street-office CODE]``: the daily
alert check on demand (the beat job runs the same service)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from board import services
from portal.models import StreetOffice


class Command(BaseCommand):
    help = "Open, update and resolve the board's alerts for today (or --today)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to check as (YYYY-MM-DD); default: today")
        parser.add_argument("--street-office", help="only this street office's compounds")

    def handle(self, *args, today=None, street_office=None, **options):
        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today: not a date: {today!r}") from None
        compounds = None
        if street_office:
            office = StreetOffice.objects.filter(code=street_office).first()
            if office is None:
                raise CommandError(f"no street office {street_office!r}")
            compounds = list(office.compounds.select_related("street_office"))
        result = services.alerts_refresh(today=day, compounds=compounds)
        self.stdout.write(
            f"{result.compounds} compounds: {len(result.opened)} opened, "
            f"{result.updated} updated, {len(result.resolved)} resolved"
        )
