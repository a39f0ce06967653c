"""Rebuild the kept turnout counters from the roll and the ballots: after data written in
bulk past the services (imports, benchmark seeding), or to check them (``--check``
recounts and fails on any difference, writing nothing)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.models import Compound
from voting import turnout
from voting.models import Decision
from voting.services.turnout_counts import rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the kept turnout counters (投票进度) of every decision with a roll, or of "
        "--compound's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--compound", help="the compound's code (default: all)")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only compare the kept counters with a recount; exit 1 on a difference",
        )

    def handle(self, *args, compound: str | None = None, check: bool = False, **options) -> None:
        decisions = Decision.objects.filter(roll_units__isnull=False).distinct()
        if compound:
            if not Compound.objects.filter(code=compound).exists():
                raise CommandError(f"no compound with code {compound!r}")
            decisions = decisions.filter(compound__code=compound)
        differing: list[str] = []
        for decision_id, code in decisions.order_by("pk").values_list("pk", "compound__code"):
            if check:
                differing += turnout.differences(decision_id)
                continue
            rows = rebuild(decision_id)
            self.stdout.write(f"{code} decision {decision_id}: {rows} rows rebuilt")
        if differing:
            for line in differing:
                self.stderr.write(line)
            raise CommandError(
                f"kept turnout differs from a recount in {len(differing)} rows (listed above)"
            )
        if check:
            self.stdout.write("kept turnout counters agree with a recount")
