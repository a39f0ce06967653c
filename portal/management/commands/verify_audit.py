from django.core.management.base import BaseCommand, CommandError

from portal.audit import audit_checkpoint, audit_verify
from portal.models import AuditCheckpoint, AuditEntry


class Command(BaseCommand):
    help = (
        "Verify the audit log: the hash chain, each entry's HMAC (AUDIT_HMAC_KEY) and the "
        "signed checkpoints; exit non-zero at the first problem."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="after a successful check, sign a checkpoint of the log as it stands",
        )

    def handle(self, *args, **options):
        broken = audit_verify()
        if broken is not None:
            raise CommandError(
                f"审计链断裂 / audit chain broken at entry #{broken.entry_id}: {broken.reason}"
            )
        if options["checkpoint"]:
            audit_checkpoint()
        count = AuditEntry.objects.count()
        checkpoints = AuditCheckpoint.objects.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"审计链完整 / audit chain intact ({count} entries, {checkpoints} checkpoints)"
            )
        )
