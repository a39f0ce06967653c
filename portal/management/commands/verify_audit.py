from django.core.management.base import BaseCommand, CommandError

from portal.audit import audit_verify
from portal.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exit non-zero at the first broken link."

    def handle(self, *args, **options):
        broken = audit_verify()
        if broken is not None:
            raise CommandError(
                f"审计链断裂 / audit chain broken at entry #{broken.entry_id}: {broken.reason}"
            )
        count = AuditEntry.objects.count()
        self.stdout.write(self.style.SUCCESS(f"审计链完整 / audit chain intact ({count} entries)"))
