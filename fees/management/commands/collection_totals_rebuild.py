"""Rebuild the kept collection totals from charges and allocations: after data written in
bulk past the services (imports, benchmark seeding), or to check them
(``--check`` compares with the plain computation and fails on any difference)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from fees import selectors
from fees.services.collection_totals import rebuild
from portal.models import Compound


class Command(BaseCommand):
    help = "Rebuild the kept collection totals (收缴汇总) of every compound, or of --compound."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--compound", help="the compound's code (default: all)")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only compare the kept totals with a recomputation; exit 1 on a difference",
        )

    def handle(self, *args, compound: str | None = None, check: bool = False, **options) -> None:
        compounds = Compound.objects.order_by("code")
        if compound:
            compounds = compounds.filter(code=compound)
            if not compounds.exists():
                raise CommandError(f"no compound with code {compound!r}")
        differing = []
        for c in compounds:
            if check:
                for year in selectors.collection_years(c):
                    if selectors.collection_report(
                        c, year
                    ) != selectors.collection_report_recomputed(c, year):
                        differing.append(f"{c.code} {year}")
                continue
            with transaction.atomic():
                rebuild(c)
            self.stdout.write(f"{c.code}: rebuilt")
        if differing:
            raise CommandError("kept totals differ from a recomputation: " + ", ".join(differing))
