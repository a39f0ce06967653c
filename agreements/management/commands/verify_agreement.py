"""``python manage.py verify_agreement FILE``: the public verifier on the command line.

Exit status 0 when every signature is valid, trusted and the file unchanged since, and (for
a file the portal issued) it is the archived latest revision with every party signed; 1
when anything is invalid or missing; 2 when the file cannot be read as a PDF.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agreements.signing import local_time_label
from agreements.verification import NotAPdfError, VerificationReport, verify_document


class Command(BaseCommand):
    help = "Verify the electronic signatures of an agreement PDF (exit 1 if anything is invalid)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}", returncode=2) from exc
        try:
            report = verify_document(data)
        except NotAPdfError as exc:
            raise CommandError(f"{file}: {exc}", returncode=2) from exc
        self.stdout.write(f"{file}  sha256={report.sha256}  {len(report.signatures)} signature(s)")
        for index, sig in enumerate(report.signatures, start=1):
            when = local_time_label(sig.signed_at) if sig.signed_at else "?"
            verdict = "OK" if sig.ok else "INVALID"
            trust = f"trusted by {sig.trusted_by}" if sig.trusted else "UNTRUSTED"
            self.stdout.write(
                f"  {index}. [{verdict}] {sig.signer} · {sig.organisation} · {when} · "
                f"intact={sig.intact} valid={sig.valid} {trust} "
                f"changed_after={sig.changed_after} padding_changed={sig.padding_changed}"
            )
            for problem in sig.problems:
                self.stdout.write(f"       - {problem}")
        self._write_archive(report)
        for problem in report.problems:
            self.stdout.write(f"  ! {problem}")
        if report.changed_after_signing:
            self.stdout.write("  ! the document was changed after signing")
        if not report.ok:
            raise CommandError("verification FAILED", returncode=1)
        self.stdout.write(self.style.SUCCESS("verification passed: all signatures valid"))

    def _write_archive(self, report: VerificationReport) -> None:
        match = report.archive
        if match is None:
            self.stdout.write("  archive: unknown document (not issued by this portal)")
            for name in report.unsigned_fields:
                self.stdout.write(f"  unsigned field: {name}")
            return
        how = "identical" if match.identical else f"differs at byte {match.differs_at}"
        self.stdout.write(
            f"  archive: {match.number} revision {match.revision} of {match.latest_revision}"
            f" ({how}), status {match.status}"
        )
        for party in report.parties:
            state = "signed" if party.signed else "missing"
            self.stdout.write(f"  {state}: {party.organisation}")
        for note in report.notes:
            self.stdout.write(f"  - {note}")
